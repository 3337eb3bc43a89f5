"""agentapi/db.py's pool: statements borrow one of a few connections and give it back."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from agentapi.config import parse_database_url
from agentapi.db import Database, DatabaseUnavailable
from agentapi.sqlfiles import Query, load_queries

CONNECTION_ID = Query("connection_id", "SELECT CONNECTION_ID() AS id", frozenset(), "row", Path())
SLEEP = Query(
    "sleep", "SELECT SLEEP(%(seconds)s) AS slept, CONNECTION_ID() AS id", frozenset({"seconds"}),
    "row", Path(),
)  # fmt: skip


def database(database_url: str, **options) -> Database:
    queries = load_queries()
    queries["connection_id"] = CONNECTION_ID
    queries["sleep"] = SLEEP
    return Database(parse_database_url("TEST_DATABASE_URL", database_url), queries, **options)


def test_statements_in_turn_reuse_one_connection(database_url):
    db = database(database_url)
    ids = {db.run("connection_id", {})["id"] for _ in range(5)}
    assert len(ids) == 1


def test_statements_at_once_use_at_most_the_pool_s_connections(database_url):
    db = database(database_url, pool_size=2)
    seen: list[int] = []

    def sleep():
        seen.append(db.run("sleep", {"seconds": 0.2})["id"])

    threads = [threading.Thread(target=sleep) for _ in range(6)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 6
    assert len(set(seen)) == 2
    # Two at a time: three rounds of 0.2 s.
    assert time.monotonic() - started >= 0.55


def test_a_statement_that_finds_no_free_connection_gives_up_after_its_limit(database_url):
    db = database(database_url, pool_size=1, statement_timeout=0.2)
    with db.session():
        started = time.monotonic()
        with pytest.raises(DatabaseUnavailable):
            db.run("connection_id", {})
        waited = time.monotonic() - started
    # The statement limit plus the 2 s the socket is given beyond it.
    assert 2.1 <= waited < 4
    assert db.run("connection_id", {})["id"]  # given back: usable again


def test_a_connection_left_mid_statement_is_closed_not_given_back(database_url):
    db = database(database_url)
    first = db.run("connection_id", {})["id"]
    with pytest.raises(RuntimeError), db.session() as session:
        conn = session.conn
        raise RuntimeError("interrupted")
    assert not conn.open
    assert db.run("connection_id", {})["id"] != first


def test_a_connection_the_server_closed_is_replaced(database_url, sql_conn):
    db = database(database_url)
    first = db.run("connection_id", {})["id"]
    with sql_conn.cursor() as cursor:
        cursor.execute(f"KILL {int(first)}")
    # The statement finds it gone, reconnects once and runs.
    second = db.run("connection_id", {})["id"]
    assert second != first
    assert db.run("connection_id", {})["id"] == second


@pytest.mark.parametrize("patched", [False, True])
def test_the_pool_waits_with_the_semaphore_of_the_threading_in_force(patched):
    code = (
        ("from gevent import monkey; monkey.patch_all()\n" if patched else "")
        + "from agentapi import cooperative\n"
        + "print(type(cooperative.bounded_semaphore(2)).__module__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().startswith("gevent" if patched else "threading")
