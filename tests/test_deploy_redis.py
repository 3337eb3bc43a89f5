"""Shared limits: two gunicorn instances against one redis-server, and Redis going away."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from .deploy_support import (
    REDIS,
    TENANT,
    free_port,
    request,
    start_gunicorn,
    start_redis,
    wait_until,
    worker_pids,
)
from .factories import bearer
from .helpers import assert_problem, url

assert REDIS, "redis-server is not installed: `make test` installs it (tools/system-deps.sh)"


def start_instance(tmp, database_url, redis, name):
    """One host's gunicorn: TCP, two threaded workers, limits in the shared Redis."""
    return start_gunicorn(
        tmp,
        database_url,
        name=name,
        BIND=f"127.0.0.1:{free_port()}",
        RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{redis.target}/0",
        WORKERS="2",
    )


@pytest.fixture(scope="module")
def two_hosts(tmp_path_factory, database_url):
    tmp = tmp_path_factory.mktemp("redis")
    redis = start_redis(tmp)
    hosts = [start_instance(tmp, database_url, redis, f"host{n}") for n in (1, 2)]
    yield hosts
    for host in hosts:
        host.stop()
    redis.stop()


def test_both_instances_run_two_threaded_workers(two_hosts):
    for host in two_hosts:
        assert "Using worker: gthread" in host.log_text()
        wait_until(lambda h=host: len(worker_pids(h)) == 2, 10, "two workers", host.log)


def test_one_key_gets_exactly_60_per_minute_across_two_instances(two_hosts, factory):
    factory.business(id=TENANT)
    token = factory.key()
    path = url(f"/invoices?business_id={TENANT}&limit=1")

    def call(n):
        host = two_hosts[n % 2]
        return host.target, request(host.target, path, bearer(token)).status

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(call, range(90)))
    assert Counter(status for _, status in results) == {200: 60, 429: 30}
    accepted_by = Counter(target for target, status in results if status == 200)
    assert len(accepted_by) == 2  # both hosts served part of the 60


def test_remaining_is_shared_across_instances(two_hosts, factory):
    token = factory.key()
    first = request(two_hosts[0].target, url("/businesses"), bearer(token))
    second = request(two_hosts[1].target, url("/businesses"), bearer(token))
    assert first.headers["X-RateLimit-Remaining"] == "59"
    assert second.headers["X-RateLimit-Remaining"] == "58"


def test_redis_stopped_mid_run_gives_503_problem_json_then_recovers(
    tmp_path, database_url, factory
):
    redis = start_redis(tmp_path / "redis")
    host = start_instance(tmp_path, database_url, redis, "host")
    try:
        token = factory.key()
        assert request(host.target, url("/businesses"), bearer(token)).status == 200
        redis.stop()
        for headers in (bearer(token), bearer("vb_abcdefgh_" + "z" * 32)):
            reply = request(host.target, url("/businesses"), headers)
            assert_problem(reply, 503, "service_unavailable")
            assert reply.headers["Retry-After"] == "5"
        redis = start_redis(tmp_path / "redis", int(redis.target))
        assert request(host.target, url("/businesses"), bearer(token)).status == 200
    finally:
        host.stop()
        redis.stop()
