"""One export at a time per key: the slot in Redis (shared) and in memory (one process)."""

from __future__ import annotations

import time

import pytest
import redis
from limits.errors import StorageError

from agentapi import export_slots

from .deploy_support import start_redis
from .factories import bearer
from .helpers import assert_problem, url


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    server = start_redis(tmp_path_factory.mktemp("export-slots-redis"))
    yield server
    server.stop()


@pytest.fixture(params=["memory", "redis"])
def storage_app(request, make_app):
    """The app under each limit storage."""
    if request.param == "memory":
        return make_app(RATE_LIMIT="10000 per minute")
    server = request.getfixturevalue("redis_server")
    return make_app(
        RATE_LIMIT="10000 per minute", RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{server.target}/0"
    )


def export(client, token, business_id, **kwargs):
    return client.get(
        url("/invoices/export"),
        query_string={"business_id": business_id},
        headers=bearer(token),
        **kwargs,
    )


def test_one_export_per_key_at_a_time_under_each_storage(storage_app, token, business):
    client = storage_app.test_client()
    running = export(client, token, business["id"], buffered=False)
    assert running.status_code == 200
    refused = export(client, token, business["id"])
    assert_problem(refused, 429, "rate_limited")
    assert 1 <= int(refused.headers["Retry-After"]) <= export_slots.SLOT_SECONDS
    running.close()
    assert export(client, token, business["id"]).status_code == 200


def test_two_apps_sharing_redis_share_the_slot(make_app, redis_server, token, business):
    # Two processes (hosts) with one Redis: an export on one blocks the key on the other.
    uri = f"redis://127.0.0.1:{redis_server.target}/0"
    first, second = (make_app(RATELIMIT_STORAGE_URI=uri).test_client() for _ in range(2))
    running = export(first, token, business["id"], buffered=False)
    assert running.status_code == 200
    assert export(second, token, business["id"]).status_code == 429
    running.close()
    assert export(second, token, business["id"]).status_code == 200


def test_a_dead_exports_redis_slot_expires_within_a_minute(make_app, redis_server, business):
    app = make_app(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{redis_server.target}/0")
    with app.app_context():
        slot = export_slots.acquire("dead-key")
        assert slot is not None
        # The worker dies here: no release. Redis drops the slot by itself.
        ttl = redis.Redis(port=int(redis_server.target)).ttl(export_slots.KEY_PREFIX + "dead-key")
        assert 0 < ttl <= 60
        assert export_slots.acquire("dead-key") is None


def test_a_dead_exports_memory_slot_expires_within_a_minute(make_app, monkeypatch):
    app = make_app()
    with app.app_context():
        assert export_slots.acquire("dead-key") is not None
        assert export_slots.acquire("dead-key") is None
        assert export_slots.retry_after("dead-key") <= 60
        later = time.monotonic() + export_slots.SLOT_SECONDS + 0.1
        monkeypatch.setattr(export_slots.time, "monotonic", lambda: later)
        assert export_slots.acquire("dead-key") is not None


def test_a_slot_renewed_while_streaming_is_kept_and_only_its_owner_frees_it(make_app, redis_server):
    app = make_app(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{redis_server.target}/0")
    client = redis.Redis(port=int(redis_server.target))
    key = export_slots.KEY_PREFIX + "renewed"
    with app.app_context():
        slot = export_slots.acquire("renewed")
        client.expire(key, 5)
        slot.refreshed -= export_slots.REFRESH_SECONDS  # a refresh is due
        slot.refresh()
        assert client.ttl(key) > 50
        # Expired and taken by another export: the first one's release leaves it alone.
        client.delete(key)
        other = export_slots.acquire("renewed")
        slot()
        assert client.exists(key)
        other()
        assert not client.exists(key)


def test_redis_down_refuses_the_export_as_the_limit_store_does(make_app):
    # A StorageError is answered 503 service_unavailable by the one error handler.
    app = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    with app.app_context(), pytest.raises(StorageError):
        export_slots.acquire("any")
