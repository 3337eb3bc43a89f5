"""The cursor-signing secret: never guessable, shared by every host, set up by db init."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import shlex
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from agentapi import ConfigError, create_app
from agentapi.cli import main

from .conftest import sql
from .factories import bearer
from .helpers import assert_problem, get_json_ok, url
from .live_server import LiveServer

ROOT = Path(__file__).resolve().parent.parent
ENV_EXAMPLE = ROOT / "deploy" / "agentapi.env.example"
STRONG = "3f9c2a7be1d04c6f8a5b9e2d7c1f0a4b6e8d2c9f1a3b5e7d9c0b2a4f6e8d1c3a"

WEAK = [
    "CHANGE-ME",
    "changeme",
    "secret",
    "example",
    "0123456789abcdef0123456789abcde",  # 31 characters
    "CHANGE-ME-CHANGE-ME-CHANGE-ME-CHANGE-ME",
    "change_me_to_a_long_random_value_please",
    "your-cursor-secret-goes-here-0123456789",
    "example-example-example-example-example",
    "a" * 64,
    "abababababababababababababababab",
]


def cursor_of(client, token) -> str:
    cursor = get_json_ok(client, token, "/businesses", limit=1)["next_cursor"]
    assert cursor
    return cursor


def signature_with(key: bytes, cursor: str) -> bool:
    """Whether the cursor's signature is the HMAC of its payload under this key."""
    body, signature = cursor.split(".")
    payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    expected = hmac.new(key, payload, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(expected).rstrip(b"=").decode() == signature


@pytest.fixture
def stored_secret(sql_conn) -> str:
    (row,) = sql(sql_conn, "SELECT value FROM agentapi_secrets WHERE name = 'cursor'")
    return row["value"]


@pytest.fixture
def without_stored_secret(sql_conn, stored_secret) -> Iterator[None]:
    """The test database as before `agentapi db init` made its secret; restored after."""
    sql(sql_conn, "DELETE FROM agentapi_secrets WHERE name = 'cursor'")
    try:
        yield
    finally:
        sql(
            sql_conn,
            "REPLACE INTO agentapi_secrets (name, value, created_at)"
            " VALUES ('cursor', %s, UTC_TIMESTAMP(6))",
            stored_secret,
        )


@pytest.mark.parametrize("value", WEAK)
def test_a_weak_or_placeholder_cursor_secret_stops_the_app(make_app, value):
    with pytest.raises(ConfigError) as caught:
        make_app(CURSOR_SECRET=value)
    message = str(caught.value)
    assert message.startswith("AGENTAPI_CURSOR_SECRET ")
    assert "\n" not in message
    assert value not in message  # a weak secret may still be someone's real one


def test_the_shipped_environment_file_starts_with_its_cursor_secret(monkeypatch, database_url):
    """deploy/agentapi.env.example as shipped must not pass a placeholder to the app."""
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.fullmatch(r"(AGENTAPI_[A-Z_]+)=(.*)", line)
        if match:
            monkeypatch.setenv(
                match.group(1), shlex.split(match.group(2))[0] if match.group(2) else ""
            )
    monkeypatch.setenv("AGENTAPI_DATABASE_URL", database_url)
    app = create_app({"TESTING": True})
    assert app.config["AGENTAPI"]["CURSOR_SECRET"] is None  # the database's own


def test_the_cursor_secret_is_not_derived_from_the_database_url(
    client, token, two_businesses, stored_secret, database_url
):
    cursor = cursor_of(client, token)
    derived = hashlib.sha256(b"agentapi-cursor:" + database_url.encode()).hexdigest()
    assert not signature_with(derived.encode(), cursor)
    assert signature_with(stored_secret.encode(), cursor)
    assert re.fullmatch(r"[0-9a-f]{64}", stored_secret)


def test_a_configured_cursor_secret_signs_instead_of_the_stored_one(
    make_app, factory, two_businesses, stored_secret
):
    token = factory.key()
    cursor = cursor_of(make_app(CURSOR_SECRET=STRONG).test_client(), token)
    assert signature_with(STRONG.encode(), cursor)
    assert not signature_with(stored_secret.encode(), cursor)


def test_db_init_makes_the_secret_once_and_keeps_it(database_url, sql_conn, stored_secret):
    for _ in range(2):
        result = CliRunner().invoke(
            main, ["db", "init"], env={"AGENTAPI_DATABASE_URL": database_url}
        )
        assert result.exit_code == 0, result.output
    rows = sql(sql_conn, "SELECT name, value FROM agentapi_secrets")
    assert rows == [{"name": "cursor", "value": stored_secret}]


def test_two_gunicorn_hosts_on_one_database_share_the_cursor_secret(
    tmp_path, database_url, factory, two_businesses
):
    token = factory.key()

    def get(server, cursor=None):
        query = "?limit=1" + (f"&cursor={cursor}" if cursor else "")
        request = urllib.request.Request(server.url("/businesses") + query, headers=bearer(token))
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())

    with (
        LiveServer(tmp_path / "one.log", DATABASE_URL=database_url) as one,
        LiveServer(tmp_path / "two.log", DATABASE_URL=database_url) as two,
    ):
        status, first = get(one)
        assert status == 200 and first["next_cursor"]
        status, second = get(two, first["next_cursor"])
        assert status == 200
        assert second["data"][0]["id"] == max(two_businesses[n]["business"]["id"] for n in "AB")


def test_the_stored_secret_is_read_once_per_process(app, client, token, two_businesses):
    database = app.extensions["agentapi.db"]
    # One page that needs no cursor first: the key's last_used_at write is then behind us.
    assert client.get(url("/businesses"), headers=bearer(token)).status_code == 200
    counts = []
    for _ in range(3):
        before = database.statements_run
        cursor_of(client, token)
        counts.append(database.statements_run - before)
    # The first page also reads the secret; later ones run only the page (the key is kept).
    assert counts[0] == counts[2] + 1 and counts[1] == counts[2], counts


@pytest.mark.usefixtures("without_stored_secret")
def test_without_any_cursor_secret_cursor_use_is_503_and_the_log_says_what_to_do(
    client, token, two_businesses, caplog
):
    with caplog.at_level(logging.ERROR, logger="agentapi.secret"):
        # A page with a next page needs a cursor signed...
        response = client.get(url("/businesses"), query_string={"limit": 1}, headers=bearer(token))
        assert_problem(response, 503, "service_unavailable")
        # ...and so does a cursor sent in.
        response = client.get(
            url("/businesses"),
            query_string={"cursor": "e30.AAAAAAAAAAAAAAAAAAAAAA"},
            headers=bearer(token),
        )
        assert_problem(response, 503, "service_unavailable")
    messages = [r.getMessage() for r in caplog.records]
    assert any("agentapi db init" in m and "AGENTAPI_CURSOR_SECRET" in m for m in messages)
    # A list that fits one page needs no cursor, and is answered.
    response = client.get(url("/businesses"), headers=bearer(token))
    assert response.status_code == 200


@pytest.mark.usefixtures("without_stored_secret")
def test_the_secret_is_read_once_db_init_has_made_it(database_url, client, token, two_businesses):
    response = client.get(url("/businesses"), query_string={"limit": 1}, headers=bearer(token))
    assert response.status_code == 503
    result = CliRunner().invoke(main, ["db", "init"], env={"AGENTAPI_DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    # The same process, no restart: a missing secret is not cached.
    assert cursor_of(client, token)
