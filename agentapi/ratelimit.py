"""Per-key rate limit (flask-limiter, moving window) and the per-address auth-failure limit."""

from __future__ import annotations

import math
import time

from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter
from limits import parse

from . import limitstore
from .errors import ApiError


def _key_id() -> str:
    """The authenticated key's id: the limiter's bucket. Free of side effects."""
    key = g.get("api_key")
    return key.id if key is not None else ""


def _unauthenticated() -> bool:
    """Requests without a valid key (public routes, routing errors) are not counted."""
    return g.get("api_key") is None


def init_app(app: Flask) -> Limiter:
    """Create the limiter; its before_request hook must come after authentication's."""
    settings = app.config["AGENTAPI"]
    storage_uri = settings["RATELIMIT_STORAGE_URI"]
    options: dict = {"wrap_exceptions": True}
    if storage_uri.startswith("redis"):
        options.update(socket_connect_timeout=1, socket_timeout=1)
    limiter = Limiter(
        key_func=_key_id,
        app=app,
        application_limits=[settings["RATE_LIMIT"]],
        application_limits_exempt_when=_unauthenticated,
        strategy="moving-window",
        # redis:// is served by a RedisStorage that reads the window for the headers
        # in the same round trip as the hit (agentapi/limitstore.py).
        storage_uri=limitstore.storage_uri(storage_uri),
        storage_options=options,
        # Headers are written by add_headers below: flask-limiter would put
        # Retry-After on every response, and the contract wants it on 429s only.
        headers_enabled=False,
        # Count requests that matched no route too, when they carry a valid key.
        request_identifier=lambda: request.endpoint or "unmatched",
        swallow_errors=False,
    )
    app.extensions["agentapi.limiter"] = limiter
    app.extensions["agentapi.auth_failure_limit"] = parse(settings["AUTH_FAILURE_LIMIT"])
    app.extensions["agentapi.blocked_lookup_limit"] = parse(BLOCKED_LOOKUP_LIMIT)
    return limiter


def reset_at() -> float:
    """Epoch seconds at which the current key's window frees a slot."""
    limit = current_app.extensions["agentapi.limiter"].current_limit
    # The window's own reset time: RequestLimit.reset_at adds a second and truncates,
    # which overstates both headers by up to two seconds.
    return float(limit.window.reset_time) if limit is not None else time.time() + 1


def add_headers(response: Response) -> Response:
    """X-RateLimit-* on every response to an authenticated request."""
    limit = current_app.extensions["agentapi.limiter"].current_limit
    if limit is None or g.get("api_key") is None:
        return response
    response.headers["X-RateLimit-Limit"] = str(limit.limit.amount)
    response.headers["X-RateLimit-Remaining"] = str(max(0, limit.remaining))
    response.headers["X-RateLimit-Reset"] = str(math.ceil(reset_at()))
    return response


# Lookups an address over its failure limit still gets (see allow_lookup_while_blocked).
BLOCKED_LOOKUP_LIMIT = "10 per second"


def _failure_bucket() -> tuple[str, str]:
    return ("agentapi-auth-failure", request.remote_addr or "unknown")


def auth_failures_exceeded() -> bool:
    """Whether this client address has used up its failed authentications."""
    limiter = current_app.extensions["agentapi.limiter"]
    item = current_app.extensions["agentapi.auth_failure_limit"]
    return not limiter.limiter.test(item, *_failure_bucket())


def allow_lookup_while_blocked() -> bool:
    """Whether an address over its failure limit may still have one token looked up.

    A trickle, not a flood: enough that a valid key from a blocked address still gets
    through, too little for guessed tokens to load the key table.
    """
    limiter = current_app.extensions["agentapi.limiter"]
    item = current_app.extensions["agentapi.blocked_lookup_limit"]
    return limiter.limiter.hit(item, "agentapi-blocked-lookup", request.remote_addr or "unknown")


def check_auth_failures() -> None:
    """Refuse a client address that has failed authentication too often."""
    limiter = current_app.extensions["agentapi.limiter"]
    item = current_app.extensions["agentapi.auth_failure_limit"]
    if auth_failures_exceeded():
        stats = limiter.limiter.get_window_stats(item, *_failure_bucket())
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise ApiError(
            429,
            "rate_limited",
            f"Too many failed authentications from this address; retry in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )


def count_auth_failure() -> None:
    """Record one failed authentication for this client address."""
    limiter = current_app.extensions["agentapi.limiter"]
    limiter.limiter.hit(current_app.extensions["agentapi.auth_failure_limit"], *_failure_bucket())
