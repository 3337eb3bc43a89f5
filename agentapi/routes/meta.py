"""Routes about the service itself: the OpenAPI document, the health check, the key's facts."""

from __future__ import annotations

import math
import threading
import time
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify

from ..db import DatabaseUnavailable, StatementTimeout, fetch_one
from ..errors import RETRY_AFTER_UNAVAILABLE, ApiError, problem_response
from ..formats import utc_timestamp
from ..operations import operation
from ..params import parse_query
from ..ratelimit import limits

bp = Blueprint("meta", __name__)

# /health is public and cheap to poll hard: each process checks at most once a second.
HEALTH_CACHE_SECONDS = 1.0
_health_lock = threading.Lock()


@bp.get("/schema")
@operation(
    operation_id="getSchema",
    summary="The OpenAPI document",
    description="This API's OpenAPI 3.0.3 document as JSON. Public; not rate limited.",
    tag="Meta",
    scope=None,
    response_schema="OpenAPIDocument",
    uses_database=False,
)
def schema() -> Response:
    """Serve the OpenAPI document built at start-up."""
    response = jsonify(current_app.extensions["agentapi.openapi"])
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _recent_checks() -> dict[str, str] | None:
    """The checks made less than HEALTH_CACHE_SECONDS ago, if there are any."""
    cached: tuple[float, dict[str, str]] | None = current_app.extensions.get("agentapi.health")
    if cached and time.monotonic() - cached[0] < HEALTH_CACHE_SECONDS:
        return cached[1]
    return None


def _checks() -> dict[str, str]:
    """Whether the database and the limit storage answer, as checked at most once a second."""
    recent = _recent_checks()
    if recent is not None:
        return recent
    with _health_lock:
        recent = _recent_checks()
        if recent is not None:
            return recent
        checks = {"database": "ok", "rate_limit_storage": "ok"}
        try:
            fetch_one("check_database")
        except (DatabaseUnavailable, StatementTimeout):
            checks["database"] = "unavailable"
        try:
            limits().limiter.check()
        except Exception:
            checks["rate_limit_storage"] = "unavailable"
        current_app.extensions["agentapi.health"] = (time.monotonic(), checks)
        return checks


@bp.get("/health")
@operation(
    operation_id="getHealth",
    summary="Health check",
    description=(
        "Public, no data: 200 when the database and the rate-limit storage answer; 503 "
        "(service_unavailable, with `checks` saying which does not) otherwise. Each "
        "process checks at most once a second."
    ),
    tag="Meta",
    scope=None,
    response_schema="Health",
)
def health() -> Response:
    """Report whether the database and the limit storage answer."""
    checks = _checks()
    if all(value == "ok" for value in checks.values()):
        return jsonify({"status": "ok", **checks})
    failing = " and ".join(name.replace("_", " ") for name, v in checks.items() if v != "ok")
    return problem_response(
        ApiError(
            503,
            "service_unavailable",
            f"The {failing} is not answering; retry shortly.",
            headers={"Retry-After": RETRY_AFTER_UNAVAILABLE},
            extra={"checks": checks},
        )
    )


def _key_facts() -> dict[str, Any]:
    key = g.api_key
    window = g.rate_window
    return {
        "prefix": key.prefix,
        "name": key.name,
        "scopes": sorted(key.scopes),
        "businesses": None if key.business_ids is None else sorted(key.business_ids),
        "created_at": utc_timestamp(key.created_at),
        "expires_at": utc_timestamp(key.expires_at),
        "last_used_at": utc_timestamp(key.last_used_at),
        "rate_limit": {
            "limit": window.limit,
            "remaining": window.remaining,
            "reset": math.ceil(window.reset_at),
            "used": window.used,
        },
    }


@bp.get("/key")
@operation(
    operation_id="getKey",
    summary="The key's own facts",
    description=(
        "What the key sending the request is: its prefix, name, scopes, the businesses it "
        "may read (null: every business), dates, and its rate limit as it stands after "
        "this request. Counted like any request. Never the key's hash. Shows why a call "
        "gets 403 (a scope it lacks) or 404 (a business it may not read)."
    ),
    tag="Meta",
    scope=None,
    public=False,
    response_schema="Key",
    uses_database=True,
)
def key() -> Response:
    """Describe the key that sent the request."""
    parse_query(())
    return jsonify(_key_facts())
