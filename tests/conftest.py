"""Fixtures: a throwaway database for the run, a fresh app per test, keys and factories."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pymysql
import pytest

from agentapi import create_app
from agentapi.config import parse_database_url
from agentapi.db import Database
from agentapi.dbinit import init_database
from agentapi.sqlfiles import load_queries

from .factories import Factory
from .private_mariadb import PrivateMariaDB

DEFAULT_TEST_URL = "mysql://root@localhost/agentapi_test?unix_socket=/run/mysqld/mysqld.sock"
TABLES = (
    "businesses",
    "invoice_templates",
    "invoices",
    "invoice_items",
    "services",
    "availability_slots",
    "api_keys",
    "api_key_businesses",
)


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A database made for this run (its name: the configured one plus a random suffix)."""
    base = os.environ.get("AGENTAPI_TEST_DATABASE_URL", DEFAULT_TEST_URL)
    name = f"{parse_database_url('TEST_DATABASE_URL', base).database}_{secrets.token_hex(4)}"
    url = _with_database(base, name)
    target = parse_database_url("TEST_DATABASE_URL", url)
    server = target.connect_kwargs()
    server.pop("database")
    conn = pymysql.connect(**server, autocommit=True)
    with conn.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    try:
        # The same path as `agentapi db init`: tables, migrations and the cursor secret.
        init_database(Database(target, load_queries()))
        yield url
    finally:
        with conn.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


@pytest.fixture(scope="session")
def sql_conn(database_url: str) -> Iterator[pymysql.connections.Connection]:
    """A plain connection to the test database, for arranging and checking state."""
    target = parse_database_url("TEST_DATABASE_URL", database_url)
    conn = pymysql.connect(
        **target.connect_kwargs(), autocommit=True, cursorclass=pymysql.cursors.DictCursor
    )
    yield conn
    conn.close()


@pytest.fixture(autouse=True)
def _empty_tables(request: pytest.FixtureRequest) -> None:
    """Each test that touches the database starts from empty tables."""
    if "database_url" not in request.fixturenames:
        return
    conn = request.getfixturevalue("sql_conn")
    with conn.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"DELETE FROM {table}")


@pytest.fixture
def make_app(database_url: str):
    """Build an app against the test database with extra settings."""

    def build(**overrides):
        settings = {"DATABASE_URL": database_url, "TESTING": True, **overrides}
        return create_app(settings)

    return build


@pytest.fixture
def app(make_app):
    """The app with default settings but a generous rate limit."""
    return make_app(RATE_LIMIT="10000 per minute")


@pytest.fixture
def client(app):
    """Flask's test client: the real WSGI stack, in process."""
    return app.test_client()


@pytest.fixture
def factory(database_url: str) -> Factory:
    """Small builders for businesses, invoices, services, slots and keys."""
    target = parse_database_url("TEST_DATABASE_URL", database_url)
    return Factory(Database(target, load_queries()))


@pytest.fixture
def business(factory) -> dict:
    """A live business."""
    return factory.business()


@pytest.fixture
def token(factory) -> str:
    """A key with every scope, readable for every business."""
    return factory.key()


@pytest.fixture
def two_businesses(factory) -> dict:
    """Businesses "A" and "B", and two keys: "restricted" (to A) and "unrestricted".

    Each business has a template, two invoices, two services and two slots; its entry
    is {"business": row, "service": the first service, "template": row}. Every name,
    number and service name carries the business's letter, so a leak is easy to find.
    """
    made: dict = {}
    for name in ("A", "B"):
        business = factory.business(name=name)
        template = factory.template(business["id"], name=f"tpl {name}")
        service = factory.service(business["id"], name=f"svc {name}")
        factory.service(business["id"], name=f"svc {name} 2")
        for n in range(2):
            factory.invoice(business["id"], number=f"{name}-{n}")
            factory.slot(business["id"], service_id=service["id"])
        made[name] = {"business": business, "service": service, "template": template}
    made["restricted"] = factory.key(businesses=(made["A"]["business"]["id"],))
    made["unrestricted"] = factory.key()
    return made


@pytest.fixture(scope="module")
def mariadb(tmp_path_factory) -> Iterator[PrivateMariaDB]:
    """A private MariaDB server of the module's own, for tests that stop or break one."""
    server = PrivateMariaDB(tmp_path_factory.mktemp("mariadb")).install()
    yield server
    server.remove()


def sql(conn, statement: str, *params):
    """Run one statement on the test database; rows as dicts."""
    with conn.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()
