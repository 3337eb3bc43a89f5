"""Request ids and the headers every response carries."""

from __future__ import annotations

import re
import time
import uuid

from flask import Flask, Response, current_app, g, request

from .errors import ApiError
from .logs import redact

REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
# The caps gunicorn leaves to the app (deploy/gunicorn.conf.py lifts its own, which
# answer in HTML). 16 KB of URL lets an 8 KB parameter value through to validation,
# which names the parameter; deploy/nginx/agentapi.conf allows the same.
MAX_TARGET_BYTES = 16384
MAX_HEADER_FIELDS = 100
MAX_HEADER_FIELD_BYTES = 8192


def assign_request_id() -> None:
    """before_request, first of all: echo a valid X-Request-ID or make one."""
    g.started = time.perf_counter()
    incoming = request.headers.get("X-Request-ID", "")
    # An id that carries a token is not echoed: it would put the secret in logs.
    valid = REQUEST_ID.fullmatch(incoming) and redact(incoming) == incoming
    g.request_id = incoming if valid else uuid.uuid4().hex


def _too_large(status: int, parameter: str, message: str) -> ApiError:
    return ApiError(
        status,
        "invalid_parameter",
        f"{parameter}: {message}",
        errors=[{"parameter": parameter, "message": message}],
    )


def check_request_size() -> None:
    """before_request, after the id: refuse an oversized URL or header set as problem+json."""
    target = request.environ.get("RAW_URI") or request.full_path
    if len(target) > MAX_TARGET_BYTES:
        raise _too_large(414, "query", f"the URL is longer than {MAX_TARGET_BYTES} bytes")
    fields = list(request.headers.items())
    if len(fields) > MAX_HEADER_FIELDS:
        raise _too_large(431, "headers", f"more than {MAX_HEADER_FIELDS} header fields")
    for name, value in fields:
        if len(name) + len(value) + 2 > MAX_HEADER_FIELD_BYTES:
            raise _too_large(431, name, f"header longer than {MAX_HEADER_FIELD_BYTES} bytes")


def add_standard_headers(response: Response) -> Response:
    """after_request: request id, nosniff, no caching by default, CORS when configured."""
    response.headers["X-Request-ID"] = g.get("request_id") or uuid.uuid4().hex
    response.headers["X-Content-Type-Options"] = "nosniff"
    if g.get("api_key") is not None or "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    origins = current_app.config["AGENTAPI"]["CORS_ORIGINS"]
    origin = request.headers.get("Origin")
    if origin and origin in origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Headers"] = "Authorization, X-Request-ID"
        response.headers["Access-Control-Expose-Headers"] = (
            "X-Request-ID, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, "
            "Retry-After, Link"
        )
        response.headers["Vary"] = "Origin"
    return response


def init_app(app: Flask) -> None:
    """Register the request-id hook (it must run first), the size caps and the header hook."""
    app.before_request(assign_request_id)
    app.before_request(check_request_size)
    app.after_request(add_standard_headers)
