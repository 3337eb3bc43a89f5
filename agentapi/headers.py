"""Request ids, the request size caps and the headers every response carries."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from typing import Any

from flask import Response, current_app, g, request

from .errors import invalid_parameter
from .tokens import redact

REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
# The caps the app answers as problem+json; gunicorn's own limits (deploy/gunicorn.conf.py)
# sit a little above them. 16 KB of URL lets an 8 KB parameter value through to
# validation, which names the parameter; deploy/nginx/agentapi.conf allows the same.
MAX_TARGET_BYTES = 16384
MAX_HEADER_FIELDS = 100
MAX_HEADER_FIELD_BYTES = 8192


def new_request_id() -> str:
    """A new request id: 32 hex digits, random (uuid4().hex took four times as long)."""
    return os.urandom(16).hex()


def assign_request_id() -> None:
    """Pipeline step, first of all: echo a valid X-Request-ID or make one."""
    g.started = time.perf_counter()
    # The WSGI environ's field, not request.headers: its lookup spells the name anew.
    incoming = request.environ.get("HTTP_X_REQUEST_ID", "")
    # An id that carries a token is not echoed: it would put the secret in logs.
    valid = incoming and REQUEST_ID.fullmatch(incoming) and redact(incoming) == incoming
    g.request_id = incoming if valid else new_request_id()


def _may_be_oversized(environ: Mapping[str, Any]) -> bool:
    """Whether the header fields may pass a cap: counted from the WSGI environ, where a
    field's name is as long as in the request (HTTP_ aside). It counts a little more
    than request.headers does (an empty Content-Type, say), never less; only then are
    the fields read one by one."""
    count = 0
    longest = 0
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            size = len(key) - 5 + len(value)
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            size = len(key) + len(value)
        else:
            continue
        count += 1
        longest = max(longest, size)
    return count > MAX_HEADER_FIELDS or longest + 2 > MAX_HEADER_FIELD_BYTES


def check_request_size() -> None:
    """Pipeline step: refuse an oversized URL (414) or header set (431) as problem+json."""
    environ = request.environ
    target = environ.get("RAW_URI") or request.full_path
    if len(target) > MAX_TARGET_BYTES:
        raise invalid_parameter("query", f"the URL is longer than {MAX_TARGET_BYTES} bytes", 414)
    if not _may_be_oversized(environ):
        return
    fields = list(request.headers.items())
    if len(fields) > MAX_HEADER_FIELDS:
        raise invalid_parameter("headers", f"more than {MAX_HEADER_FIELDS} header fields", 431)
    for name, value in fields:
        if len(name) + len(value) + 2 > MAX_HEADER_FIELD_BYTES:
            raise invalid_parameter(name, f"header longer than {MAX_HEADER_FIELD_BYTES} bytes", 431)


def put_fields(response: Response, fields: list[tuple[str, str]]) -> None:
    """Set several header fields at once, replacing any of the same names.

    Each `headers[name] = value` searches the whole list (lower-casing every name): a
    dozen of them were a tenth of a short page's time. Here the list is searched once,
    and the fields are appended."""
    headers = response.headers
    names = {name.lower() for name, _value in fields}
    if any(name.lower() in names for name in headers.keys()):  # noqa: SIM118 (a multidict)
        for name in names:
            del headers[name]
    headers.extend(fields)


def add_standard_headers(response: Response) -> Response:
    """Pipeline step: request id, nosniff, caching and Vary, CORS when configured."""
    fields = [
        ("X-Request-ID", g.get("request_id") or new_request_id()),
        ("X-Content-Type-Options", "nosniff"),
    ]
    vary: list[str] = []
    if g.get("api_key") is not None:
        # An answer depends on the key: never cached, and never reused for another key.
        fields.append(("Cache-Control", "no-store"))
        vary.append("Authorization")
    elif "Cache-Control" not in response.headers:
        fields.append(("Cache-Control", "no-store"))
    origins = current_app.config["AGENTAPI"]["CORS_ORIGINS"]
    if origins:
        # Whether the CORS headers are sent depends on Origin, on every response: a
        # shared cache must not hand one origin's answer (/schema is public) to another.
        vary.append("Origin")
        origin = request.headers.get("Origin")
        if origin and origin in origins:
            fields += [
                ("Access-Control-Allow-Origin", origin),
                ("Access-Control-Allow-Headers", "Authorization, X-Request-ID"),
                (
                    "Access-Control-Expose-Headers",
                    "X-Request-ID, X-RateLimit-Limit, X-RateLimit-Remaining, "
                    "X-RateLimit-Reset, RateLimit, RateLimit-Policy, Retry-After, Link, ETag",
                ),
            ]
    if vary and "Vary" in response.headers:
        for name in vary:
            response.vary.add(name)
    elif vary:
        fields.append(("Vary", ", ".join(vary)))
    put_fields(response, fields)
    return response
