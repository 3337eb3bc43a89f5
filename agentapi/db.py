"""Database wiring: a bounded pool of persistent PyMySQL connections, and the query helpers.

A worker serves each client connection in a greenlet of its own (deploy/gunicorn.conf.py):
a connection per thread would be one per client connection there. Instead a statement
borrows one of at most `pool_size` sessions for as long as it runs, and gives it back.
A statement that finds them all busy waits for one, at most its own time limit.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

import pymysql
import pymysql.converters
import pymysql.cursors
from flask import Flask, Response, current_app
from pymysql.constants import FIELD_TYPE

from . import cooperative, rowreader
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


@dataclass
class Session:
    """One pooled connection, its prepared statements, and when it was last used."""

    conn: pymysql.connections.Connection[pymysql.cursors.DictCursor]
    prepared: PreparedStatements
    last_used: float


class Database:
    """A pool of persistent connections to one server, running registered queries."""

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
        pool_size: int = 4,
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
        self.pool_size = pool_size
        # Idle sessions, the most recently used last: it is the one taken next.
        self._idle: list[Session] = []
        self._free = cooperative.bounded_semaphore(pool_size)

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
            # (agentapi/sockettimeouts.py), or with TLS or under gevent, PyMySQL's own
            # per read/write timeouts (it has no public setter).
            timeout = self.statement_timeout + STATEMENT_GRACE
            if conn.kernel_can_limit_waits():
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

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """Borrow a session for one statement (or a few in a row) and give it back.

        Waits for a free one at most the statement time limit (then DatabaseUnavailable).
        A connection that was closed meanwhile, or left mid-answer by an exception that
        is not the server's, is closed and not given back."""
        if not self._free.acquire(timeout=self.statement_timeout + STATEMENT_GRACE):
            log.warning("no free database connection within the statement time limit")
            raise DatabaseUnavailable("pool")
        session: Session | None = None
        try:
            session = self._take_idle()
            if session is None:
                conn = self._connect()
                # get_server_info is unannotated in types-PyMySQL; it returns a str.
                server: str = conn.get_server_info()  # type: ignore[no-untyped-call]
                session = Session(
                    conn,
                    PreparedStatements(conn, self.prepare and executes_with_values(server)),
                    0.0,
                )
            yield session
        except pymysql.MySQLError:
            self._give_back(session)
            raise
        except BaseException:
            if session is not None:
                _close_quietly(session.conn)
            raise
        else:
            self._give_back(session)
        finally:
            self._free.release()

    def _take_idle(self) -> Session | None:
        """The most recently used idle session, pinged first if it sat idle a while."""
        while self._idle:
            session = self._idle.pop()
            if time.monotonic() - session.last_used <= IDLE_PING_SECONDS:
                return session
            try:
                session.conn.ping(reconnect=False)
                return session
            except pymysql.MySQLError:
                _close_quietly(session.conn)
        return None

    def _give_back(self, session: Session | None) -> None:
        """Keep a session for the next statement while its connection is open."""
        if session is not None and session.conn.open:
            session.last_used = time.monotonic()
            self._idle.append(session)

    def close_idle(self) -> None:
        """Close every idle connection (tests; a connection in use is closed when given back
        only if broken)."""
        while self._idle:
            _close_quietly(self._idle.pop().conn)

    def run_script(self, statements: list[str]) -> None:
        """Run the statements of a top-level script (schema.sql) in order."""
        with self.session() as session, session.conn.cursor() as cursor:
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
            try:
                with self.session() as session:
                    return self._run_in(session, query, params)
            except (pymysql.OperationalError, pymysql.InterfaceError) as exc:
                code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
                if code in TIMEOUT_ERRORS:
                    raise StatementTimeout(name) from exc
                if code == UNKNOWN_STATEMENT and not prepared_again:
                    # The statement never ran: prepare it again, once, and run it.
                    prepared_again = True
                    continue
                if code not in CONNECTION_ERRORS:
                    raise
                if attempt == attempts:
                    raise DatabaseUnavailable(name) from exc
                attempt += 1
                log.info("database connection lost during %s; reconnecting", name)

    def _run_in(self, session: Session, query: Query, params: dict[str, Any]) -> Any:
        """Run a registered query on a borrowed session."""
        try:
            with session.conn.cursor() as cursor:
                text, args = session.prepared.statement(query, params)
                affected = cursor.execute(text, args)
                self.statements_run += 1
                if query.returns == "nothing":
                    return affected
                rows = cursor.fetchall()
        except pymysql.MySQLError as exc:
            code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
            if code == UNKNOWN_STATEMENT:
                session.prepared.forget()
            elif code in CONNECTION_ERRORS:
                # Gone, or in an unknown state: not given back to the pool.
                _close_quietly(session.conn)
            raise
        return rows if query.returns == "rows" else (rows[0] if rows else None)


def _close_quietly(conn: pymysql.connections.Connection[Any]) -> None:
    """Close a connection that may already be broken; closing is a courtesy."""
    with contextlib.suppress(Exception):
        conn.close()


def init_app(app: Flask, queries: dict[str, Query]) -> None:
    """Attach the read and write databases to the app, and answer their failures 503."""
    settings = app.config["AGENTAPI"]
    common = {
        "tls": settings["DATABASE_TLS"],
        "tls_ca": settings["DATABASE_TLS_CA"],
        "connect_timeout": settings["DATABASE_CONNECT_TIMEOUT"],
        "statement_timeout": settings["STATEMENT_TIMEOUT"],
        "pool_size": settings["DATABASE_CONNECTIONS"],
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
