"""At most one export at a time per key: a slot in the limit storage, held while streaming.

With redis:// limit storage the slot is a Redis key (SET NX EX), shared by every worker
and host that shares the counters; with memory:// (one process by design) it is an
entry in this process. Either way a slot expires SLOT_SECONDS after its last refresh,
so an export whose worker died frees its key's slot within a minute.
"""

from __future__ import annotations

import logging
import math
import secrets
import threading
import time

import redis
from flask import Flask, current_app
from limits.errors import StorageError

log = logging.getLogger("agentapi.export_slots")

SLOT_SECONDS = 60
# A streaming export renews its slot this often (well inside SLOT_SECONDS).
REFRESH_SECONDS = 15
KEY_PREFIX = "agentapi:export-slot:"

# Renew or delete the slot only while it is still ours (it may have expired and been
# taken by another export meanwhile).
_REFRESH = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('expire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class MemorySlots:
    """Slots in this process: key -> (token, monotonic expiry)."""

    def __init__(self) -> None:
        self._held: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, token: str) -> bool:
        """Take the slot if it is free or expired."""
        now = time.monotonic()
        with self._lock:
            held = self._held.get(key)
            if held is not None and held[1] > now:
                return False
            self._held[key] = (token, now + SLOT_SECONDS)
            return True

    def refresh(self, key: str, token: str) -> None:
        """Push the expiry back, while the slot is still ours."""
        with self._lock:
            if self._held.get(key, ("",))[0] == token:
                self._held[key] = (token, time.monotonic() + SLOT_SECONDS)

    def release(self, key: str, token: str) -> None:
        """Free the slot, if it is still ours."""
        with self._lock:
            if self._held.get(key, ("",))[0] == token:
                del self._held[key]

    def seconds_left(self, key: str) -> float:
        """Seconds until the current holder's slot expires unless renewed."""
        held = self._held.get(key)
        return 0.0 if held is None else max(0.0, held[1] - time.monotonic())


class RedisSlots:
    """Slots as Redis keys with an expiry, shared by every worker and host."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._refresh = client.register_script(_REFRESH)
        self._release = client.register_script(_RELEASE)

    def take(self, key: str, token: str) -> bool:
        """SET NX EX: the slot if nobody holds it."""
        return bool(self.client.set(key, token, nx=True, ex=SLOT_SECONDS))

    def refresh(self, key: str, token: str) -> None:
        """Renew the expiry, while the slot is still ours."""
        self._refresh(keys=[key], args=[token, SLOT_SECONDS])

    def release(self, key: str, token: str) -> None:
        """Delete the slot, if it is still ours."""
        self._release(keys=[key], args=[token])

    def seconds_left(self, key: str) -> float:
        """Seconds until the holder's slot expires unless renewed."""
        return max(0.0, float(self.client.pttl(key)) / 1000)


class Slot:
    """A held slot: call it to release; refresh() while streaming keeps it."""

    def __init__(self, slots: MemorySlots | RedisSlots, key: str, token: str) -> None:
        self.slots, self.key, self.token = slots, key, token
        self.refreshed = time.monotonic()
        self.released = False

    def refresh(self) -> None:
        """Renew the slot when REFRESH_SECONDS have passed; a storage failure is only logged."""
        now = time.monotonic()
        if self.released or now - self.refreshed < REFRESH_SECONDS:
            return
        self.refreshed = now
        try:
            self.slots.refresh(self.key, self.token)
        except redis.RedisError as exc:
            log.warning("could not renew an export slot: %s", type(exc).__name__)

    def __call__(self) -> None:
        """Release the slot (once)."""
        if self.released:
            return
        self.released = True
        try:
            self.slots.release(self.key, self.token)
        except redis.RedisError as exc:
            # It expires by itself within SLOT_SECONDS.
            log.warning("could not release an export slot: %s", type(exc).__name__)


def _redis_client(app: Flask, uri: str) -> redis.Redis:
    """A client for the limit storage's Redis."""
    options = {"socket_connect_timeout": 1, "socket_timeout": 1}
    if uri.startswith(("redis://", "rediss://")):
        return redis.Redis.from_url(uri, **options)
    if uri.startswith("redis+unix://"):
        return redis.Redis.from_url("unix://" + uri.removeprefix("redis+unix://"), **options)
    # Sentinel and cluster URIs: the limiter's own storage knows how to reach them.
    return app.extensions["agentapi.limiter"].limiter.storage.get_connection()


def init_app(app: Flask) -> None:
    """Choose the slot store once per app, from the limit storage setting."""
    uri = app.config["AGENTAPI"]["RATELIMIT_STORAGE_URI"]
    slots = MemorySlots() if uri.startswith("memory://") else RedisSlots(_redis_client(app, uri))
    app.extensions["agentapi.export_slots"] = slots


def acquire(key_id: str) -> Slot | None:
    """The key's export slot, or None while another export of the key holds it."""
    slots = current_app.extensions["agentapi.export_slots"]
    key, token = KEY_PREFIX + key_id, secrets.token_hex(16)
    try:
        taken = slots.take(key, token)
    except redis.RedisError as exc:
        raise StorageError(exc) from exc
    return Slot(slots, key, token) if taken else None


def retry_after(key_id: str) -> int:
    """Whole seconds a refused export should wait: until the holder's slot could expire."""
    slots = current_app.extensions["agentapi.export_slots"]
    try:
        left = slots.seconds_left(KEY_PREFIX + key_id)
    except redis.RedisError:
        left = SLOT_SECONDS
    return max(1, math.ceil(left))
