"""The `agentapi` command: keys create/list/revoke, db init, demo seed."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from agentapi.cli import main

from .conftest import sql
from .factories import bearer
from .helpers import assert_problem, url

TOKEN = re.compile(r"vb_[a-z0-9]{8}_[A-Za-z0-9]{32}")
ALL = "businesses:read,invoices:read,services:read,availability:read"
AGENTAPI = Path(sys.executable).with_name("agentapi")


@pytest.fixture
def cli(database_url):
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(
            main, list(args), env={"AGENTAPI_DATABASE_URL": database_url}, catch_exceptions=False
        )

    return invoke


def create(cli, *extra, scopes=ALL, name="report"):
    result = cli("keys", "create", "--name", name, "--scopes", scopes, *extra)
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()[-1]


def key_row(sql_conn, token):
    (row,) = sql(sql_conn, "SELECT * FROM api_keys WHERE prefix = %s", token[3:11])
    return row


def test_keys_create_prints_the_token_as_the_last_line(cli):
    token = create(cli)
    assert TOKEN.fullmatch(token)


def test_keys_create_stores_only_the_sha256_of_the_token(cli, sql_conn):
    token = create(cli)
    row = key_row(sql_conn, token)
    assert row["key_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token[12:] not in str(row)


def test_keys_create_stores_name_and_scopes(cli, sql_conn):
    token = create(cli, scopes="invoices:read,services:read", name="monthly report")
    row = key_row(sql_conn, token)
    assert row["name"] == "monthly report"
    assert row["scopes"].split() == ["invoices:read", "services:read"]
    assert row["expires_at"] is None and row["revoked_at"] is None


def test_a_created_key_works_with_its_scopes(cli, client, factory):
    token = create(cli, scopes="businesses:read")
    assert client.get(url("/businesses"), headers=bearer(token)).status_code == 200
    business = factory.business()
    response = client.get(
        url("/invoices"), query_string={"business_id": business["id"]}, headers=bearer(token)
    )
    assert response.status_code == 403


def test_keys_create_with_business_restricts_the_key(cli, client, factory, sql_conn):
    mine, other, third = factory.business(), factory.business(), factory.business()
    token = create(cli, "--business", mine["id"], "--business", third["id"])
    rows = sql(
        sql_conn,
        "SELECT b.business_id FROM api_key_businesses b JOIN api_keys k ON k.id = b.api_key_id"
        " WHERE k.prefix = %s ORDER BY b.business_id",
        token[3:11],
    )
    assert [r["business_id"] for r in rows] == sorted([mine["id"], third["id"]])
    listed = client.get(url("/businesses"), headers=bearer(token)).get_json()["data"]
    assert other["id"] not in {b["id"] for b in listed}


def test_keys_create_with_an_unknown_business_fails(cli, sql_conn):
    result = cli("keys", "create", "--name", "x", "--scopes", ALL, "--business", "NOSUCH")
    assert result.exit_code != 0
    assert "NOSUCH" in result.output
    assert sql(sql_conn, "SELECT COUNT(*) AS n FROM api_keys")[0]["n"] == 0


@pytest.mark.parametrize("bad", ["lowercase", "ab-c", "A" * 27, "١٢"])
def test_keys_create_refuses_a_business_id_the_api_would_never_accept(cli, factory, sql_conn, bad):
    business = factory.business()
    if bad == "lowercase":
        # The collation finds the business whatever the case; the API's id check would not.
        bad = business["id"].lower()
    result = cli("keys", "create", "--name", "x", "--scopes", ALL, "--business", bad)
    assert result.exit_code != 0
    assert repr(bad) in result.output
    assert "0-9 and A-Z" in result.output
    assert not TOKEN.search(result.output)
    assert sql(sql_conn, "SELECT COUNT(*) AS n FROM api_keys")[0]["n"] == 0
    assert sql(sql_conn, "SELECT COUNT(*) AS n FROM api_key_businesses")[0]["n"] == 0


def test_keys_create_with_expires_in_sets_the_expiry(cli, sql_conn):
    before = datetime.now(UTC).replace(tzinfo=None)
    token = create(cli, "--expires-in", "2")
    expires = key_row(sql_conn, token)["expires_at"]
    assert before + timedelta(days=2) <= expires <= before + timedelta(days=2, minutes=1)


def test_an_expired_key_created_by_the_cli_is_refused(cli, client, sql_conn):
    token = create(cli, "--expires-in", "1")
    sql(
        sql_conn,
        "UPDATE api_keys SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE prefix = %s",
        token[3:11],
    )
    assert client.get(url("/businesses"), headers=bearer(token)).status_code == 401


@pytest.mark.parametrize("expires", ["0", "-1", "soon"])
def test_keys_create_with_a_bad_expiry_fails(cli, sql_conn, expires):
    result = cli("keys", "create", "--name", "x", "--scopes", ALL, "--expires-in", expires)
    assert result.exit_code != 0
    assert sql(sql_conn, "SELECT COUNT(*) AS n FROM api_keys")[0]["n"] == 0


@pytest.mark.parametrize("scopes", ["invoices:write", "invoices:read,admin", "", ","])
def test_keys_create_with_a_bad_scope_fails(cli, sql_conn, scopes):
    result = cli("keys", "create", "--name", "x", "--scopes", scopes)
    assert result.exit_code != 0
    assert "scopes" in result.output
    assert not TOKEN.search(result.output)
    assert sql(sql_conn, "SELECT COUNT(*) AS n FROM api_keys")[0]["n"] == 0


def test_keys_list_shows_the_public_facts(cli, factory):
    business = factory.business()
    restricted = create(cli, "--business", business["id"], scopes="invoices:read", name="alpha")
    open_key = create(cli, name="beta")
    cli("keys", "revoke", open_key[3:11])
    result = cli("keys", "list")
    assert result.exit_code == 0
    header, *lines = result.stdout.splitlines()
    assert header.split("\t") == [
        "prefix",
        "name",
        "scopes",
        "businesses",
        "created",
        "expires",
        "last_used",
        "status",
    ]
    rows = {line.split("\t")[0]: line.split("\t") for line in lines}
    first = rows[restricted[3:11]]
    assert first[1:4] == ["alpha", "invoices:read", business["id"]]
    assert first[7] == "active"
    second = rows[open_key[3:11]]
    assert second[3] == "*"
    assert second[7] == "revoked"


def test_keys_list_never_shows_a_hash_or_a_token(cli, sql_conn):
    token = create(cli)
    output = cli("keys", "list").output
    assert token not in output
    assert token[12:] not in output
    assert key_row(sql_conn, token)["key_hash"] not in output


def test_keys_list_shows_expired_keys_as_expired(cli, sql_conn):
    token = create(cli, "--expires-in", "1")
    sql(
        sql_conn,
        "UPDATE api_keys SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE prefix = %s",
        token[3:11],
    )
    line = next(x for x in cli("keys", "list").stdout.splitlines() if x.startswith(token[3:11]))
    assert line.split("\t")[7] == "expired"


def test_keys_revoke_stops_the_key_once_the_key_cache_lets_go(app, cli, client):
    token = create(cli)
    assert client.get(url("/businesses"), headers=bearer(token)).status_code == 200
    result = cli("keys", "revoke", token[3:11])
    assert result.exit_code == 0
    time.sleep(app.config["AGENTAPI"]["KEY_CACHE_SECONDS"])
    response = client.get(url("/businesses"), headers=bearer(token))
    assert_problem(response, 401, "invalid_token")


@pytest.mark.parametrize("prefix", ["zzzzzzzz", "revoked"])
def test_keys_revoke_of_an_unknown_or_revoked_key_fails(cli, prefix):
    if prefix == "revoked":
        prefix = create(cli)[3:11]
        assert cli("keys", "revoke", prefix).exit_code == 0
    result = cli("keys", "revoke", prefix)
    assert result.exit_code != 0
    assert prefix in result.output


def test_db_init_is_idempotent_and_keeps_data(cli, factory, sql_conn):
    business = factory.business()
    for _ in range(2):
        result = cli("db", "init")
        assert result.exit_code == 0, result.output
    assert sql(sql_conn, "SELECT id FROM businesses") == [{"id": business["id"]}]


def test_demo_seed_twice_creates_the_demo_tenant_with_every_status(cli, sql_conn):
    for _ in range(2):
        result = cli("demo", "seed")
        assert result.exit_code == 0, result.output
    (tenant,) = sql(sql_conn, "SELECT id FROM businesses WHERE id = '01HTENANT0000000000000000'")
    assert tenant
    statuses = sql(
        sql_conn,
        "SELECT status, COUNT(*) AS n FROM invoices WHERE business_id = %s GROUP BY status",
        "01HTENANT0000000000000000",
    )
    assert {r["status"] for r in statuses} == {"draft", "sent", "paid", "void"}
    counts = sql(
        sql_conn,
        "SELECT (SELECT COUNT(*) FROM businesses) AS b, (SELECT COUNT(*) FROM invoices) AS i,"
        " (SELECT COUNT(*) FROM invoice_items) AS it, (SELECT COUNT(*) FROM services) AS s,"
        " (SELECT COUNT(*) FROM invoice_templates) AS t",
    )[0]
    # The same rows after the second run as after the first.
    assert result.stdout.startswith(f"{counts['b']} businesses, {counts['i']} invoices")
    assert counts["t"] > 0 and counts["s"] > 0 and counts["it"] > 0


def test_demo_seed_writes_no_timestamps_in_the_future(cli, sql_conn):
    assert cli("demo", "seed").exit_code == 0
    future = sql(
        sql_conn,
        "SELECT COUNT(*) AS n FROM invoices WHERE created_at > UTC_TIMESTAMP(6)"
        " OR updated_at > UTC_TIMESTAMP(6) OR paid_at > UTC_TIMESTAMP(6)",
    )[0]["n"]
    assert future == 0
    disordered = sql(
        sql_conn,
        "SELECT COUNT(*) AS n FROM invoices WHERE updated_at < created_at"
        " OR paid_at < created_at OR paid_at > updated_at",
    )[0]["n"]
    assert disordered == 0


def test_demo_seed_has_availability_for_the_next_30_days(cli, client, factory):
    assert cli("demo", "seed").exit_code == 0
    token = factory.key()
    response = client.get(
        url("/availability"),
        query_string={"business_id": "01HTENANT0000000000000000"},
        headers=bearer(token),
    )
    assert response.status_code == 200
    assert response.get_json()["data"]


def test_an_unreachable_database_is_one_line_not_a_trace(tmp_path):
    env = {**os.environ, "AGENTAPI_DATABASE_URL": "mysql://root@127.0.0.1:1/agentapi_none"}
    result = subprocess.run(
        [str(AGENTAPI), "keys", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "AGENTAPI_DATABASE_URL" in result.stderr.strip().splitlines()[-1]
