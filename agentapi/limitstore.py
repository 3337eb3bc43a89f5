"""Limit storages: Redis that answers a hit's window from its own acquire; a safer memory://.

RateLimiter.hit (agentapi/ratelimit.py) asks the storage twice per limit: once to take
a slot in the moving window and once for the window's count and start, which the
X-RateLimit-* headers need. Stock limits runs a Lua script for each: two
round trips. Here one script takes the slot and reads the window in the same step;
the stats are kept for this thread and handed out, once, to the next stats request
for the same key and limit. Anything else asks Redis as before.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from limits.storage import MemoryStorage, RedisStorage

SCHEME_PREFIX = "agentapi+"

# limits' acquire_moving_window.lua and moving_window.lua, one after the other.
ACQUIRE_AND_READ_WINDOW = """
local timestamp = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local expiry = tonumber(ARGV[3])
local amount = tonumber(ARGV[4])
local acquired = 0
if amount <= limit then
    local entry = redis.call('lindex', KEYS[1], limit - amount)
    if not (entry and tonumber(entry) >= timestamp - expiry) then
        for i = 1, amount do
            redis.call('lpush', KEYS[1], timestamp)
        end
        redis.call('ltrim', KEYS[1], 0, limit - 1)
        redis.call('expire', KEYS[1], expiry)
        acquired = 1
    end
end
local target = timestamp - expiry
local low, high, index = 0, limit - 1, nil
while low <= high do
    local mid = math.floor((low + high) / 2)
    local val = tonumber(redis.call('lindex', KEYS[1], mid))
    if val and val >= target then
        index = mid
        low = mid + 1
    else
        high = mid - 1
    end
end
if index then
    return {acquired, tostring(redis.call('lindex', KEYS[1], index)), index + 1}
end
return {acquired, tostring(timestamp), 0}
"""


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
            ACQUIRE_AND_READ_WINDOW.encode()
        )

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """Take amount slots if there is room; remember the window as it then stands."""
        self._last.window = None
        acquired, oldest, count = self.lua_acquire_and_read(
            [self.prefixed_key(key)], [time.time(), limit, expiry, amount]
        )
        self._last.window = ((key, limit, expiry), (float(oldest), int(count)))
        return bool(acquired)

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
