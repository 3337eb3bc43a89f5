"""Rate limits: one facade over the limit storage, and the pipeline's two limit steps.

flask-limiter builds the storage (memory:// or redis://, agentapi/limitstore.py) and
the moving-window strategy from the settings. No limit is declared to it, and its own
request hooks are unregistered: the per-key slot is taken by `take_request_slot`, in its
place in agentapi/pipeline.py. Callers use RateLimiter (test, hit, window) and never
the library underneath, in the manner of pypi/warehouse's rate_limiting.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter
from limits import RateLimitItem, parse, parse_many
from limits.errors import StorageError
from limits.strategies import RateLimiter as Strategy

from . import limitstore
from .errors import ApiError, problem_response, rate_limited, service_unavailable
from .headers import put_fields
from .ratewindow import RateLimitExceeded, Window
from .slotlease import SlotLeases

# Lookups of prefixes no key has that an address over its failure limit still gets.
BLOCKED_LOOKUP_LIMIT = "10 per second"
POLICY_NAME = "default"  # the IETF RateLimit-Policy name of the per-key quota


class RateLimiter:
    """test, hit and window over one limit storage, with moving windows."""

    def __init__(self, strategy: Strategy) -> None:
        self._strategy = strategy

    def test(self, limit: RateLimitItem, *identifiers: str) -> bool:
        """Whether one more hit would fit, without taking it."""
        return self._strategy.test(limit, *identifiers)

    def hit(self, limit: RateLimitItem, *identifiers: str, cost: int = 1) -> Window:
        """Take cost slots atomically, or raise RateLimitExceeded (nothing taken)."""
        taken = self._strategy.hit(limit, *identifiers, cost=cost)
        window = self.window(limit, *identifiers)
        if not taken:
            raise RateLimitExceeded(limit, window)
        return window

    def hit_all(self, hits: list[tuple[RateLimitItem, tuple[str, ...], int]]) -> list[Window]:
        """Take each (limit, identifiers, cost) in turn, as hit would, and stop at the
        first that does not fit (raise RateLimitExceeded; the hits before it stay taken).
        One round trip in all where the storage can (limitstore.OneTripRedisStorage)."""
        storage = self._strategy.storage
        if not isinstance(storage, limitstore.OneTripRedisStorage):
            return [self.hit(limit, *identifiers, cost=cost) for limit, identifiers, cost in hits]
        entries = [
            (limit.key_for(*identifiers), limit.amount, limit.get_expiry(), cost)
            for limit, identifiers, cost in hits
        ]
        windows = []
        for (limit, _ids, _cost), (taken, start, count) in zip(
            hits, storage.acquire_entries(entries), strict=False
        ):
            window = Window(
                limit=limit.amount,
                seconds=limit.get_expiry(),
                remaining=max(0, limit.amount - count),
                reset_at=start + limit.get_expiry(),
            )
            if not taken:
                raise RateLimitExceeded(limit, window)
            windows.append(window)
        return windows

    def window(self, limit: RateLimitItem, *identifiers: str) -> Window:
        """The window as it stands (after this thread's hit, from the same round trip)."""
        stats = self._strategy.get_window_stats(limit, *identifiers)
        # The window's own reset time: flask-limiter's RequestLimit.reset_at adds a
        # second and truncates, which would overstate the headers by up to two seconds.
        return Window(
            limit=limit.amount,
            seconds=limit.get_expiry(),
            remaining=max(0, stats.remaining),
            reset_at=float(stats.reset_time),
        )

    def check(self) -> None:
        """Ask the storage whether it answers (for /health); raises StorageError if not."""
        if not self._strategy.storage.check():
            raise StorageError(ConnectionError("the rate limit store did not answer"))


@dataclass(frozen=True)
class Limits:
    """The service's limits: per key, failed authentications per address, and the facade."""

    limiter: RateLimiter
    leases: SlotLeases | None  # with a shared storage: the high limits' slots, leased
    per_key: list[RateLimitItem]
    burst: RateLimitItem
    auth_failures: RateLimitItem
    blocked_lookups: RateLimitItem


def limits() -> Limits:
    """This app's limits."""
    found: Limits = current_app.extensions["agentapi.limits"]
    return found


def _view_operation() -> Any:
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "operation", None)


def _quota_hits(
    config: Limits, key_id: str, cost: int
) -> list[tuple[RateLimitItem, tuple[str, ...], int]]:
    return [(item, ("key", key_id), cost) for item in config.per_key]


def _is_quota(config: Limits, item: RateLimitItem) -> bool:
    """Whether the limit is one of the per-key quota limits (the very object, not an equal
    one: a burst limit may be written as the same rate)."""
    return any(item is quota for quota in config.per_key)


def _take(
    config: Limits,
    hits: list[tuple[RateLimitItem, tuple[str, ...], int]],
    key_id: str,
    leased: bool = False,
) -> None:
    """Take the hits (from a lease, if leased and one can be had: agentapi/slotlease.py),
    or raise; the quota's window rides on g either way (for headers). config is the
    app's limits(), looked up once by the caller."""
    try:
        if leased and config.leases is not None:
            windows = config.leases.hit_all(hits)
        else:
            windows = config.limiter.hit_all(hits)
    except RateLimitExceeded as exc:
        # A 429 carries the headers of the quota limit it broke, or of the quota when the
        # burst limit broke.
        g.rate_window = (
            exc.window
            if _is_quota(config, exc.limit)
            else config.limiter.window(config.per_key[0], "key", key_id)
        )
        raise
    quota_windows = [
        w for (item, _ids, _cost), w in zip(hits, windows, strict=True) if _is_quota(config, item)
    ]
    if quota_windows:
        g.rate_window = min(quota_windows, key=lambda w: w.remaining)


def take_request_slot() -> None:
    """Pipeline step: count a request with a valid key, or refuse it with 429.

    Every request of a key takes a slot of the burst limit. It then takes its cost
    (1, or the setting its operation names) of the quota, except a conditional request
    to a list: a 304 uses no quota, so its quota is settled after the view
    (settle_deferred_quota), when the answer is known. Both are taken in one round
    trip to the limit storage. Requests without a valid key (public routes, failed
    tokens) are not counted here: failed tokens are limited per address by the
    authentication step.
    """
    key = g.get("api_key")
    if key is None:
        return
    config = limits()
    hits: list[tuple[RateLimitItem, tuple[str, ...], int]] = [(config.burst, ("burst", key.id), 1)]
    op = _view_operation()
    cost = current_app.config["AGENTAPI"][op.cost_setting] if op and op.cost_setting else 1
    if op is not None and op.paginated and "HTTP_IF_NONE_MATCH" in request.environ:
        g.deferred_quota = cost
    else:
        hits += _quota_hits(config, key.id, cost)
    _take(config, hits, key.id, leased=cost == 1)


def settle_deferred_quota(response: Response) -> Response:
    """Pipeline step: a conditional request's quota, now that its answer is known.

    A 304 uses none; any other answer takes its slots now, atomically, and becomes a
    429 when none are left, so that the quota stays exact under concurrency.
    """
    cost = g.pop("deferred_quota", None)
    if cost is None:
        return response
    key = g.api_key
    config = limits()
    if response.status_code == 304:
        g.rate_window = config.limiter.window(config.per_key[0], "key", key.id)
        return response
    try:
        _take(config, _quota_hits(config, key.id, cost), key.id)
    except RateLimitExceeded as exc:
        return _rate_limited_response(exc)
    return response


def add_rate_headers(response: Response) -> Response:
    """Pipeline step: X-RateLimit-* and the IETF RateLimit fields on every counted answer."""
    window: Window | None = g.get("rate_window")
    if window is None:
        return response
    now = time.time()
    # draft-ietf-httpapi-ratelimit-headers-09 (structured fields); t: seconds until a
    # slot frees, 0 while slots are left.
    until = max(0, math.ceil(window.reset_at - now)) if window.remaining == 0 else 0
    put_fields(
        response,
        [
            ("X-RateLimit-Limit", str(window.limit)),
            ("X-RateLimit-Remaining", str(window.remaining)),
            ("X-RateLimit-Reset", str(math.ceil(window.reset_at))),
            ("RateLimit-Policy", f'"{POLICY_NAME}";q={window.limit};w={window.seconds}'),
            ("RateLimit", f'"{POLICY_NAME}";r={window.remaining};t={until}'),
        ],
    )
    return response


def _address() -> str:
    return request.remote_addr or "unknown"


def auth_failures_exceeded() -> bool:
    """Whether this client address has used up its failed authentications."""
    config = limits()
    return not config.limiter.test(config.auth_failures, "auth-failure", _address())


def count_auth_failure() -> None:
    """Record one failed authentication for this client address (never refused)."""
    config = limits()
    with contextlib.suppress(RateLimitExceeded):
        config.limiter.hit(config.auth_failures, "auth-failure", _address())


def allow_blocked_lookup() -> bool:
    """Whether an address over its failure limit may have one more unknown prefix looked up."""
    config = limits()
    try:
        config.limiter.hit(config.blocked_lookups, "blocked-lookup", _address())
    except RateLimitExceeded:
        return False
    return True


def auth_failures_refusal() -> ApiError:
    """The 429 for an address over its failure limit, with its Retry-After."""
    config = limits()
    window = config.limiter.window(config.auth_failures, "auth-failure", _address())
    retry_after = max(1, math.ceil(window.reset_at - time.time()))
    return rate_limited(
        f"Too many failed authentications from this address; retry in {retry_after} s.",
        retry_after,
    )


def _rate_limited_response(exc: RateLimitExceeded) -> Response:
    """A key over one of its limits."""
    return problem_response(
        rate_limited(
            f"Rate limit of {exc.limit} exceeded; retry in {exc.retry_after} s.",
            exc.retry_after,
        )
    )


def _drop_library_hooks(app: Flask, library: Limiter) -> None:
    """Unregister flask-limiter's request hooks: with no limit declared they count
    nothing, yet they ran on every request (a tenth of a millisecond)."""

    def library_hook(hook: Any) -> bool:
        partial_args: Any = getattr(hook, "args", None)  # functools.partial(f, library)
        return getattr(hook, "__self__", None) is library or (
            isinstance(partial_args, tuple) and partial_args[:1] == (library,)
        )

    registries: tuple[dict[Any, list[Any]], ...] = (
        app.before_request_funcs,
        app.after_request_funcs,
        app.teardown_request_funcs,
    )
    for hooks in registries:
        for registered in hooks.values():
            registered[:] = [hook for hook in registered if not library_hook(hook)]


def init_app(app: Flask) -> None:
    """Build the limits from the settings and register their error handlers."""
    settings = app.config["AGENTAPI"]
    storage_uri = settings["RATELIMIT_STORAGE_URI"]
    options: dict[str, str | int] = {"wrap_exceptions": True}
    if storage_uri.startswith("redis"):
        options.update(socket_connect_timeout=1, socket_timeout=1)
    library = Limiter(
        key_func=lambda: "",
        app=app,
        strategy="moving-window",
        # redis:// is served by a RedisStorage that reads the window for the headers
        # in the same round trip as the hit (agentapi/limitstore.py).
        storage_uri=limitstore.storage_uri(storage_uri),
        storage_options=options,
        headers_enabled=False,
        swallow_errors=False,
    )
    _drop_library_hooks(app, library)
    limiter = RateLimiter(library.limiter)
    shared = isinstance(library.limiter.storage, limitstore.OneTripRedisStorage)
    app.extensions["agentapi.limits"] = Limits(
        limiter=limiter,
        leases=SlotLeases(limiter) if shared else None,
        per_key=list(parse_many(settings["RATE_LIMIT"])),
        burst=parse(settings["BURST_LIMIT"]),
        auth_failures=parse(settings["AUTH_FAILURE_LIMIT"]),
        blocked_lookups=parse(BLOCKED_LOOKUP_LIMIT),
    )

    app.register_error_handler(RateLimitExceeded, _rate_limited_response)

    @app.errorhandler(StorageError)
    def handle_limit_storage_down(exc: StorageError) -> Response:
        """Rate-limit storage unreachable: fail closed, never uncounted."""
        return problem_response(service_unavailable("rate limit store", exc))
