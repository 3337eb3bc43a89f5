"""Slots of high limits taken from the shared storage ahead of use, a few at a time.

Every request of a key takes a slot of its burst limit and of its quota: with the
counts in Redis, one round trip per request, which was about a sixth of a worker's
CPU on a short page and as much again in redis-server. A key whose limits are very
high (LEASE_MIN_LIMIT requests per window or more, as a machine-to-machine key
would have) takes up to LEASE_MOST requests' slots in one trip instead, while its
windows have plenty of room left, and this process hands them out to its next
requests of the same key and cost for up to LEASE_SECONDS.

What that changes, and what not:
- Nothing is under-counted: a slot is counted in Redis before a request uses it, and
  a lease ends well before its slots leave the shortest window (a quarter of it).
- Slots a lease did not hand out before it ended stay counted: a key may be refused
  up to LEASE_MOST requests per process early, out of at least LEASE_MIN_LIMIT (under
  0.1 %). One thread of a process takes a key's next lease at a time; the key's other
  threads wait for it (up to LEASE_WAIT_SECONDS) and take from it. (Until 2026-12-01
  each took its own, and the later replaced the earlier with its slots unused: at full
  speed on four threads a busy key was counted at nearly three times its use, and
  could be refused long before its limit.)
- X-RateLimit-Remaining of such a key moves in steps: the requests served from one
  lease all show the window as it stood when the lease was taken (every leased slot
  counted as used), so the figure never overstates what is left.
- A lease is taken only while every window has at least LEASE_ROOM times its slots
  left, as the last request of the key saw it: leases shrink as a window fills, its
  last slots are taken one request at a time, and a key runs out exactly as it would
  without leases.
- Keys with lower limits (the default is 60 a minute), conditional requests' quota,
  exports' cost and the in-memory storage are counted request by request as before.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Protocol

from limits import RateLimitItem

from .ratewindow import RateLimitExceeded, Window

# Limits below this many requests per window are counted request by request.
LEASE_MIN_LIMIT = 100_000
# At most this many requests' slots in one lease.
LEASE_MOST = 32
# A lease only while each window has this many times the lease's slots left.
LEASE_ROOM = 8
# A lease ends after this long (or a quarter of the shortest window, if less).
LEASE_SECONDS = 0.5
# How long a thread waits for another to take the key's next lease (a trip takes well
# under a millisecond) before it counts its request on its own: with the storage slow
# or gone (1 s socket timeout), threads do not wait for each other's timeouts in turn.
LEASE_WAIT_SECONDS = 0.05
# Keys whose last windows are remembered (to size their next lease), before starting over.
LEASE_KEYS_KEPT = 4096

Hits = list[tuple[RateLimitItem, tuple[str, ...], int]]


class Limiter(Protocol):
    """What leases use of agentapi.ratelimit.RateLimiter."""

    def hit_all(self, hits: Hits) -> list[Window]:
        """Take each hit in turn or raise RateLimitExceeded at the first without room."""


@dataclass
class Lease:
    """Requests' slots taken ahead: how many are left to hand out, until when, and the
    windows as they stood when they were taken."""

    left: int
    until: float
    windows: list[Window]


class SlotLeases:
    """Hands out leased slots of one limiter's storage, per process, under one lock."""

    def __init__(self, limiter: Limiter) -> None:
        self._limiter = limiter
        self._lock = threading.Lock()
        self._leases: dict[tuple[object, ...], Lease] = {}
        self._last: dict[tuple[object, ...], list[Window]] = {}
        # Per key: held by the thread that is taking the key's next lease.
        self._taking: dict[tuple[object, ...], threading.Lock] = {}

    def hit_all(self, hits: Hits) -> list[Window]:
        """As RateLimiter.hit_all: take the hits or raise RateLimitExceeded; from a
        lease when one is held, in a new lease when the windows have room for one."""
        # The limits by identity: RateLimitItem's own hash and equality are Python code,
        # run for each limit at each of the lookups below. The app's limits and its
        # SlotLeases are made together (agentapi/ratelimit.py): the items outlive the keys.
        key = tuple((id(limit), identifiers, cost) for limit, identifiers, cost in hits)
        with self._lock:
            windows, size = self._from_lease(key, hits)
            if windows is not None:
                return windows
            if size > 1:
                taking = self._taking.get(key) or self._taking.setdefault(key, threading.Lock())
        if size == 1:
            return self._count_one(key, hits)
        if not taking.acquire(timeout=LEASE_WAIT_SECONDS):
            # The trip under way is slow (a storage in trouble): no queue behind it.
            return self._count_one(key, hits)
        try:
            # Another thread may have taken a lease while this one waited: use it.
            with self._lock:
                windows, size = self._from_lease(key, hits)
            if windows is not None:
                return windows
            if size == 1:
                return self._count_one(key, hits)
            return self._take_lease(key, hits, size)
        finally:
            taking.release()

    def _from_lease(self, key: tuple[object, ...], hits: Hits) -> tuple[list[Window] | None, int]:
        """Under the lock: the windows of a slot handed out from the key's lease, or
        None and the size of the lease to take."""
        lease = self._leases.get(key)
        if lease is not None and lease.left > 0 and time.monotonic() < lease.until:
            lease.left -= 1
            return lease.windows, 0
        return None, self._size(hits, self._last.get(key))

    def _count_one(self, key: tuple[object, ...], hits: Hits) -> list[Window]:
        """Count this request on its own."""
        windows = self._limiter.hit_all(hits)
        self._remember(key, windows, None)
        return windows

    def _take_lease(self, key: tuple[object, ...], hits: Hits, size: int) -> list[Window]:
        """Take size requests' slots in one trip, keep size - 1 of them for the next."""
        now = time.monotonic()
        leased = [(limit, identifiers, cost * size) for limit, identifiers, cost in hits]
        try:
            windows = self._limiter.hit_all(leased)
        except RateLimitExceeded:
            # Room was judged from the key's last windows, and other processes used it
            # up since: this request is counted (or refused) on its own. What the
            # refused lease took of the limits before the full one stays counted.
            return self._count_one(key, hits)
        seconds = min(LEASE_SECONDS, min(limit.get_expiry() for limit, _i, _c in hits) / 4)
        self._remember(key, windows, Lease(size - 1, now + seconds, windows))
        return windows

    def _size(self, hits: Hits, last: list[Window] | None) -> int:
        """How many requests' slots to take now: 1 unless every limit is high; else at
        most LEASE_MOST, and no more than 1/LEASE_ROOM of what each window, as last
        seen, has left."""
        if last is None or len(last) != len(hits):
            return 1
        size = LEASE_MOST
        for (limit, _identifiers, cost), window in zip(hits, last, strict=True):
            if limit.amount < LEASE_MIN_LIMIT:
                return 1
            size = min(size, window.remaining // (LEASE_ROOM * cost))
        return max(1, size)

    def _remember(
        self, key: tuple[object, ...], windows: list[Window], lease: Lease | None
    ) -> None:
        """Keep the key's windows as last seen (to size its next lease), and its lease."""
        with self._lock:
            if len(self._last) >= LEASE_KEYS_KEPT:
                self._last.clear()
                self._leases.clear()
                self._taking.clear()  # a thread holding one keeps it; harmless
            self._last[key] = windows
            if lease is not None:
                self._leases[key] = lease
