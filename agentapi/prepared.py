"""Prepared statements by SQL text: PREPARE once per connection, then EXECUTE ... USING.

A registered statement is a page of SQL; MariaDB parses all of it on every run, which
was a third of the server's time for a short page. Prepared once per connection, each
run sends `EXECUTE agentapi_<name> USING <values>` instead: the server keeps the
parsed statement and plans it again with the values given (so a page's plan is the
one the text would get).

MariaDB (10.2.3 and later) takes values in USING; MySQL takes only user variables
there, so against MySQL every statement is sent as text, as before. A short list value
(`IN %(statuses)s`) gets a statement per length; a long one (a page's ids), a text
holding a literal '?', and a statement the server refuses to prepare are sent as text.
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
# The longest list value a statement is prepared for (one statement per length).
MAX_LIST_PREPARED = 8
# EXECUTE texts kept per connection, for values asked for again (one business's page).
MAX_TEXTS_KEPT = 512
# Value types whose equal values are written alike (True == 1 and 1.0 == 1 are not).
_KEPT_TYPES = frozenset({str, int, type(None)})
# MariaDB names its version before '-MariaDB', after a '5.5.5-' kept for old clients.
MARIADB_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)-MariaDB")


@functools.cache
def positional(sql: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The statement cut at each %(name)s (a '?' goes between two pieces), and the names
    in their order; None when the text holds a '?' of its own, which PREPARE would take
    for a placeholder."""
    if "?" in sql:
        return None
    pieces = PLACEHOLDER.split(sql.replace("%%", "%"))
    return tuple(pieces[0::2]), tuple(pieces[1::2])


@functools.cache
def prepared_text(sql: str, arities: tuple[int, ...]) -> str:
    """The statement for PREPARE: '?' for a value, '(?, ?)' for a list of two (as
    PyMySQL writes a list: IN %(ids)s), by the arity of each placeholder (0: a value)."""
    form = positional(sql)
    assert form is not None
    pieces, _names = form
    marks = ["?" if n == 0 else "(" + ", ".join("?" * n) + ")" for n in arities]
    return "".join(piece + mark for piece, mark in zip(pieces, [*marks, ""], strict=True))


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
        # (handle, values) -> the EXECUTE text: escaping a page's values each time was
        # 2 % of a short page's time in the worker (docs/benchmarks.md, ninth round).
        self._texts: dict[tuple[str, tuple[Any, ...]], str] = {}

    def statement(self, query: Query, params: dict[str, Any]) -> tuple[str, Any]:
        """The text and arguments for cursor.execute: an EXECUTE of the prepared form
        where it can be, else the registered text with its parameters."""
        form = positional(query.sql) if self.enabled else None
        if form is None:
            return query.sql, params
        names = form[1]
        values = [params[name] for name in names]
        lengths = [len(v) for v in values if isinstance(v, list | tuple)]
        # One statement per list length: a short list only (a status filter), not the
        # ids of a page, which would leave a statement for every length. An empty list
        # is no SQL either way (IN ()): the text is sent, and the server says so.
        if lengths and not 0 < min(lengths) <= max(lengths) <= MAX_LIST_PREPARED:
            return query.sql, params
        arities = tuple(len(v) if isinstance(v, list | tuple) else 0 for v in values)
        handle = f"agentapi_{query.name}"  # at most 64 characters: tests/test_prepared.py
        handle += "".join(f"_{n}" for n in arities if n)
        if handle in self._refused:
            return query.sql, params
        if handle not in self._prepared:
            try:
                with self.conn.cursor() as cursor:
                    cursor.execute(
                        f"PREPARE {handle} FROM %s", (prepared_text(query.sql, arities),)
                    )
            except pymysql.MySQLError as exc:
                code = exc.args[0] if exc.args else 0
                if not isinstance(exc, pymysql.ProgrammingError) and code != TOO_MANY_PREPARED:
                    raise
                # Not preparable here, or the server holds its maximum: sent as text.
                self._refused.add(handle)
                return query.sql, params
            self._prepared.add(handle)
        if not names:
            return f"EXECUTE {handle}", None
        kept_as = None
        if not lengths and all(type(value) in _KEPT_TYPES for value in values):
            kept_as = (handle, tuple(values))
            text = self._texts.get(kept_as)
            if text is not None:
                return text, None
        escape = self.conn.escape
        written = ", ".join(
            ", ".join(escape(item) for item in value) if arity else escape(value)
            for value, arity in zip(values, arities, strict=True)
        )
        text = f"EXECUTE {handle} USING {written}"
        if kept_as is not None:
            if len(self._texts) >= MAX_TEXTS_KEPT:
                self._texts.clear()
            self._texts[kept_as] = text
        return text, None

    def forget(self) -> None:
        """The server no longer has this connection's statements: prepare them again."""
        self._prepared.clear()
