"""Row 1, the stack's ceiling: a bare WSGI callable answering a constant 5 KB JSON body."""

from __future__ import annotations

import json

_ROW = {"id": "01BENCHINV0001000000000001", "number": "INV-00000001", "total": "120.19"}
_ENVELOPE = {"data": [], "has_more": True, "next_cursor": None, "pad": ""}
_ENVELOPE["data"] = [_ROW] * 60
_ENVELOPE["pad"] = "x" * (5120 - len(json.dumps(_ENVELOPE)))
BODY = json.dumps(_ENVELOPE).encode()  # exactly 5,120 bytes
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def app(environ, start_response):
    """Answer every request with the same body."""
    start_response("200 OK", HEADERS)
    return [BODY]
