"""Database faults on a private MariaDB that the tests stop, freeze, kill and restart."""

from __future__ import annotations

import collections
import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from agentapi import create_app, logs
from agentapi.config import parse_database_url
from agentapi.db import Database
from agentapi.sqlfiles import Query, load_queries

from .factories import Factory, bearer
from .helpers import assert_problem, get, url
from .live_server import LiveServer

CONNECT_TIMEOUT = 2.0


@pytest.fixture(autouse=True)
def _running(mariadb):
    """Every test starts and ends with the private server up and unfrozen."""
    if mariadb.process.poll() is not None:
        mariadb.start()
    yield
    mariadb.thaw()
    if mariadb.process.poll() is not None:
        mariadb.start()


@pytest.fixture
def private_factory(mariadb):
    return Factory(Database(parse_database_url("DATABASE_URL", mariadb.url), load_queries()))


@pytest.fixture
def business(private_factory):
    return private_factory.business()


@pytest.fixture
def token(private_factory):
    return private_factory.key()


def build_app(mariadb, **settings):
    return create_app(
        {
            "DATABASE_URL": mariadb.url,
            "DATABASE_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT),
            "RATE_LIMIT": "100000 per minute",
            "TESTING": True,
            **settings,
        }
    )


def services(client, token, business):
    started = time.monotonic()
    response = get(client, token, "/services", business_id=business["id"])
    return response, time.monotonic() - started


def assert_retryable_503(response):
    assert_problem(response, 503, "service_unavailable")
    assert int(response.headers["Retry-After"]) > 0


def test_database_stopped_answers_503_problem_with_retry_after(mariadb, business, token):
    client = build_app(mariadb).test_client()
    assert services(client, token, business)[0].status_code == 200
    mariadb.stop()
    response, elapsed = services(client, token, business)
    assert_retryable_503(response)
    assert elapsed < CONNECT_TIMEOUT + 1


def test_frozen_database_answers_503_within_the_connect_timeout(mariadb, business, token):
    # A server that accepts TCP connections but never answers: the worst case for a hang.
    client = build_app(mariadb).test_client()
    mariadb.freeze()
    response, elapsed = services(client, token, business)
    assert_retryable_503(response)
    assert elapsed < CONNECT_TIMEOUT + 1.5


def test_frozen_database_under_an_open_connection_answers_503_without_hanging(
    mariadb, business, token
):
    client = build_app(mariadb, STATEMENT_TIMEOUT="1").test_client()
    assert services(client, token, business)[0].status_code == 200
    mariadb.freeze()
    response, elapsed = services(client, token, business)
    assert_retryable_503(response)
    # The socket gives up 2 s after the statement limit; the one reconnect, at connect timeout.
    assert elapsed < 1 + 2 + CONNECT_TIMEOUT + 1


def test_health_answers_503_when_the_database_is_down(mariadb):
    client = build_app(mariadb).test_client()
    mariadb.stop()
    response = client.get(url("/health"))
    assert_retryable_503(response)


def test_next_request_succeeds_when_the_database_is_back(mariadb, business, token):
    client = build_app(mariadb).test_client()
    assert services(client, token, business)[0].status_code == 200
    mariadb.stop()
    assert_retryable_503(services(client, token, business)[0])
    mariadb.start()
    response, _ = services(client, token, business)
    assert response.status_code == 200
    assert response.get_json()["data"] == []


def _service_connections(mariadb) -> list[int]:
    conn = mariadb.root()
    with conn.cursor() as cursor:
        cursor.execute("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = 'agentapi'")
        ids = [row["ID"] for row in cursor.fetchall()]
    conn.close()
    return ids


def test_connection_killed_by_the_server_is_replaced_transparently(
    mariadb, private_factory, business, token
):
    private_factory.service(business["id"])
    client = build_app(mariadb).test_client()
    others = set(_service_connections(mariadb))
    assert services(client, token, business)[0].status_code == 200
    (app_connection,) = set(_service_connections(mariadb)) - others
    conn = mariadb.root()
    with conn.cursor() as cursor:
        cursor.execute("KILL CONNECTION %s", (app_connection,))
    conn.close()
    response, _ = services(client, token, business)
    assert response.status_code == 200
    assert len(response.get_json()["data"]) == 1
    assert app_connection not in _service_connections(mariadb)


def test_connection_closed_by_wait_timeout_is_replaced_transparently(
    mariadb, private_factory, business, token
):
    private_factory.service(business["id"])
    conn = mariadb.root()
    with conn.cursor() as cursor:
        cursor.execute("SET GLOBAL wait_timeout = 1")
    try:
        client = build_app(mariadb).test_client()
        others = set(_service_connections(mariadb))
        assert services(client, token, business)[0].status_code == 200
        (app_connection,) = set(_service_connections(mariadb)) - others
        time.sleep(2.5)  # the server closes the idle connection after 1 s
        assert app_connection not in _service_connections(mariadb)
        response, _ = services(client, token, business)
        assert response.status_code == 200
        assert len(response.get_json()["data"]) == 1
    finally:
        with conn.cursor() as cursor:
            cursor.execute("SET GLOBAL wait_timeout = 28800")
        conn.close()


# A statement that would run for hours: a 10^12-row cross join of the Sequence engine.
SLOW_QUERY = Query(
    name="test_slow_cross_join",
    sql="SELECT COUNT(*) AS n FROM seq_1_to_1000000 a CROSS JOIN seq_1_to_1000000 b",
    params=frozenset(),
    returns="row",
    path=Path("tests/test_db_faults.py"),
)


SLEEP_QUERY = Query(
    name="test_sleep",
    sql="SELECT SLEEP(1.5) AS slept",
    params=frozenset(),
    returns="row",
    path=Path("tests/test_db_faults.py"),
)


def test_slow_statement_is_cut_off_by_the_statement_timeout_with_a_503(
    mariadb, business, token, capsys
):
    app = build_app(mariadb, STATEMENT_TIMEOUT="0.5")
    app.extensions["agentapi.db"].queries[SLOW_QUERY.name] = SLOW_QUERY

    def slow():
        from agentapi.db import fetch_one

        return fetch_one(SLOW_QUERY.name)

    # A test-only route behind the real auth, error handling and connection handling.
    app.add_url_rule(url("/test-slow"), "test_slow", slow)
    client = app.test_client()
    started = time.monotonic()
    response = client.get(url("/test-slow"), headers=bearer(token))
    elapsed = time.monotonic() - started
    assert_retryable_503(response)
    assert elapsed < 3
    logs.flush()  # lines go out in batches (agentapi/logbatch.py)
    access = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert access[-1]["error_type"] == "StatementTimeout"  # MariaDB error 1969
    # The server really was the one to stop it, and the connection still serves.
    processes = mariadb.root()
    with processes.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE %s",
            ("%seq_1_to_1000000%",),
        )
        assert cursor.fetchone()["n"] == 1  # only this query itself
    processes.close()
    assert services(client, token, business)[0].status_code == 200


def test_statement_longer_than_the_connect_timeout_still_completes(mariadb, business, token):
    # Connecting is bounded by the connect timeout; a statement only by its own limit.
    app = build_app(mariadb, DATABASE_CONNECT_TIMEOUT="0.5", STATEMENT_TIMEOUT="5")
    app.extensions["agentapi.db"].queries[SLEEP_QUERY.name] = SLEEP_QUERY

    def sleepy():
        from agentapi.db import fetch_one

        return fetch_one(SLEEP_QUERY.name)

    app.add_url_rule(url("/test-sleep"), "test_sleep", sleepy)
    response = app.test_client().get(url("/test-sleep"), headers=bearer(token))
    assert response.status_code == 200
    assert response.get_json() == {"slept": 0}


def _load(server: LiveServer, token: str, business_id: str, stop: threading.Event, log: list):
    url = server.url(f"/services?business_id={business_id}")
    while not stop.is_set():
        started = time.monotonic()
        request = urllib.request.Request(url, headers=bearer(token))
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                status, body, ctype = (
                    response.status,
                    response.read(),
                    response.headers["Content-Type"],
                )
        except urllib.error.HTTPError as exc:
            status, body, ctype = exc.code, exc.read(), exc.headers["Content-Type"]
        log.append((started, status, time.monotonic() - started, ctype, body))
        time.sleep(0.02)


def test_gunicorn_under_load_survives_a_database_restart(mariadb, private_factory, tmp_path):
    business = private_factory.business()
    private_factory.service(business["id"])
    token = private_factory.key()
    server = LiveServer(
        tmp_path / "gunicorn.log",
        DATABASE_URL=mariadb.url,
        DATABASE_CONNECT_TIMEOUT=str(CONNECT_TIMEOUT),
        RATE_LIMIT="100000 per minute",
    )
    with server:
        workers = server.worker_pids()
        stop = threading.Event()
        log: list = []
        clients = [
            threading.Thread(target=_load, args=(server, token, business["id"], stop, log))
            for _ in range(4)
        ]
        for thread in clients:
            thread.start()
        time.sleep(1.5)
        down_at = time.monotonic()
        mariadb.stop()
        time.sleep(3)
        mariadb.start()
        up_at = time.monotonic()
        time.sleep(2.5)
        stop.set()
        for thread in clients:
            thread.join(timeout=20)
        assert server.process.poll() is None
        assert server.worker_pids() == workers  # no worker died or was replaced

    by_status = collections.Counter(status for _, status, *_ in log)
    print("responses by status:", dict(by_status))
    assert set(by_status) <= {200, 503}, by_status
    before = [s for t, s, *_ in log if t < down_at - 0.1]
    during = [s for t, s, *_ in log if down_at + 0.5 < t < up_at - 0.5]
    after = [s for t, s, *_ in log if t > up_at + 0.5]
    assert before and set(before) == {200}
    assert during and set(during) == {503}
    assert len(after) >= 20 and set(after) == {200}
    for _, status, elapsed, ctype, body in log:
        assert elapsed < CONNECT_TIMEOUT + 1.5
        if status == 503:
            assert ctype == "application/problem+json"
            assert json.loads(body)["code"] == "service_unavailable"
