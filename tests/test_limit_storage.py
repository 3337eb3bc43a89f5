"""Redis limit storage: one round trip per request, the same headers and 429s as before."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
import redis

from agentapi import ratelimit, slotlease
from agentapi.limitstore import OneTripRedisStorage, storage_uri

from .conftest import sql
from .deploy_support import start_redis
from .factories import bearer
from .helpers import url


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A private redis-server on a free loopback port."""
    server = shutil.which("redis-server")
    assert server, "redis-server is needed (apt-get install redis-server)"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    workdir = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir), "--logfile", str(workdir / "redis.log")],
    )  # fmt: skip
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


def script_calls(url: str) -> int:
    """How many Lua script calls the server has run."""
    stats = redis.Redis.from_url(url).info("commandstats")
    return sum(v["calls"] for k, v in stats.items() if k in ("cmdstat_evalsha", "cmdstat_eval"))


def command_calls(url: str, command: str) -> int:
    """How many times the server has run a command (scripts' calls included)."""
    stats = redis.Redis.from_url(url).info("commandstats")
    return int(stats.get(f"cmdstat_{command}", {}).get("calls", 0))


def test_each_counted_request_costs_one_round_trip_to_redis(make_app, factory, redis_url):
    # Two limits count every request: the burst limit and the quota. One script call
    # takes both slots and reads both windows (for the headers).
    app = make_app(RATELIMIT_STORAGE_URI=redis_url, RATE_LIMIT="1000 per minute")
    client, token = app.test_client(), factory.key()
    client.get(url("/businesses"), headers=bearer(token))
    before = script_calls(redis_url)
    for _ in range(5):
        assert client.get(url("/businesses"), headers=bearer(token)).status_code == 200
    assert script_calls(redis_url) - before == 5


def test_remaining_counts_down_then_429_with_retry_after(make_app, factory, redis_url):
    app = make_app(RATELIMIT_STORAGE_URI=redis_url, RATE_LIMIT="3 per minute")
    client, token = app.test_client(), factory.key()
    answers = [client.get(url("/businesses"), headers=bearer(token)) for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert [r.headers["X-RateLimit-Remaining"] for r in answers] == ["2", "1", "0", "0"]
    assert all(r.headers["X-RateLimit-Limit"] == "3" for r in answers)
    resets = {int(r.headers["X-RateLimit-Reset"]) for r in answers}
    assert len(resets) == 1 and time.time() < resets.pop() <= time.time() + 61
    assert 1 <= int(answers[3].headers["Retry-After"]) <= 61
    assert "Retry-After" not in answers[0].headers


def test_window_is_shared_between_apps_on_one_redis(make_app, factory, redis_url):
    first = make_app(RATELIMIT_STORAGE_URI=redis_url, RATE_LIMIT="2 per minute").test_client()
    second = make_app(RATELIMIT_STORAGE_URI=redis_url, RATE_LIMIT="2 per minute").test_client()
    token = factory.key()
    assert first.get(url("/businesses"), headers=bearer(token)).status_code == 200
    assert (
        second.get(url("/businesses"), headers=bearer(token)).headers["X-RateLimit-Remaining"]
        == "0"
    )
    assert first.get(url("/businesses"), headers=bearer(token)).status_code == 429


def test_a_burst_refusal_carries_the_quota_headers_and_takes_no_quota(make_app, factory, redis_url):
    app = make_app(
        RATELIMIT_STORAGE_URI=redis_url, RATE_LIMIT="10 per minute", BURST_LIMIT="3 per minute"
    )
    client, token = app.test_client(), factory.key()
    answers = [client.get(url("/businesses"), headers=bearer(token)) for _ in range(5)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429, 429]
    # The quota's own window: 3 taken of 10; the refused requests took none of it.
    assert [r.headers["X-RateLimit-Remaining"] for r in answers] == ["9", "8", "7", "7", "7"]
    assert all(r.headers["X-RateLimit-Limit"] == "10" for r in answers)


def test_a_quota_refusal_still_takes_its_burst_slot(make_app, factory, redis_url, sql_conn):
    app = make_app(
        RATELIMIT_STORAGE_URI=redis_url, RATE_LIMIT="2 per minute", BURST_LIMIT="4 per minute"
    )
    client, token = app.test_client(), factory.key()
    statuses = [client.get(url("/businesses"), headers=bearer(token)).status_code for _ in range(4)]
    assert statuses == [200, 200, 429, 429]
    (key,) = sql(sql_conn, "SELECT id FROM api_keys WHERE prefix = %s", token[3:11])
    key_id = key["id"]
    burst = redis.Redis.from_url(redis_url)
    counted = [k for k in burst.keys("*") if b"burst" in k and key_id.encode() in k]
    assert len(counted) == 1 and burst.llen(counted[0]) == 4


def storage_for(redis_url: str) -> OneTripRedisStorage:
    """The app's Redis limit storage, on its own."""
    return OneTripRedisStorage(storage_uri(redis_url), wrap_exceptions=True)


def test_hits_that_left_the_window_are_dropped_and_not_counted(redis_url):
    storage = storage_for(redis_url)
    raw = redis.Redis.from_url(redis_url)
    key = f"window-{time.monotonic_ns()}"
    for _ in range(3):
        ((taken, _start, count),) = storage.acquire_entries([(key, 5, 1, 1)])
        assert taken
    assert count == 3
    time.sleep(1.1)  # the three leave the 1-second window
    ((taken, start, count),) = storage.acquire_entries([(key, 5, 1, 1)])
    # Popped from the tail: the list holds the window and nothing else.
    assert taken and count == 1 and raw.llen(storage.prefixed_key(key)) == 1
    assert abs(start - time.time()) < 0.5


def test_many_hits_leaving_at_once_are_trimmed_in_one_step(redis_url):
    # More than 8 gone at once: the boundary is searched for, not popped one by one.
    storage = storage_for(redis_url)
    raw = redis.Redis.from_url(redis_url)
    key = f"many-{time.monotonic_ns()}"
    still_inside = 4
    assert storage.acquire_entries([(key, 100, 2, 30)])[0][0]
    time.sleep(1.2)
    assert storage.acquire_entries([(key, 100, 2, still_inside)])[0][0]
    time.sleep(0.9)  # the 30 are out of the 2-second window, the later hits are not
    pops = command_calls(redis_url, "rpop")
    ((taken, start, count),) = storage.acquire_entries([(key, 100, 2, 1)])
    assert command_calls(redis_url, "rpop") - pops <= 8
    assert taken and count == still_inside + 1
    assert raw.llen(storage.prefixed_key(key)) == still_inside + 1
    assert time.time() - start == pytest.approx(0.9, abs=0.3)


def test_a_full_window_refuses_until_its_oldest_hit_leaves(redis_url):
    storage = storage_for(redis_url)
    key = f"full-{time.monotonic_ns()}"
    assert storage.acquire_entries([(key, 2, 1, 2)])[0][0]
    taken, start, count = storage.acquire_entries([(key, 2, 1, 1)])[0]
    assert (taken, count) == (False, 2)
    time.sleep(1.1)
    assert storage.acquire_entries([(key, 2, 1, 1)])[0][:1] == (True,)
    assert start < time.time() - 1


def test_a_dropped_connection_and_a_flushed_script_cache_cost_no_error(
    make_app, factory, redis_url
):
    # A Redis restart: the worker's connection is gone and the server forgot the script.
    app = make_app(RATELIMIT_STORAGE_URI=redis_url, RATE_LIMIT="1000 per minute")
    client, token = app.test_client(), factory.key()
    assert client.get(url("/businesses"), headers=bearer(token)).status_code == 200
    admin = redis.Redis.from_url(redis_url)
    admin.script_flush()
    admin.client_kill_filter(_type="normal", skipme=True)
    answer = client.get(url("/businesses"), headers=bearer(token))
    assert answer.status_code == 200
    assert answer.headers["X-RateLimit-Remaining"] == "998"


def quota_list(redis_url: str, sql_conn, token: str) -> bytes:
    """The Redis list of a key's quota window (its hit times, newest first)."""
    (key,) = sql(sql_conn, "SELECT id FROM api_keys WHERE prefix = %s", token[3:11])
    raw = redis.Redis.from_url(redis_url)
    (name,) = [k for k in raw.keys("*") if b"/key/" in k and key["id"].encode() in k]
    return name


def test_a_high_limit_is_counted_in_leases_and_never_under(make_app, factory, redis_url, sql_conn):
    # 1,000,000 a minute: after the key's first request, one script call takes 32
    # requests' slots of both limits, and this process hands them out to the next ones.
    app = make_app(RATELIMIT_STORAGE_URI=redis_url, RATE_LIMIT="1000000 per minute")
    client, token = app.test_client(), factory.key()
    first = client.get(url("/businesses"), headers=bearer(token))
    assert first.headers["X-RateLimit-Remaining"] == "999999"
    before = script_calls(redis_url)
    answers = [client.get(url("/businesses"), headers=bearer(token)) for _ in range(70)]
    assert {r.status_code for r in answers} == {200}
    assert script_calls(redis_url) - before == 3  # leases at requests 2, 34 and 66
    counted = redis.Redis.from_url(redis_url).llen(quota_list(redis_url, sql_conn, token))
    assert counted == 1 + 3 * 32  # every request counted before it was served
    remaining = [int(r.headers["X-RateLimit-Remaining"]) for r in answers]
    # In steps, never up, and never more than what is truly left.
    assert remaining == sorted(remaining, reverse=True)
    assert remaining[0] == remaining[31] == 1_000_000 - 33
    assert remaining[32] == 1_000_000 - 65
    assert all(left <= 1_000_000 - n for n, left in enumerate(remaining, 2))


def test_threads_of_a_process_share_a_key_s_leases(
    make_app, factory, redis_url, sql_conn, monkeypatch
):
    # Eight threads at once, each hit as a request of the key takes it: one thread takes
    # each next lease, the others wait for it and take from it. Were each to take its
    # own, the later would replace the earlier and its slots would count unused.
    # The leases' clock stands still and the wait for the taker is long, so that a
    # stalled host cannot end a lease or a wait early: the counts below are exact.
    # (A lease's end and the wait's bound have tests of their own.)
    monkeypatch.setattr(slotlease, "time", SimpleNamespace(monotonic=lambda: 1000.0))
    monkeypatch.setattr(slotlease, "LEASE_WAIT_SECONDS", 30.0)
    app = make_app(RATELIMIT_STORAGE_URI=redis_url, RATE_LIMIT="1000000 per minute")
    client, token = app.test_client(), factory.key()
    assert client.get(url("/businesses"), headers=bearer(token)).status_code == 200
    (key,) = sql(sql_conn, "SELECT id FROM api_keys WHERE prefix = %s", token[3:11])
    with app.app_context():
        config = ratelimit.limits()
        hits = [(config.burst, ("burst", key["id"]), 1)]
        hits += [(item, ("key", key["id"]), 1) for item in config.per_key]
        leases = config.leases
        assert leases is not None
    before = script_calls(redis_url)
    start = threading.Barrier(8)

    def hit_many(_: int) -> None:
        start.wait()
        for _ in range(40):
            leases.hit_all(hits)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(hit_many, range(8)))
    # 320 hits in leases of 32: 10 trips, and the window holds the key's first request
    # and the ten leases, no slot more.
    assert script_calls(redis_url) - before == 10
    counted = redis.Redis.from_url(redis_url).llen(quota_list(redis_url, sql_conn, token))
    assert counted == 1 + 320


def test_threads_do_not_wait_in_turn_for_a_frozen_store(make_app, factory, tmp_path):
    # The store stops answering while a key's threads want its next lease: each waits
    # out its own 1 s socket timeout at the same time, not one after another (4 s).
    store = start_redis(tmp_path / "redis")
    try:
        app = make_app(
            RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{store.target}/0",
            RATE_LIMIT="1000000 per minute",
        )
        token = factory.key()
        first = app.test_client().get(url("/businesses"), headers=bearer(token))
        assert first.status_code == 200  # the key's windows are known: next, a lease
        store.process.send_signal(signal.SIGSTOP)
        start = threading.Barrier(4)

        def one(_: int) -> tuple[int, float]:
            client = app.test_client()
            start.wait()
            began = time.monotonic()
            reply = client.get(url("/businesses"), headers=bearer(token))
            return reply.status_code, time.monotonic() - began

        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(one, range(4)))
        assert [status for status, _ in answers] == [503] * 4
        assert max(seconds for _, seconds in answers) < 2.5, answers
    finally:
        store.process.send_signal(signal.SIGCONT)
        store.stop()


def test_a_lease_ends_after_half_a_second(make_app, factory, redis_url):
    app = make_app(RATELIMIT_STORAGE_URI=redis_url, RATE_LIMIT="1000000 per minute")
    client, token = app.test_client(), factory.key()
    for _ in range(2):  # the second takes a lease of 32
        assert client.get(url("/businesses"), headers=bearer(token)).status_code == 200
    time.sleep(0.6)
    before = script_calls(redis_url)
    assert client.get(url("/businesses"), headers=bearer(token)).status_code == 200
    assert script_calls(redis_url) - before == 1


def test_no_lease_near_the_end_of_a_window_so_the_limit_stays_exact(
    make_app, factory, redis_url, sql_conn
):
    app = make_app(RATELIMIT_STORAGE_URI=redis_url, RATE_LIMIT="100000 per minute")
    client, token = app.test_client(), factory.key()
    assert client.get(url("/businesses"), headers=bearer(token)).status_code == 200
    # Fill the quota's window to 20 short of its limit, as other processes would have.
    raw = redis.Redis.from_url(redis_url)
    name = quota_list(redis_url, sql_conn, token)
    now = repr(time.time()).encode()
    for _ in range(10):
        raw.lpush(name, *[now] * 9_998)
    assert raw.llen(name) == 100_000 - 19
    answers = [client.get(url("/businesses"), headers=bearer(token)) for _ in range(40)]
    # The first request saw 99,999 left and asks for a lease of 32: refused (19 are
    # left), so that request is counted on its own. Later leases are sized by what is
    # left (a lease only while 8 times its size is), and the window fills exactly.
    assert [r.status_code for r in answers] == [200] * 19 + [429] * 21
    assert raw.llen(name) == 100_000
    assert [r.headers["X-RateLimit-Remaining"] for r in answers[17:20]] == ["1", "0", "0"]
