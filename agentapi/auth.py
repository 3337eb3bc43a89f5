"""Bearer-token authentication and scope checks: two steps of the request pipeline."""

from __future__ import annotations

import contextlib
import hmac
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Flask, current_app, g, request

from . import ratelimit, tokens
from .db import fetch_all, fetch_one
from .errors import REALM, ApiError
from .keycache import KeyCache

SCOPES = ("businesses:read", "invoices:read", "services:read", "availability:read")
# Compared against when the prefix is unknown, so that both paths do the same work.
_DUMMY_HASH = tokens.hash_token("agentapi-no-such-key")
# How often the set of key prefixes may be read again (see KeyPrefixes).
PREFIX_REFRESH_SECONDS = 1.0


@dataclass(frozen=True)
class ApiKey:
    """An authenticated key: who it is, what it may do, and which businesses it reads."""

    id: str
    prefix: str
    name: str
    scopes: frozenset[str]
    business_ids: frozenset[str] | None  # None: every business
    created_at: datetime | None
    expires_at: datetime | None
    last_used_at: datetime | None

    def may_read(self, business_id: str) -> bool:
        """Whether this key may read the given business."""
        return self.business_ids is None or business_id in self.business_ids


class KeyPrefixes:
    """The prefixes of every stored key, read again at most once a second, on a miss.

    An address over its failure limit gets a key lookup only for a token whose prefix
    is in this set: a valid key from that address still works (its prefix is here),
    while guessed tokens cost no statement each, whatever their number.
    """

    def __init__(self, read: Callable[[], set[str]]) -> None:
        self._read = read
        self._prefixes: set[str] = set()
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def known(self, prefix: str) -> bool:
        """Whether the prefix is in the set as it stands (no statement)."""
        return prefix in self._prefixes

    def add(self, prefix: str) -> None:
        """Remember a prefix that just authenticated."""
        self._prefixes.add(prefix)

    def may_exist(self, prefix: str) -> bool:
        """Whether a key with this prefix existed at the last read (read again if due)."""
        if prefix in self._prefixes:
            return True
        with self._lock:
            if time.monotonic() - self._read_at >= PREFIX_REFRESH_SECONDS:
                self._prefixes = self._read()
                self._read_at = time.monotonic()
        return prefix in self._prefixes


def _unauthorized() -> ApiError:
    return ApiError(
        401,
        "unauthorized",
        "Send an API key as 'Authorization: Bearer <token>'.",
        headers={"WWW-Authenticate": REALM},
    )


def _invalid_token() -> ApiError:
    return ApiError(
        401,
        "invalid_token",
        "The API key is malformed, unknown, expired or revoked.",
        headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'},
    )


def bearer_token() -> str | None:
    """The token of an 'Authorization: Bearer' header, or None when none was sent."""
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip()


def _lookup(token: str) -> ApiKey:
    """Find the key for a token, or raise the one invalid_token error."""
    prefix = tokens.prefix_of(token)
    if prefix is None:
        raise _invalid_token()
    digest = tokens.hash_token(token)
    cache: KeyCache[ApiKey] = current_app.extensions["agentapi.key_cache"]
    cached = cache.get(digest)
    if cached is not None:
        return cached
    row = fetch_one("get_key_by_prefix", prefix=prefix)
    stored = row["key_hash"] if row else _DUMMY_HASH
    hash_matches = hmac.compare_digest(stored.encode(), digest.encode())
    now = datetime.now(UTC).replace(tzinfo=None)
    if (
        row is None
        or not hash_matches
        or row["revoked_at"] is not None
        or (row["expires_at"] is not None and row["expires_at"] <= now)
    ):
        raise _invalid_token()
    businesses = row["business_ids"]
    # Rows restrict a key even without the flag (keys linked before it existed); the
    # flag keeps a key whose businesses are all gone reading nothing, not everything.
    restricted = bool(businesses) or bool(row["restricted"])
    readable = frozenset(businesses.split(",")) if businesses else frozenset()
    key = ApiKey(
        id=row["id"],
        prefix=row["prefix"],
        name=row["name"],
        scopes=frozenset(row["scopes"].split()),
        business_ids=readable if restricted else None,
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        last_used_at=row["last_used_at"],
    )
    cache.put(digest, key)
    return key


def _is_public() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return request.method == "OPTIONS" or bool(getattr(view, "public", False))


def _may_look_up(prefix: str | None) -> bool:
    """Whether a token from an address over its failure limit gets a key lookup.

    Yes for a prefix some key has; for other prefixes, a trickle per address (a key
    made since the prefixes were last read gets through it, or at the next read).
    """
    if prefix is None:
        return False
    prefixes: KeyPrefixes = current_app.extensions["agentapi.key_prefixes"]
    return prefixes.may_exist(prefix) or ratelimit.allow_blocked_lookup()


def _key_or_refusal(token: str) -> ApiKey:
    """The token's key; 401 for a bad token, 429 once its address failed too often.

    Failures are counted per client address. Over the limit, a bad token is answered
    429 (and not counted again); a valid key is never refused for failures it did not
    make. While the address is over, tokens whose prefix no key has get a lookup only
    within a small trickle. A prefix seen before costs no limit-store round trip.
    """
    prefix = tokens.prefix_of(token)
    prefixes: KeyPrefixes = current_app.extensions["agentapi.key_prefixes"]
    over_limit: bool | None = None
    if prefix is None or not prefixes.known(prefix):
        over_limit = ratelimit.auth_failures_exceeded()
        if over_limit and not _may_look_up(prefix):
            raise ratelimit.auth_failures_refusal()
    try:
        key = _lookup(token)
    except ApiError:
        if over_limit is None:
            over_limit = ratelimit.auth_failures_exceeded()
        if over_limit:
            raise ratelimit.auth_failures_refusal() from None
        ratelimit.count_auth_failure()
        raise
    prefixes.add(key.prefix)
    return key


def authenticate() -> None:
    """Pipeline step: put the key on g, or answer 401 (429 after many failures).

    A request for an unknown path or method is answered 404/405 later, whatever its
    token; a valid key sent with it is still put on g, so that it is counted.
    """
    unmatched = request.routing_exception is not None
    if not unmatched and _is_public():
        return
    token = bearer_token()
    if unmatched:
        if token:
            # A failure is counted against the address; the routing error answers.
            with contextlib.suppress(ApiError):
                g.api_key = _key_or_refusal(token)
        return
    if not token:
        raise _unauthorized()
    g.api_key = _key_or_refusal(token)
    request.environ["agentapi.key_prefix"] = g.api_key.prefix


def raise_routing_error() -> None:
    """Pipeline step: an unknown path (404) or method (405) is answered now."""
    if request.routing_exception is not None:
        raise request.routing_exception


def require_scope() -> None:
    """Pipeline step: the key must hold the route's scope (403)."""
    key = g.get("api_key")
    if key is None:
        return
    view = current_app.view_functions.get(request.endpoint or "")
    scope = getattr(view, "required_scope", None)
    if scope and scope not in key.scopes:
        raise ApiError(
            403,
            "insufficient_scope",
            f"This key lacks the {scope} scope.",
            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'},
            extra={"required_scope": scope},
        )


def init_app(app: Flask) -> None:
    """Keep the set of key prefixes and the verified keys for this app."""

    def read_prefixes() -> set[str]:
        return {row["prefix"] for row in fetch_all("list_key_prefixes")}

    app.extensions["agentapi.key_prefixes"] = KeyPrefixes(read_prefixes)
    app.extensions["agentapi.key_cache"] = KeyCache(app.config["AGENTAPI"]["KEY_CACHE_SECONDS"])
