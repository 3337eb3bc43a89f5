"""Bearer-token authentication, scope checks and the throttled last_used_at write."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import Flask, Response, current_app, g, request

from . import ratelimit
from .db import execute_write, fetch_one
from .errors import REALM, ApiError

log = logging.getLogger("agentapi.auth")

TOKEN_PATTERN = re.compile(r"vb_([a-z0-9]{8})_([A-Za-z0-9]{32})")
SCOPES = ("businesses:read", "invoices:read", "services:read", "availability:read")
# Prefixes remembered per process as having authenticated; see authenticate().
KNOWN_PREFIXES_MAX = 10000
# Compared against when the prefix is unknown, so that both paths do the same work.
_DUMMY_HASH = hashlib.sha256(b"agentapi-no-such-key").hexdigest()


@dataclass(frozen=True)
class ApiKey:
    """An authenticated key: its id, prefix, scopes and readable businesses."""

    id: str
    prefix: str
    scopes: frozenset[str]
    business_ids: frozenset[str] | None  # None: every business
    last_used_at: datetime | None

    def may_read(self, business_id: str) -> bool:
        """Whether this key may read the given business."""
        return self.business_ids is None or business_id in self.business_ids


def hash_token(token: str) -> str:
    """Lowercase hex SHA-256 of the whole token: what api_keys.key_hash stores."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


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
    match = TOKEN_PATTERN.fullmatch(token)
    if match is None:
        raise _invalid_token()
    row = fetch_one("get_key_by_prefix", prefix=match.group(1))
    stored = row["key_hash"] if row else _DUMMY_HASH
    hash_matches = hmac.compare_digest(stored.encode(), hash_token(token).encode())
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
    return ApiKey(
        id=row["id"],
        prefix=row["prefix"],
        scopes=frozenset(row["scopes"].split()),
        business_ids=readable if restricted else None,
        last_used_at=row["last_used_at"],
    )


def _is_public() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return request.method == "OPTIONS" or bool(getattr(view, "public", False))


def _known_prefix(token: str) -> bool:
    """Whether the token's prefix authenticated in this process before."""
    match = TOKEN_PATTERN.fullmatch(token)
    return match is not None and match.group(1) in current_app.extensions["agentapi.known_prefixes"]


def _remember(prefix: str) -> None:
    known = current_app.extensions["agentapi.known_prefixes"]
    if len(known) >= KNOWN_PREFIXES_MAX:
        known.clear()
    known.add(prefix)


def authenticate() -> None:
    """before_request: put the key on g, or answer 401 (or 429 after many failures).

    A client address over the failure limit gets 429 for every token that fails, and
    its tokens reach the key table at most BLOCKED_LOOKUP_LIMIT times (prefixes that
    authenticated here before always do): a valid key from that address still works,
    and guessed tokens cannot flood the key table.
    """
    if request.routing_exception is None and _is_public():
        return
    token = bearer_token()
    if request.routing_exception is not None:
        # Unknown path or method: answered as 404/405 whatever the token; a valid
        # key is still counted against its limit, a failed one against the address.
        if token and (_known_prefix(token) or not ratelimit.auth_failures_exceeded()):
            try:
                g.api_key = _lookup(token)
            except ApiError:
                ratelimit.count_auth_failure()
        return
    if not token:
        raise _unauthorized()
    if (
        not _known_prefix(token)
        and ratelimit.auth_failures_exceeded()
        and not ratelimit.allow_lookup_while_blocked()
    ):
        ratelimit.check_auth_failures()
    try:
        key = _lookup(token)
    except ApiError:
        ratelimit.check_auth_failures()
        ratelimit.count_auth_failure()
        raise
    _remember(key.prefix)
    g.api_key = key
    request.environ["agentapi.key_prefix"] = key.prefix


def require_scope() -> None:
    """before_request, after the limiter: the key must hold the route's scope."""
    key = g.get("api_key")
    if key is None or request.routing_exception is not None:
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


class UsageRecorder:
    """Writes api_keys.last_used_at at most once per key per interval in this process."""

    def __init__(self, interval_seconds: float) -> None:
        self.interval = interval_seconds
        self._written: dict[str, float] = {}
        self._lock = threading.Lock()

    def _due(self, key: ApiKey) -> bool:
        now = time.monotonic()
        if key.last_used_at is not None:
            age = datetime.now(UTC).replace(tzinfo=None) - key.last_used_at
            if age < timedelta(seconds=self.interval):
                return False
        with self._lock:
            last = self._written.get(key.id)
            if last is not None and now - last < self.interval:
                return False
            self._written[key.id] = now
            return True

    def record(self, response: Response) -> Response:
        """after_request: note a successful use of the key."""
        key = g.get("api_key")
        if key is None or not (200 <= response.status_code < 300 or response.status_code == 304):
            return response
        if self._due(key):
            try:
                execute_write("touch_key_last_used", key_id=key.id)
            except Exception as exc:
                log.warning("could not record last_used_at: %s", type(exc).__name__)
        return response


def init_app(app: Flask) -> None:
    """Register authentication (before the limiter) and the usage recorder."""
    app.extensions["agentapi.known_prefixes"] = set()
    app.before_request(authenticate)
    recorder = UsageRecorder(app.config["AGENTAPI"]["LAST_USED_INTERVAL"])
    app.after_request(recorder.record)


def init_scope_check(app: Flask) -> None:
    """Register the scope check; called after the limiter so that 403s are counted."""
    app.before_request(require_scope)
