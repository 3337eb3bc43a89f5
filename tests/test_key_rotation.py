"""Rotating a key with an overlap (`keys expire`) and revoking one (`keys revoke`)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from agentapi.cli import main

from .conftest import sql
from .helpers import get


@pytest.fixture
def cli(database_url):
    runner = CliRunner()

    def run(*args):
        return runner.invoke(main, list(args), env={"AGENTAPI_DATABASE_URL": database_url})

    return run


def status(client, token):
    return get(client, token, "/businesses").status_code


def test_rotation_overlap_keeps_both_keys_working_until_the_old_one_expires(client, factory, cli):
    old = factory.key(name="old")
    new = factory.key(name="new")
    result = cli("keys", "expire", old[3:11], "--in", "0.00003")  # about 2.6 s
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{old[3:11]} expires at ")
    assert status(client, old) == 200 and status(client, new) == 200
    time.sleep(3)
    assert status(client, old) == 401
    assert status(client, new) == 200


def test_expire_sets_the_expiry_days_from_now(cli, factory, sql_conn):
    token = factory.key()
    assert cli("keys", "expire", token[3:11], "--in", "7").exit_code == 0
    (row,) = sql(sql_conn, "SELECT expires_at FROM api_keys WHERE prefix = %s", token[3:11])
    expected = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=7)
    assert abs(row["expires_at"] - expected) < timedelta(seconds=5)


def test_expire_never_extends_a_key(cli, factory, sql_conn):
    token = factory.key(expires_in_days=1)
    (before,) = sql(sql_conn, "SELECT expires_at FROM api_keys WHERE prefix = %s", token[3:11])
    assert cli("keys", "expire", token[3:11], "--in", "30").exit_code == 0
    (after,) = sql(sql_conn, "SELECT expires_at FROM api_keys WHERE prefix = %s", token[3:11])
    assert after == before


def test_expire_refuses_a_revoked_or_unknown_key(cli, factory):
    token = factory.key()
    assert cli("keys", "revoke", token[3:11]).exit_code == 0
    revoked = cli("keys", "expire", token[3:11], "--in", "1")
    assert revoked.exit_code != 0 and "no live key" in revoked.output
    assert cli("keys", "expire", "zzzzzzzz", "--in", "1").exit_code != 0


def test_revoke_stops_a_key_within_the_key_cache_time(app, client, factory, cli):
    token = factory.key()
    assert status(client, token) == 200  # verified now, and kept for KEY_CACHE_SECONDS
    assert cli("keys", "revoke", token[3:11]).exit_code == 0
    revoked_at = time.monotonic()
    ttl = app.config["AGENTAPI"]["KEY_CACHE_SECONDS"]
    assert 0 < ttl <= 1
    while status(client, token) == 200:
        assert time.monotonic() - revoked_at < ttl, "a revoked key outlived the key cache"
        time.sleep(0.02)
    assert status(client, token) == 401


def test_a_key_is_looked_up_once_per_cache_time_and_expiry_still_applies_at_once(
    app, client, factory, sql_conn
):
    token = factory.key()
    database = app.extensions["agentapi.db"]
    assert status(client, token) == 200
    before = database.statements_run
    assert [status(client, token) for _ in range(5)] == [200] * 5
    assert database.statements_run - before == 5  # the pages only: no key lookups
    # An expiry moved forward is not seen while the key is kept; once past the kept
    # expires_at, the key fails at once, whatever the cache.
    ttl = app.config["AGENTAPI"]["KEY_CACHE_SECONDS"]
    expires = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=ttl + 0.3)
    sql(sql_conn, "UPDATE api_keys SET expires_at = %s WHERE prefix = %s", expires, token[3:11])
    time.sleep(ttl)
    assert status(client, token) == 200  # read again (expires in a moment) and kept
    while datetime.now(UTC).replace(tzinfo=None) < expires:
        time.sleep(0.02)
    assert status(client, token) == 401  # within the cache time, yet expired


def test_keys_list_never_prints_hashes_or_tokens(cli, factory, sql_conn):
    token = factory.key()
    (row,) = sql(sql_conn, "SELECT key_hash FROM api_keys WHERE prefix = %s", token[3:11])
    output = cli("keys", "list").output
    assert token[3:11] in output
    assert row["key_hash"] not in output and token not in output and token[12:] not in output
