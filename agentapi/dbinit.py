"""What `agentapi db init` does to a database: tables, migrations, secrets, in order."""

from __future__ import annotations

import secrets

from .db import Database
from .secret import CURSOR
from .sqlfiles import read_script


def init_database(database: Database) -> None:
    """Create missing tables, bring older ones up to date, make missing secrets; rerunnable."""
    database.run_script(read_script("schema.sql"))
    if not database.run("count_api_keys_restricted_column", {})["n"]:
        database.run("add_api_keys_restricted_column", {}, retry=False)
    database.run("mark_linked_keys_restricted", {}, retry=False)
    # 256 random bits, made once per installation: INSERT IGNORE keeps an existing one.
    database.run(
        "insert_secret_once", {"secret_name": CURSOR, "value": secrets.token_hex(32)}, retry=False
    )
