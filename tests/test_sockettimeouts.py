"""agentapi/sockettimeouts.py: the kernel limits each wait; no Python timeout, no poll."""

from __future__ import annotations

import time

import pymysql
import pytest

from agentapi.config import parse_database_url
from agentapi.db import Connection


@pytest.fixture
def conn(database_url):
    target = parse_database_url("TEST_DATABASE_URL", database_url)
    connection = Connection(**target.connect_kwargs(), autocommit=True)
    yield connection
    connection.close()


def test_a_limited_connection_has_no_python_timeout_and_still_works(conn):
    conn.limit_waits(2.0)
    assert conn._sock.gettimeout() is None  # blocking: no poll() before each read
    with conn.cursor() as cursor:
        cursor.execute("SELECT SLEEP(0.3), REPEAT('x', 100000)")
        (slept, text) = cursor.fetchone()
    assert slept == 0 and len(text) == 100000  # waits within the limit are fine


def test_a_read_that_waits_past_the_limit_fails_as_a_lost_connection(conn):
    conn.limit_waits(0.3)
    started = time.monotonic()
    with pytest.raises(pymysql.OperationalError) as raised, conn.cursor() as cursor:
        cursor.execute("SELECT SLEEP(3)")
    assert time.monotonic() - started < 2  # the kernel gave up, not the statement's end
    assert raised.value.args[0] == 2013  # as a Python socket timeout made it
    assert not conn.open  # closed: db.py replaces it
