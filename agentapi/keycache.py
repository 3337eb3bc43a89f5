"""Verified keys kept for a fraction of a second per process: no key lookup per request.

A busy key would otherwise cost a statement on every request, before the one that
answers it. A key verified against its stored hash is kept here, under the token's
SHA-256, for at most KEY_CACHE_SECONDS (one second at most): revoking a key, or
changing its scopes or businesses, takes effect within that time on every worker.
Expiry is checked on every request against the kept expires_at, so an expired key
stops at its instant. Only successes are kept; a bad token is looked up each time
(and limited per address by the failure limit).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Generic, Protocol, TypeVar

# Distinct tokens kept at most; past it the cache starts again (a flood of valid keys
# costs lookups, never memory).
MAX_ENTRIES = 10_000


class Expiring(Protocol):
    """What the cache needs of a key: when it expires (None: never)."""

    @property
    def expires_at(self) -> datetime | None: ...


K = TypeVar("K", bound=Expiring)


class KeyCache(Generic[K]):
    """token digest -> (key, time it was read), for ttl seconds."""

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl = ttl_seconds
        self._entries: dict[str, tuple[K, float]] = {}

    def get(self, digest: str) -> K | None:
        """The key verified for this digest within ttl and not expired now, else None."""
        entry = self._entries.get(digest)
        if entry is None:
            return None
        key, read_at = entry
        expires_at = key.expires_at
        if time.monotonic() - read_at >= self.ttl or (
            expires_at is not None and expires_at <= datetime.now(UTC).replace(tzinfo=None)
        ):
            self._entries.pop(digest, None)
            return None
        return key

    def put(self, digest: str, key: K) -> None:
        """Keep a key just verified against its stored hash (nothing when ttl is 0)."""
        if self.ttl <= 0:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries = {}
        self._entries[digest] = (key, time.monotonic())
