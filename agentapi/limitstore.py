"""Limit storages: Redis that answers a hit's window from its own acquire; a safer memory://.

RateLimiter (agentapi/ratelimit.py) takes a slot in a moving window and needs the
window's count and start for the X-RateLimit-* headers. Stock limits runs a Lua
script for each, per limit: a request counted against a burst and a quota limit
would make four round trips. Here one script takes the slots of several limits in
turn and reads each window in the same step (acquire_entries, used by
RateLimiter.hit_all): one round trip per request. A single acquire_entry keeps the
window it read for this thread and hands it, once, to the next stats request for the
same key and limit. Anything else asks Redis as before.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage

SCHEME_PREFIX = "agentapi+"

# limits' acquire_moving_window.lua and moving_window.lua, one after the other, for each
# key in turn: KEYS[i] with ARGV limit, expiry, amount at 3i-1, 3i, 3i+1 (ARGV[1] is the
# time). It stops after the first key with no room, as separate calls would have.
ACQUIRE_AND_READ_WINDOWS = """
local timestamp = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS do
    local key = KEYS[i]
    local limit = tonumber(ARGV[3 * i - 1])
    local expiry = tonumber(ARGV[3 * i])
    local amount = tonumber(ARGV[3 * i + 1])
    local acquired = 0
    if amount <= limit then
        local entry = redis.call('lindex', key, limit - amount)
        if not (entry and tonumber(entry) >= timestamp - expiry) then
            for _ = 1, amount do
                redis.call('lpush', key, timestamp)
            end
            redis.call('ltrim', key, 0, limit - 1)
            redis.call('expire', key, expiry)
            acquired = 1
        end
    end
    local target = timestamp - expiry
    -- Entries are newest first and at most limit long: search only what is there.
    local low, high, index = 0, math.min(limit, redis.call('llen', key)) - 1, nil
    while low <= high do
        local mid = math.floor((low + high) / 2)
        local val = tonumber(redis.call('lindex', key, mid))
        if val and val >= target then
            index = mid
            low = mid + 1
        else
            high = mid - 1
        end
    end
    out[#out + 1] = acquired
    if index then
        out[#out + 1] = tostring(redis.call('lindex', key, index))
        out[#out + 1] = index + 1
    else
        out[#out + 1] = tostring(timestamp)
        out[#out + 1] = 0
    end
    if acquired == 0 then
        break
    end
end
return out
"""

# One acquisition: (key, limit, expiry, amount). Its outcome: taken, and the window as it
# then stands (start of the window, entries in it).
Entry = tuple[str, int, int, int]
Outcome = tuple[bool, float, int]


class OneTripRedisStorage(RedisStorage):
    """RedisStorage whose moving-window acquire also returns the window, for the headers."""

    STORAGE_SCHEME = [SCHEME_PREFIX + s for s in ("redis", "rediss", "redis+unix")]

    def __init__(self, uri: str, **options: Any) -> None:
        super().__init__(uri.removeprefix(SCHEME_PREFIX), **options)
        self._last = threading.local()

    def initialize_storage(self, uri: str) -> None:
        """Register limits' scripts, and ours (as bytes, the way limits loads its own)."""
        super().initialize_storage(uri)
        self.lua_acquire_and_read = self.get_connection().register_script(
            ACQUIRE_AND_READ_WINDOWS.encode()
        )

    def acquire_entries(self, entries: list[Entry]) -> list[Outcome]:
        """Take each entry's slots in turn, in one round trip, stopping at the first
        without room; each outcome carries its window as it then stood."""
        args: list[float | int] = [time.time()]
        for _key, limit, expiry, amount in entries:
            args += [limit, expiry, amount]
        try:
            flat = self.lua_acquire_and_read([self.prefixed_key(e[0]) for e in entries], args)
        except self.base_exceptions as exc:
            # As limits wraps its own storage calls: the app answers StorageError with 503.
            if self.wrap_exceptions:
                raise StorageError(exc) from exc
            raise
        return [
            (bool(flat[i]), float(flat[i + 1]), int(flat[i + 2])) for i in range(0, len(flat), 3)
        ]

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """Take amount slots if there is room; remember the window as it then stands."""
        self._last.window = None
        ((acquired, oldest, count),) = self.acquire_entries([(key, limit, expiry, amount)])
        self._last.window = ((key, limit, expiry), (oldest, count))
        return acquired

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """The window just read by this thread's acquire of the same limit, else Redis's."""
        last: tuple[tuple[str, int, int], tuple[float, int]] | None = getattr(
            self._last, "window", None
        )
        self._last.window = None
        if last is not None and last[0] == (key, limit, expiry):
            return last[1]
        return super().get_moving_window(key, limit, expiry)


class ThreadSafeMemoryStorage(MemoryStorage):
    """MemoryStorage whose expiry timer is restarted under a lock.

    limits 5.8.0 checks `timer.is_alive()` and starts a new timer without a lock: two
    threads of one gthread worker can both replace it and start the same one twice
    (RuntimeError: threads can only be started once, a 500). Fixed upstream after 5.8.0
    (alisaifee/limits issue 352); this keeps the fix while the pin allows 5.8.
    """

    STORAGE_SCHEME = [SCHEME_PREFIX + "memory"]

    def __init__(
        self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any
    ) -> None:
        self._timer_lock = threading.Lock()
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    def _MemoryStorage__schedule_expiry(self) -> None:
        """Restart the expiry timer once, however many threads ask at the same time."""
        with self._timer_lock:
            if not self.timer.is_alive():
                # MemoryStorage's private __expire_events: mypy does not mangle names.
                expire = self._MemoryStorage__expire_events  # type: ignore[attr-defined]
                self.timer = threading.Timer(0.01, expire)
                self.timer.start()


def storage_uri(uri: str) -> str:
    """The limits URI that selects this module's storage for a redis:// or memory:// setting."""
    scheme = uri.split("://", 1)[0]
    return SCHEME_PREFIX + uri if scheme in ("redis", "rediss", "redis+unix", "memory") else uri
