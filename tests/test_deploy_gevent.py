"""The gevent worker under real gunicorn: one process serves many connections at once,
its statements share a bounded set of database connections, and nothing one greenlet
waits for holds up the others."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from agentapi.config import parse_database_url

from .deploy_support import (
    TENANT,
    app_log_line,
    free_port,
    request,
    start_gunicorn,
    worker_pids,
)
from .factories import bearer
from .helpers import url

CONNECTIONS = 2  # AGENTAPI_DATABASE_CONNECTIONS of the server below


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory, database_url):
    """One gevent worker (memory:// limits), two database connections."""
    tmp = tmp_path_factory.mktemp("gevent")
    server = start_gunicorn(
        tmp,
        database_url,
        BIND=f"127.0.0.1:{free_port()}",
        DATABASE_CONNECTIONS=str(CONNECTIONS),
        RATE_LIMIT="100000 per minute",
        BURST_LIMIT="100000 per minute",
    )
    yield server
    server.stop()


def database_sockets(pid: int, database_url: str) -> int:
    """The process's open sockets to the database server, from /proc: unix sockets for a
    unix_socket URL (its only ones: it listens on TCP), else TCP ones to the server's port."""
    target = parse_database_url("TEST_DATABASE_URL", database_url)
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            link = os.readlink(fd)
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    kwargs = target.connect_kwargs()
    if kwargs.get("unix_socket"):
        rows = Path(f"/proc/{pid}/net/unix").read_text().splitlines()[1:]
        return sum(1 for row in rows if row.split()[6] in inodes)
    port = f":{int(kwargs.get('port', 3306)):04X}"
    count = 0
    for table in ("tcp", "tcp6"):
        for row in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = row.split()
            if fields[2].endswith(port) and fields[9] in inodes:
                count += 1
    return count


def test_the_worker_is_a_gevent_worker(one_worker):
    assert "Using worker: gevent" in one_worker.log_text()


def test_many_client_connections_share_the_few_database_connections(
    one_worker, factory, database_url
):
    factory.business(id=TENANT)
    for n in range(3):
        factory.service(TENANT, name=f"Service {n}")
    token = factory.key()
    path = url(f"/services?business_id={TENANT}")
    (worker,) = worker_pids(one_worker)
    most = 0
    done = threading.Event()

    def watch():
        nonlocal most
        while not done.is_set():
            most = max(most, database_sockets(worker, database_url))
            time.sleep(0.01)

    def call(_n):
        return request(one_worker.target, path, bearer(token), timeout=30).status

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with ThreadPoolExecutor(max_workers=24) as pool:
            statuses = Counter(pool.map(call, range(240)))
    finally:
        done.set()
        watcher.join()
    assert statuses == {200: 240}
    # 24 clients at once, a greenlet each; their statements (the key lookup and the
    # usage write included) took turns on the pool's connections, never more.
    assert 1 <= most <= CONNECTIONS


def test_a_stalled_request_head_holds_up_no_other_request(one_worker):
    port = int(one_worker.target)
    # Half a request head keeps its greenlet waiting until the head's deadline (3 s,
    # deploy/gunicorn.conf.py); the one worker serves everyone else meanwhile.
    stalled = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        stalled.sendall(f"GET {url('/health')} HTTP/1.1\r\n".encode())
        time.sleep(0.1)
        for _ in range(5):
            started = time.monotonic()
            assert request(str(port), url("/health"), timeout=10).status == 200
            assert time.monotonic() - started < 1.0
    finally:
        stalled.close()


def test_health_checks_at_once_all_answer(one_worker):
    # The health check's lock is held while it asks the database; a lock made before
    # gevent patched threading would stop the whole worker at the second request.
    time.sleep(1.1)  # the cached result has expired: the next requests check again

    def call(_n):
        return request(one_worker.target, url("/health"), timeout=10).status

    with ThreadPoolExecutor(max_workers=16) as pool:
        assert Counter(pool.map(call, range(32))) == {200: 32}


def test_the_request_log_lines_reach_stderr(one_worker, factory):
    # The log batch's writer is a greenlet here; its lines still go out within 0.1 s.
    token = factory.key()
    reply = request(one_worker.target, url("/businesses"), bearer(token))
    line = app_log_line(one_worker, reply.headers["X-Request-ID"])
    assert line["status"] == 200
