"""One consistent snapshot on a connection of its own, read in statements of raw text rows."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import pymysql
import pymysql.cursors

from .db import CONNECTION_ERRORS, TIMEOUT_ERRORS, Database, DatabaseUnavailable, StatementTimeout

log = logging.getLogger("agentapi.snapshot")


class Snapshot:
    """A REPEATABLE READ, read-only transaction: every statement sees the same instant.

    Rows come back as tuples of the server's own text (no converters): DECIMAL,
    DATE and DATETIME values arrive as the strings the export writes, with no
    Python object made per value. NULL stays None.
    """

    def __init__(self, database: Database) -> None:
        self.database = database
        self.conn: pymysql.connections.Connection | None = None
        self.statements_run = 0

    def open(self) -> Snapshot:
        """Connect, choose REPEATABLE READ and take the snapshot now."""
        self.conn = self.database.connect()
        # Only this connection's own decoders: the pooled ones keep theirs.
        self.conn.decoders = {}
        self.run("set_snapshot_isolation", {})
        self.run("start_snapshot", {})
        return self

    def rows(self, name: str, params: dict[str, Any]) -> tuple[tuple[Any, ...], ...]:
        """The rows of one registered statement, read in the snapshot."""
        return self.run(name, params)

    def run(self, name: str, params: dict[str, Any]) -> Any:
        """Run a registered statement once (never retried: a new connection is a new snapshot)."""
        assert self.conn is not None, "open() first"
        query = self.database.queries[name]
        if set(params) != query.params:
            raise TypeError(f"{name} takes {sorted(query.params)}, got {sorted(params)}")
        try:
            with self.conn.cursor(pymysql.cursors.Cursor) as cursor:
                cursor.execute(query.sql, params)
                self.statements_run += 1
                return cursor.fetchall() if query.returns != "nothing" else None
        except (pymysql.OperationalError, pymysql.InterfaceError) as exc:
            code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
            self.close()
            if code in TIMEOUT_ERRORS:
                raise StatementTimeout(name) from exc
            if code in CONNECTION_ERRORS:
                raise DatabaseUnavailable(name) from exc
            raise

    def close(self) -> None:
        """End the transaction and the connection; safe to call twice or after a failure."""
        conn, self.conn = self.conn, None
        if conn is not None:
            # Closing ends the transaction; a broken connection may fail to say goodbye.
            with contextlib.suppress(Exception):
                conn.close()


@contextlib.contextmanager
def snapshot(database: Database) -> Iterator[Snapshot]:
    """A Snapshot for the duration of a with block."""
    taken = Snapshot(database).open()
    try:
        yield taken
    finally:
        taken.close()
