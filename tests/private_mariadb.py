"""A private MariaDB server for tests that must stop, restart or abuse their database.

Started from the installed server binary, in a temp data dir, on a temp socket and
a free loopback port; a password user so that leak checks have a secret to look for.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pymysql

from agentapi.config import parse_database_url
from agentapi.db import Database
from agentapi.dbinit import init_database
from agentapi.sqlfiles import load_queries

from .deploy_support import free_port

INSTALL_DB = shutil.which("mariadb-install-db") or "/usr/bin/mariadb-install-db"
SERVER = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
# Small and quick: a test server holds a few thousand rows.
SERVER_OPTIONS = [
    "--no-defaults",
    "--innodb-buffer-pool-size=32M",
    "--innodb-log-file-size=8M",
    "--skip-name-resolve",
    "--skip-log-bin",
    "--character-set-server=utf8mb4",
    "--collation-server=utf8mb4_unicode_ci",
]
USER = "agentapi"
DATABASE = "agentapi_private"


class PrivateMariaDB:
    """One mariadbd of our own: install, start, stop, start again, remove."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.datadir = base / "data"
        self.socket = base / "mysqld.sock"
        self.log = base / "mariadbd.log"
        self.port = free_port()
        self.password = "pw-" + secrets.token_urlsafe(18)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """DATABASE_URL of the service user, over TCP, with its password."""
        return f"mysql://{USER}:{self.password}@127.0.0.1:{self.port}/{DATABASE}"

    def _user(self) -> str:
        return "root" if os.geteuid() == 0 else os.environ.get("USER", "nobody")

    def install(self) -> PrivateMariaDB:
        """Create the data dir, start the server, make the database, user and tables."""
        self.base.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            subprocess.run(
                [
                    INSTALL_DB,
                    *SERVER_OPTIONS,
                    f"--datadir={self.datadir}",
                    f"--user={self._user()}",
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                ],
                stdout=log,
                stderr=log,
                check=True,
                timeout=120,
            )
        self.start()
        conn = self.root()
        with conn.cursor() as cursor:
            cursor.execute(
                f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            )
            cursor.execute(f"CREATE USER '{USER}'@'127.0.0.1' IDENTIFIED BY %s", (self.password,))
            cursor.execute(f"GRANT ALL ON {DATABASE}.* TO '{USER}'@'127.0.0.1'")
        conn.close()
        init_database(Database(parse_database_url("DATABASE_URL", self.url), load_queries()))
        return self

    def start(self, timeout: float = 30.0) -> None:
        """Start mariadbd on our socket and port and wait until it accepts connections."""
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [
                    SERVER,
                    *SERVER_OPTIONS,
                    f"--datadir={self.datadir}",
                    f"--socket={self.socket}",
                    f"--port={self.port}",
                    "--bind-address=127.0.0.1",
                    f"--pid-file={self.base / 'mysqld.pid'}",
                    f"--user={self._user()}",
                ],
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mariadbd exited: {self.log.read_text()[-2000:]}")
            try:
                self.root().close()
                return
            except pymysql.MySQLError:
                time.sleep(0.1)
        raise RuntimeError(f"mariadbd did not start: {self.log.read_text()[-2000:]}")

    def freeze(self) -> None:
        """SIGSTOP: the server keeps its sockets open and answers nothing."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT after freeze(); harmless when the server was not frozen."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """Shut the server down cleanly and wait for it to exit."""
        if self.process is None or self.process.poll() is not None:
            return
        self.thaw()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def root(self, database: str | None = None) -> pymysql.connections.Connection:
        """A root connection over the private socket."""
        return pymysql.connect(
            unix_socket=str(self.socket),
            user="root",
            password="",
            database=database,
            autocommit=True,
            connect_timeout=2,
            cursorclass=pymysql.cursors.DictCursor,
        )

    def remove(self) -> None:
        """Stop the server and delete its files."""
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)
