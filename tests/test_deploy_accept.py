"""agentapi/gunicorn_accept.py under real gunicorn: a worker whose threads are all busy
leaves new connections to a worker with a free thread."""

from __future__ import annotations

import socket
import time

import pytest

from .deploy_support import (
    REDIS,
    free_port,
    request,
    start_gunicorn,
    start_redis,
    wait_until,
    worker_pids,
)
from .helpers import url

assert REDIS, "redis-server is not installed: `make test` installs it (tools/system-deps.sh)"


@pytest.fixture(scope="module")
def one_thread_each(tmp_path_factory, database_url):
    """Two gthread workers of one thread each, sharing their limits in Redis."""
    tmp = tmp_path_factory.mktemp("accept")
    redis = start_redis(tmp)
    server = start_gunicorn(
        tmp,
        database_url,
        BIND=f"127.0.0.1:{free_port()}",
        RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{redis.target}/0",
        WORKERS="2",
        THREADS="1",
    )
    wait_until(lambda: len(worker_pids(server)) == 2, 10, "two workers", server.log)
    yield server
    server.stop()
    redis.stop()


def test_new_connections_go_to_the_worker_with_a_free_thread(one_thread_each):
    port = int(one_thread_each.target)
    # Half a request head holds one worker's only thread until the head's deadline
    # (3 s, deploy/gunicorn.conf.py).
    stalled = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        stalled.sendall(f"GET {url('/health')} HTTP/1.1\r\n".encode())
        time.sleep(0.1)  # it is accepted and its thread is reading
        # Within the stalled worker's one-second poll: until then it takes no connection
        # (agentapi/gunicorn_accept.py, HOLD_SECONDS).
        for _ in range(5):
            started = time.monotonic()
            assert request(str(port), url("/health"), timeout=10).status == 200
            # Accepted by the stalled worker, it would wait for the deadline.
            assert time.monotonic() - started < 1.5
    finally:
        stalled.close()
