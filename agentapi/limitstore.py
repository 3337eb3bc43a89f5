"""Limit storages: Redis that answers a hit's window from its own acquire; a safer memory://.

RateLimiter (agentapi/ratelimit.py) takes a slot in a moving window and needs the
window's count and start for the X-RateLimit-* headers. Stock limits runs a Lua
script for each, per limit: a request counted against a burst and a quota limit
would make four round trips. Here one script takes the slots of several limits in
turn and reads each window in the same step (acquire_entries, used by
RateLimiter.hit_all): one round trip per request, sent as a hand-packed EVALSHA on
the thread's own connection. A single acquire_entry keeps the
window it read for this thread and hands it, once, to the next stats request for the
same key and limit. Anything else asks Redis as before.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any, Protocol, cast

from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError

SCHEME_PREFIX = "agentapi+"

# The moving window of limits' scripts (a list of hit times, newest first, at most limit
# long), for each key in turn: KEYS[i] with ARGV limit, expiry, amount at 3i-1, 3i, 3i+1
# (ARGV[1] is the time). Entries that left the window are dropped from the tail first,
# so the list's length is the window's count and its tail the window's start: no
# search. A few are popped one by one (the usual case: about one per hit); more than
# that, and the boundary is found by binary search and trimmed in one LTRIM. It stops
# after the first key with no room, as separate calls would have. The answer is one
# text, "acquired start count" per key taken in turn: a reply of one bulk string is read
# at a fraction of the cost of a nested array. limits' own scripts (get_moving_window,
# test) read the same lists.
ACQUIRE_AND_READ_WINDOWS = """
local timestamp = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS do
    local key = KEYS[i]
    local limit = tonumber(ARGV[3 * i - 1])
    local expiry = tonumber(ARGV[3 * i])
    local amount = tonumber(ARGV[3 * i + 1])
    local target = timestamp - expiry
    local count = redis.call('llen', key)
    if count > limit then
        redis.call('ltrim', key, 0, limit - 1)
        count = limit
    end
    local popped = 0
    while count > 0 and tonumber(redis.call('lindex', key, -1)) < target do
        if popped == 8 then
            -- Many left at once: the newest entry out of the window, by binary search.
            local low, high = 0, count - 1
            while low < high do
                local mid = math.floor((low + high) / 2)
                if tonumber(redis.call('lindex', key, mid)) < target then
                    high = mid
                else
                    low = mid + 1
                end
            end
            if low == 0 then
                redis.call('del', key)
            else
                redis.call('ltrim', key, 0, low - 1)
            end
            count = low
            break
        end
        redis.call('rpop', key)
        count = count - 1
        popped = popped + 1
    end
    local acquired = 0
    if count + amount <= limit then
        for _ = 1, amount do
            redis.call('lpush', key, timestamp)
        end
        count = count + amount
        redis.call('expire', key, expiry)
        acquired = 1
    end
    out[#out + 1] = acquired
    if count > 0 then
        out[#out + 1] = redis.call('lindex', key, -1)
    else
        out[#out + 1] = tostring(timestamp)
    end
    out[#out + 1] = count
    if acquired == 0 then
        break
    end
end
return table.concat(out, ' ')
"""


class RespConnection(Protocol):
    """What acquire_entries uses of a redis-py connection (whose methods are untyped)."""

    def send_packed_command(self, command: list[bytes], check_health: bool = True) -> None:
        """Write packed commands."""

    def read_response(self) -> Any:
        """Read one answer; an error answer is raised."""

    def disconnect(self) -> None:
        """Close the socket; the next command connects again."""


def _bulk(value: bytes) -> bytes:
    """One RESP bulk string."""
    return b"$%d\r\n%s\r\n" % (len(value), value)


# One acquisition: (key, limit, expiry, amount). Its outcome: taken, and the window as it
# then stands (start of the window, entries in it).
Entry = tuple[str, int, int, int]
Outcome = tuple[bool, float, int]
# Packed EVALSHAs kept per storage (one per key and cost in use), before starting over.
PACKED_ENTRIES_KEPT = 4096


class OneTripRedisStorage(RedisStorage):
    """RedisStorage whose moving-window acquire also returns the window, for the headers."""

    STORAGE_SCHEME = [SCHEME_PREFIX + s for s in ("redis", "rediss", "redis+unix")]

    def __init__(self, uri: str, **options: Any) -> None:
        super().__init__(uri.removeprefix(SCHEME_PREFIX), **options)
        self._last = threading.local()
        self._own = threading.local()  # this thread's connection for acquire_entries
        self._packed: dict[tuple[Entry, ...], tuple[bytes, bytes]] = {}

    def initialize_storage(self, uri: str) -> None:
        """Register limits' scripts, and ours (as bytes, the way limits loads its own)."""
        super().initialize_storage(uri)
        self.lua_acquire_and_read = self.get_connection().register_script(
            ACQUIRE_AND_READ_WINDOWS.encode()
        )
        self._evalsha = b"$7\r\nEVALSHA\r\n" + _bulk(self.lua_acquire_and_read.sha.encode())

    def _thread_connection(self) -> RespConnection:
        """This thread's own connection (made from the client's settings; after a fork,
        a new one): no pool lock and no bookkeeping per call."""
        own = self._own
        if getattr(own, "pid", None) != os.getpid():
            pool = cast(Any, self.get_connection()).connection_pool
            own.connection = pool.connection_class(**pool.connection_kwargs)
            own.pid = os.getpid()
        connection: RespConnection = own.connection
        return connection

    def _run_script(self, command: bytes) -> bytes:
        """Send the packed EVALSHA and read its answer. A connection the server dropped
        (a restart) is made again once; a script the server forgot is loaded again."""
        for attempt in range(3):
            connection = self._thread_connection()
            try:
                connection.send_packed_command([command], check_health=False)
                answer: bytes = connection.read_response()
                return answer
            except NoScriptError:
                if attempt == 2:
                    raise
                self.lua_acquire_and_read.registered_client.script_load(
                    self.lua_acquire_and_read.script
                )
            except RedisConnectionError:
                connection.disconnect()
                if attempt == 2:
                    raise
            except BaseException:
                # A timeout or an interrupted read leaves an answer on the wire.
                connection.disconnect()
                raise
        raise AssertionError("unreachable")

    def acquire_entries(self, entries: list[Entry]) -> list[Outcome]:
        """Take each entry's slots in turn, in one round trip, stopping at the first
        without room; each outcome carries its window as it then stood.

        The EVALSHA is packed here, not by redis-py: its command packing, retry wrapper
        and pool bookkeeping were about half of a /services request's limit step. Only
        the time changes between two requests of a key: the rest is packed once."""
        head, tail = self._packed_entries(tuple(entries))
        command = head + _bulk(repr(time.time()).encode()) + tail
        try:
            answer = self._run_script(command)
        except self.base_exceptions as exc:
            # As limits wraps its own storage calls: the app answers StorageError with 503.
            if self.wrap_exceptions:
                raise StorageError(exc) from exc
            raise
        flat = answer.split()
        return [
            (flat[i] == b"1", float(flat[i + 1]), int(flat[i + 2])) for i in range(0, len(flat), 3)
        ]

    def _packed_entries(self, entries: tuple[Entry, ...]) -> tuple[bytes, bytes]:
        """The EVALSHA before and after its time argument, for these entries."""
        packed = self._packed.get(entries)
        if packed is None:
            keys = [_bulk(self.prefixed_key(key).encode()) for key, _limit, _expiry, _n in entries]
            head = b"*%d\r\n" % (2 + 1 + len(keys) + 1 + 3 * len(entries))
            head += self._evalsha + _bulk(b"%d" % len(entries)) + b"".join(keys)
            tail = b"".join(
                _bulk(b"%d" % limit) + _bulk(b"%d" % expiry) + _bulk(b"%d" % amount)
                for _key, limit, expiry, amount in entries
            )
            if len(self._packed) >= PACKED_ENTRIES_KEPT:
                self._packed.clear()  # keys come and go: start over rather than grow
            packed = self._packed[entries] = (head, tail)
        return packed

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
