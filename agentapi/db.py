"""Database wiring: one persistent PyMySQL connection per thread, and the query helpers."""

from __future__ import annotations

import contextlib
import logging
import ssl
import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, cast

import pymysql
import pymysql.converters
import pymysql.cursors
from flask import Flask, Response, current_app
from pymysql.constants import FIELD_TYPE

from . import rowreader
from .config import DatabaseTarget
from .errors import problem_response, service_unavailable
from .prepared import UNKNOWN_STATEMENT, PreparedStatements, executes_with_values
from .sockettimeouts import KernelTimeouts
from .sqlfiles import Query

log = logging.getLogger("agentapi.db")

# A connection idle for longer than this is pinged before use, so a server restart
# or wait_timeout is noticed before a query; busy connections skip the round trip and
# rely on the one retry below instead.
IDLE_PING_SECONDS = 5.0
# Seconds the socket waits for an answer beyond the server-side statement time limit.
STATEMENT_GRACE = 2.0
# Server said the statement ran past max_statement_time / MAX_EXECUTION_TIME.
TIMEOUT_ERRORS = {1969, 3024}
# The connection is gone or never came: safe to reconnect and retry a read once.
CONNECTION_ERRORS = {0, 2002, 2003, 2006, 2013, 2014, 2055, 1053, 1927, 4031}


def _datetime_from_text(text: str) -> datetime | None:
    """DATETIME/TIMESTAMP text to datetime with the C parser; a zero date is None."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        # '0000-00-00 00:00:00', '2026-00-10 ...' or a year 0: stored under a lax
        # sql_mode, no instant at all. PyMySQL would hand the text on, and every
        # formatter would then fail on it.
        return None


def _date_from_text(text: str) -> date | None:
    """DATE text to date with the C parser; a zero date ('0000-00-00', '2026-00-10') is None."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


# PyMySQL's own DATETIME/DATE converters parse with a regular expression in Python:
# about 6% of a 50-invoice page. The stdlib's fromisoformat reads MySQL's
# 'YYYY-MM-DD HH:MM:SS[.ffffff]' text to the same values, in C.
# Typed as pymysql.connect takes it: encoders (value to SQL text) and decoders by field type.
CONVERSIONS: dict[type[Any] | int, Callable[[Any], str] | Callable[[str], Any]] = {
    **pymysql.converters.conversions,
    FIELD_TYPE.DATETIME: _datetime_from_text,
    FIELD_TYPE.TIMESTAMP: _datetime_from_text,
    FIELD_TYPE.DATE: _date_from_text,
}


class Connection(KernelTimeouts, rowreader.Connection):
    """PyMySQL's connection, with a faster row reader (agentapi/rowreader.py) and its
    waits limited by the kernel (agentapi/sockettimeouts.py)."""


class DatabaseUnavailable(Exception):
    """The database could not be reached or dropped the connection."""


class StatementTimeout(Exception):
    """The server cut a statement off at the configured time limit."""


class Database:
    """Per-thread persistent connections to one server, running registered queries."""

    def __init__(
        self,
        target: DatabaseTarget,
        queries: dict[str, Query],
        *,
        tls: str = "off",
        tls_ca: str | None = None,
        connect_timeout: float = 3.0,
        statement_timeout: float = 5.0,
        prepare: bool = True,
    ) -> None:
        self.target = target
        self.queries = queries
        self.tls = tls
        self.tls_ca = tls_ca
        self.connect_timeout = connect_timeout
        self.statement_timeout = statement_timeout
        self.prepare = prepare  # PREPARE once per connection where the server can
        # Statements run by run(), each counted once; a statement's PREPARE on a new
        # connection is not counted, as the connection's session set-up is not.
        self.statements_run = 0
        self._local = threading.local()

    def _tls_kwargs(self) -> dict[str, Any]:
        if self.tls == "off":
            return {"ssl_disabled": True}
        if self.tls == "verify":
            return {"ssl_ca": self.tls_ca, "ssl_verify_cert": True, "ssl_verify_identity": True}
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return {"ssl": context}

    def _connect(self) -> pymysql.connections.Connection[pymysql.cursors.DictCursor]:
        try:
            conn = Connection(
                **self.target.connect_kwargs(),
                **self._tls_kwargs(),
                charset="utf8mb4",
                autocommit=True,
                connect_timeout=self.connect_timeout,
                # PyMySQL reads the server's greeting and runs the session set-up
                # under read_timeout, not connect_timeout: a server that accepts TCP
                # but never answers would hold the request for read_timeout.
                read_timeout=self.connect_timeout,
                write_timeout=self.connect_timeout,
                cursorclass=pymysql.cursors.DictCursor,
                conv=CONVERSIONS,
            )
            # get_server_info is unannotated in types-PyMySQL; it returns a str.
            server: str = conn.get_server_info()  # type: ignore[no-untyped-call]
            flavour = "mariadb" if "MariaDB" in server else "mysql"
            query = self.queries[f"set_session_{flavour}"]
            limits = {
                "statement_timeout_s": self.statement_timeout,
                "statement_timeout_ms": int(self.statement_timeout * 1000),
            }
            with conn.cursor() as cursor:
                cursor.execute(query.sql, {k: v for k, v in limits.items() if k in query.params})
            # From here on the server cuts statements off at statement_timeout; the
            # socket waits a little longer for its answer: the kernel keeps that limit
            # (agentapi/sockettimeouts.py), or with TLS, PyMySQL's own per read/write
            # timeouts (it has no public setter).
            timeout = self.statement_timeout + STATEMENT_GRACE
            if self.tls == "off":
                conn.limit_waits(timeout)
            else:
                conn._read_timeout = conn._write_timeout = timeout
        except pymysql.MySQLError as exc:
            log.warning("database connect failed: %s", type(exc).__name__)
            raise DatabaseUnavailable from exc
        return conn

    def connect(self) -> pymysql.connections.Connection[pymysql.cursors.DictCursor]:
        """A new connection of the caller's own, set up as the pooled ones are."""
        return self._connect()

    def _connection(self) -> pymysql.connections.Connection[pymysql.cursors.DictCursor]:
        conn = getattr(self._local, "conn", None)
        now = time.monotonic()
        if conn is not None and now - self._local.last_used > IDLE_PING_SECONDS:
            try:
                conn.ping(reconnect=False)
            except pymysql.MySQLError:
                self.discard()
                conn = None
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            # get_server_info is unannotated in types-PyMySQL; it returns a str.
            server: str = conn.get_server_info()  # type: ignore[no-untyped-call]
            self._local.prepared = PreparedStatements(
                conn, self.prepare and executes_with_values(server)
            )
        self._local.last_used = now
        return conn

    def discard(self) -> None:
        """Close and forget this thread's connection."""
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            # It is already broken; closing is a courtesy and may fail too.
            with contextlib.suppress(Exception):
                conn.close()

    def run_script(self, statements: list[str]) -> None:
        """Run the statements of a top-level script (schema.sql) in order."""
        conn = self._connection()
        with conn.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    def run(self, name: str, params: dict[str, Any], *, retry: bool = True) -> Any:
        """Run a registered query; rows, one row or the affected count, by its header."""
        query = self.queries[name]
        if set(params) != query.params:
            raise TypeError(f"{name} takes {sorted(query.params)}, got {sorted(params)}")
        attempts = 2 if retry else 1
        attempt = 1
        prepared_again = False
        while True:
            conn = self._connection()
            prepared: PreparedStatements = self._local.prepared
            try:
                with conn.cursor() as cursor:
                    text, args = prepared.statement(query, params)
                    affected = cursor.execute(text, args)
                    self.statements_run += 1
                    if query.returns == "nothing":
                        return affected
                    rows = cursor.fetchall()
                return rows if query.returns == "rows" else (rows[0] if rows else None)
            except (pymysql.OperationalError, pymysql.InterfaceError) as exc:
                code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
                if code in TIMEOUT_ERRORS:
                    raise StatementTimeout(name) from exc
                if code == UNKNOWN_STATEMENT and not prepared_again:
                    # The statement never ran: prepare it again, once, and run it.
                    prepared.forget()
                    prepared_again = True
                    continue
                if code not in CONNECTION_ERRORS:
                    raise
                self.discard()
                if attempt == attempts:
                    raise DatabaseUnavailable(name) from exc
                attempt += 1
                log.info("database connection lost during %s; reconnecting", name)


def init_app(app: Flask, queries: dict[str, Query]) -> None:
    """Attach the read and write databases to the app, and answer their failures 503."""
    settings = app.config["AGENTAPI"]
    common = {
        "tls": settings["DATABASE_TLS"],
        "tls_ca": settings["DATABASE_TLS_CA"],
        "connect_timeout": settings["DATABASE_CONNECT_TIMEOUT"],
        "statement_timeout": settings["STATEMENT_TIMEOUT"],
    }
    read = Database(settings["DATABASE"], queries, **common)
    write = (
        read
        if settings["WRITE_DATABASE"] == settings["DATABASE"]
        else Database(settings["WRITE_DATABASE"], queries, **common)
    )
    app.extensions["agentapi.db"] = read
    app.extensions["agentapi.write_db"] = write

    @app.errorhandler(DatabaseUnavailable)
    @app.errorhandler(StatementTimeout)
    def handle_database_down(exc: Exception) -> Response:
        """Database unreachable or too slow: retryable, and said so."""
        return problem_response(service_unavailable("database", exc))


def _run(database: str, name: str, returns: str, params: dict[str, Any]) -> Any:
    db: Database = current_app.extensions[database]
    declared = db.queries[name].returns
    if declared != returns:
        raise TypeError(f"{name} returns {declared}, not {returns}")
    return db.run(name, params, retry=database == "agentapi.db")


def fetch_all(name: str, **params: Any) -> list[dict[str, Any]]:
    """The rows of a registered query whose header says it returns rows."""
    return cast(list[dict[str, Any]], _run("agentapi.db", name, "rows", params))


def fetch_one(name: str, **params: Any) -> dict[str, Any] | None:
    """The one row (or None) of a registered query whose header says it returns a row."""
    return cast(dict[str, Any] | None, _run("agentapi.db", name, "row", params))


def execute_write(name: str, **params: Any) -> int:
    """Run a registered write on the primary, without retry; rows affected."""
    return cast(int, _run("agentapi.write_db", name, "nothing", params))
