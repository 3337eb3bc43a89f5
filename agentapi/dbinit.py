"""What `agentapi db init` does to a database: tables, migrations, in that order."""

from __future__ import annotations

from .db import Database
from .sqlfiles import read_script


def init_database(database: Database) -> None:
    """Create missing tables and bring older ones up to date; safe to run again."""
    database.run_script(read_script("schema.sql"))
    if not database.run("count_api_keys_restricted_column", {})["n"]:
        database.run("add_api_keys_restricted_column", {}, retry=False)
    database.run("mark_linked_keys_restricted", {}, retry=False)
