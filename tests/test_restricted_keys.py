"""A key made for some businesses stays restricted when they are gone: it reads nothing."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pymysql
import pytest
from click.testing import CliRunner

from agentapi import create_app
from agentapi.cli import main
from agentapi.config import parse_database_url
from agentapi.tokens import hash_token

from .conftest import sql
from .factories import bearer
from .helpers import BUSINESS_ROUTES, assert_problem, get_json_ok, route_params, url

# api_keys as `agentapi db init` made it before keys carried their restriction.
OLD_API_KEYS = """
CREATE TABLE api_keys (
  id CHAR(26) NOT NULL,
  name VARCHAR(100) NOT NULL,
  prefix CHAR(8) NOT NULL,
  key_hash CHAR(64) NOT NULL,
  scopes VARCHAR(255) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  expires_at DATETIME(6) NULL,
  revoked_at DATETIME(6) NULL,
  last_used_at DATETIME(6) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_api_keys_prefix (prefix)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
"""
ALL = "businesses:read invoices:read services:read availability:read"


def listed_ids(client, token) -> set[str]:
    return {b["id"] for b in get_json_ok(client, token, "/businesses")["data"]}


def assert_reads_nothing(client, token, *business_ids: str) -> None:
    assert listed_ids(client, token) == set()
    for business_id in business_ids:
        for path in BUSINESS_ROUTES:
            response = client.get(
                url(path), query_string=route_params(path, business_id), headers=bearer(token)
            )
            assert_problem(response, 404, "not_found")


@pytest.mark.parametrize("how", ["unlinked", "business hard-deleted"])
def test_a_restricted_key_reads_nothing_once_its_businesses_are_gone(
    app, client, factory, sql_conn, how
):
    mine, other = factory.business(), factory.business()
    token = factory.key(businesses=(mine["id"],))
    assert listed_ids(client, token) == {mine["id"]}
    # What the PHP side does: there is no foreign key to stop it.
    if how == "unlinked":
        sql(sql_conn, "DELETE FROM api_key_businesses WHERE business_id = %s", mine["id"])
    else:
        sql(sql_conn, "DELETE FROM businesses WHERE id = %s", mine["id"])
        sql(sql_conn, "DELETE FROM api_key_businesses WHERE business_id = %s", mine["id"])
    # A key's businesses, like its revocation, are read again within the key cache time.
    time.sleep(app.config["AGENTAPI"]["KEY_CACHE_SECONDS"])
    assert_reads_nothing(client, token, mine["id"], other["id"])


def test_an_unrestricted_key_still_reads_every_business(client, factory, token):
    first, second = factory.business(), factory.business()
    assert listed_ids(client, token) == {first["id"], second["id"]}


def test_keys_create_marks_only_keys_with_businesses_restricted(factory, sql_conn):
    business = factory.business()
    open_token = factory.key()
    restricted_token = factory.key(businesses=(business["id"],))
    rows = {
        r["prefix"]: r["restricted"]
        for r in sql(sql_conn, "SELECT prefix, restricted FROM api_keys")
    }
    assert rows == {open_token[3:11]: 0, restricted_token[3:11]: 1}


def test_keys_list_shows_a_restricted_key_without_businesses_as_none(
    database_url, factory, sql_conn
):
    business = factory.business()
    token = factory.key(businesses=(business["id"],))
    sql(sql_conn, "DELETE FROM api_key_businesses")
    result = CliRunner().invoke(main, ["keys", "list"], env={"AGENTAPI_DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    (line,) = [x for x in result.stdout.splitlines() if x.startswith(token[3:11])]
    assert line.split("\t")[3] == "none"


@pytest.fixture
def old_database(database_url: str) -> Iterator[tuple[str, pymysql.connections.Connection]]:
    """A database of its own whose api_keys predates the restricted column."""
    name = f"{parse_database_url('TEST', database_url).database}_old"
    url = urlunsplit(urlsplit(database_url)._replace(path=f"/{name}"))
    server = parse_database_url("TEST", url).connect_kwargs()
    server.pop("database")
    conn = pymysql.connect(**server, autocommit=True, cursorclass=pymysql.cursors.DictCursor)
    with conn.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        cursor.execute(f"USE `{name}`")
        cursor.execute(OLD_API_KEYS)
        cursor.execute(
            "CREATE TABLE api_key_businesses (api_key_id CHAR(26) NOT NULL,"
            " business_id CHAR(26) NOT NULL, PRIMARY KEY (api_key_id, business_id))"
        )
    try:
        yield url, conn
    finally:
        with conn.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


def _old_key(conn, prefix: str) -> str:
    token = f"vb_{prefix}_{secrets.token_hex(16)}"
    sql(
        conn,
        "INSERT INTO api_keys (id, name, prefix, key_hash, scopes, created_at)"
        " VALUES (%s, 'old', %s, %s, %s, UTC_TIMESTAMP(6))",
        prefix.upper().ljust(26, "0"),
        prefix,
        hash_token(token),
        ALL,
    )
    return token


def test_db_init_adds_the_column_and_marks_linked_keys_restricted(old_database):
    url, conn = old_database
    linked = _old_key(conn, "linked00")
    open_key = _old_key(conn, "open0000")
    sql(conn, "INSERT INTO api_key_businesses VALUES (%s, %s)", "LINKED00".ljust(26, "0"), "B1")
    for _ in range(2):  # idempotent: a second run changes nothing and does not fail
        init = CliRunner().invoke(main, ["db", "init"], env={"AGENTAPI_DATABASE_URL": url})
        assert init.exit_code == 0, init.output
    flags = {
        r["prefix"]: r["restricted"] for r in sql(conn, "SELECT prefix, restricted FROM api_keys")
    }
    assert flags == {"linked00": 1, "open0000": 0}
    # The business link disappears; the migrated key stays restricted.
    sql(conn, "DELETE FROM api_key_businesses")
    client = create_app({"DATABASE_URL": url, "TESTING": True}).test_client()
    sql(
        conn,
        "INSERT INTO businesses (id, name, currency, timezone, created_at, updated_at)"
        " VALUES ('B1', 'One', 'EUR', 'UTC', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))",
    )
    assert listed_ids(client, linked) == set()
    assert listed_ids(client, open_key) == {"B1"}
