"""Prepared statements by SQL text: PREPARE once per connection, then EXECUTE ... USING.

A registered statement is a page of SQL; MariaDB parses all of it on every run, which
was a third of the server's time for a short page. Prepared once per connection, each
run sends `EXECUTE agentapi_<name> USING <values>` instead: the server keeps the
parsed statement and plans it again with the values given (so a page's plan is the
one the text would get).

MariaDB (10.2.3 and later) takes values in USING; MySQL takes only user variables
there, so against MySQL every statement is sent as text, as before. A statement whose
values include a list (`IN %(ids)s`, of any length) or whose text holds a literal '?'
is sent as text too; so is one the server refuses to prepare.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import pymysql

from .sqlfiles import Query

PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# ER_UNKNOWN_STMT_HANDLER: the connection no longer has the statement (a reset session).
UNKNOWN_STATEMENT = 1243
# ER_MAX_PREPARED_STMT_COUNT_REACHED: the server holds as many as it allows.
TOO_MANY_PREPARED = 1461
# MariaDB names its version before '-MariaDB', after a '5.5.5-' kept for old clients.
MARIADB_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)-MariaDB")


@functools.cache
def positional(sql: str) -> tuple[str, tuple[str, ...]] | None:
    """The statement with '?' for each %(name)s, and the names in their order; None when
    the text holds a '?' of its own, which PREPARE would take for a placeholder."""
    if "?" in sql:
        return None
    names: list[str] = []

    def mark(match: re.Match[str]) -> str:
        names.append(match.group(1))
        return "?"

    return PLACEHOLDER.sub(mark, sql).replace("%%", "%"), tuple(names)


def executes_with_values(server_version: str) -> bool:
    """Whether the server takes values in EXECUTE ... USING (MariaDB 10.2.3 on)."""
    found = MARIADB_VERSION.search(server_version)
    return found is not None and tuple(map(int, found.groups())) >= (10, 2, 3)


class PreparedStatements:
    """One connection's prepared statements: what to send for a registered statement."""

    def __init__(self, conn: pymysql.connections.Connection[Any], enabled: bool) -> None:
        self.conn = conn
        self.enabled = enabled
        self._prepared: set[str] = set()
        self._refused: set[str] = set()

    def statement(self, query: Query, params: dict[str, Any]) -> tuple[str, Any]:
        """The text and arguments for cursor.execute: an EXECUTE of the prepared form
        where it can be, else the registered text with its parameters."""
        form = positional(query.sql) if self.enabled and query.name not in self._refused else None
        if form is None or any(isinstance(v, list | tuple | set | dict) for v in params.values()):
            return query.sql, params
        text, names = form
        handle = f"agentapi_{query.name}"
        if query.name not in self._prepared:
            try:
                with self.conn.cursor() as cursor:
                    cursor.execute(f"PREPARE {handle} FROM %s", (text,))
            except pymysql.MySQLError as exc:
                code = exc.args[0] if exc.args else 0
                if not isinstance(exc, pymysql.ProgrammingError) and code != TOO_MANY_PREPARED:
                    raise
                # Not preparable here, or the server holds its maximum: sent as text.
                self._refused.add(query.name)
                return query.sql, params
            self._prepared.add(query.name)
        if not names:
            return f"EXECUTE {handle}", None
        values = ", ".join(self.conn.escape(params[name]) for name in names)
        return f"EXECUTE {handle} USING {values}", None

    def forget(self) -> None:
        """The server no longer has this connection's statements: prepare them again."""
        self._prepared.clear()
