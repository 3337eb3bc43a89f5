"""Opaque, signed keyset cursors and the list envelope."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from flask import Response, jsonify, request

from .errors import invalid_parameter
from .secret import cursor_secret

SIGNATURE_BYTES = 16


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    # The decoder ignores unused low bits and stray padding, so "...MQ", "...MR" and
    # "...MQ==" would all pass as the same cursor: only the form we issue is accepted.
    if _b64encode(raw) != text:
        raise ValueError("not a canonical encoding")
    return raw


def _binding(route: str, filters: dict[str, Any]) -> str:
    """A short digest of the route and the filters and sort a cursor belongs to."""
    canonical = json.dumps([route, filters], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _sign(payload: bytes) -> bytes:
    secret = cursor_secret()
    return hmac.new(secret, payload, hashlib.sha256).digest()[:SIGNATURE_BYTES]


def encode_cursor(route: str, filters: dict[str, Any], position: Sequence[str]) -> str:
    """A cursor pointing after the given keyset position, bound to route and filters."""
    payload = json.dumps({"b": _binding(route, filters), "p": list(position)}).encode()
    return f"{_b64encode(payload)}.{_b64encode(_sign(payload))}"


def decode_cursor(cursor: str, route: str, filters: dict[str, Any], size: int) -> list[str]:
    """The keyset position in a cursor; a 400 if forged, damaged or reused elsewhere."""
    try:
        body, signature = cursor.split(".")
        payload = _b64decode(body)
        valid = hmac.compare_digest(_b64decode(signature), _sign(payload))
    except (ValueError, binascii.Error):
        valid = False
    if not valid:
        raise invalid_parameter("cursor", "is not a cursor this API issued")
    data = json.loads(payload)
    if data.get("b") != _binding(route, filters):
        raise invalid_parameter(
            "cursor", "was issued for another route, filter or sort; start again without it"
        )
    position = data.get("p")
    if (
        not isinstance(position, list)
        or len(position) != size
        or not all(isinstance(v, str) for v in position)
    ):
        raise invalid_parameter("cursor", "is not a cursor this API issued")
    return position


def list_response(
    rows: list[dict[str, Any]],
    limit: int,
    shape: Callable[[dict[str, Any]], dict[str, Any]],
    next_position: Callable[[dict[str, Any]], Sequence[str]],
    route: str,
    filters: dict[str, Any],
) -> Response:
    """The list envelope for rows fetched with LIMIT limit+1, with its Link header."""
    has_more = len(rows) > limit
    page = rows[:limit]
    next_cursor = encode_cursor(route, filters, next_position(page[-1])) if has_more else None
    response = jsonify(
        {"data": [shape(row) for row in page], "has_more": has_more, "next_cursor": next_cursor}
    )
    if next_cursor:
        args = [(k, v) for k, v in request.args.items(multi=True) if k != "cursor"]
        args.append(("cursor", next_cursor))
        url = f"{request.script_root}{request.path}?{urlencode(args)}"
        response.headers["Link"] = f'<{url}>; rel="next"'
    return response
