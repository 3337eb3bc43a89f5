"""Request ids and the headers every response carries."""

from __future__ import annotations

import re
import time
import uuid

from flask import Flask, Response, current_app, g, request

REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


def assign_request_id() -> None:
    """before_request, first of all: echo a valid X-Request-ID or make one."""
    g.started = time.perf_counter()
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


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
    """Register the request-id hook (it must run first) and the header hook."""
    app.before_request(assign_request_id)
    app.after_request(add_standard_headers)
