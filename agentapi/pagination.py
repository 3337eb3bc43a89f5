"""Keyset pages: one Pager per list request owns the cursor, the bounds, the body and Link.

A list route declares its Keyset once (the name its cursors are bound to and the kind
of each position value); per request, `Pager(keyset, filters, cursor, limit, start)`
decodes and checks the cursor, gives the position to start after and the number of
rows to read (`fetch_limit`, limit + 1), and `response(rows, shape, position_of)`
writes the envelope, the next cursor, the Link header and the ETag.

`lines_response(rows, line_of, position_of)` does the same for rows that carry their
object as JSON text written by the server (sql/fragments/): the page is joined from
those texts, with no Python object made per field.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

import orjson
from flask import Response, current_app, request

from .conditional import answer_conditionally
from .errors import invalid_parameter
from .secret import cursor_secret

SIGNATURE_BYTES = 16
# The longest text a position may hold (services.name is VARCHAR(200)).
MAX_TEXT_POSITION = 200
_ID_POSITION = re.compile(r"[0-9A-Z]{0,27}")  # ids, "" and the 27-Z sentinel


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    # The decoder ignores unused low bits and stray padding, so "...MQ", "...MR" and
    # "...MQ==" would all pass as the same cursor: only the form we issue is accepted.
    if _b64encode(raw) != text:
        raise ValueError("not a canonical encoding")
    return raw


def _sign(payload: bytes) -> bytes:
    return hmac.new(cursor_secret(), payload, hashlib.sha256).digest()[:SIGNATURE_BYTES]


def _valid_text(value: str) -> bool:
    try:
        value.encode("utf-8")  # a lone surrogate cannot be sent to the database
    except UnicodeEncodeError:
        return False
    return len(value) <= MAX_TEXT_POSITION


def _valid_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _valid_timestamp(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 26  # position_timestamp: YYYY-MM-DDTHH:MM:SS.ffffff


# The kinds a position value can be, each with its check: a decoded cursor is
# untrusted input even when its signature is good (a leaked or rotated secret).
POSITION_KINDS: dict[str, Callable[[str], bool]] = {
    "id": lambda v: _ID_POSITION.fullmatch(v) is not None,
    "text": _valid_text,
    "date": _valid_date,
    "timestamp": _valid_timestamp,
}


@dataclass(frozen=True)
class Keyset:
    """What a list's cursors hold: the list they belong to and each position's kind."""

    route: str
    kinds: tuple[str, ...]

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - set(POSITION_KINDS)
        if unknown:
            raise ValueError(f"unknown position kinds {sorted(unknown)}")


def _binding(route: str, filters: dict[str, Any]) -> str:
    """A short digest of the route and the filters and sort a cursor belongs to."""
    canonical = json.dumps([route, filters], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def encode_cursor(route: str, filters: dict[str, Any], position: Sequence[str]) -> str:
    """A cursor pointing after the given keyset position, bound to route and filters."""
    payload = json.dumps(
        {"b": _binding(route, filters), "p": list(position)},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    return f"{_b64encode(payload)}.{_b64encode(_sign(payload))}"


def _not_ours() -> Exception:
    return invalid_parameter("cursor", "is not a cursor this API issued")


def decode_cursor(cursor: str, keyset: Keyset, filters: dict[str, Any]) -> list[str]:
    """The keyset position in a cursor; a 400 if forged, damaged, malformed or reused."""
    try:
        body, signature = cursor.split(".")
        payload = _b64decode(body)
        valid = hmac.compare_digest(_b64decode(signature), _sign(payload))
    except (ValueError, binascii.Error):
        valid = False
    if not valid:
        raise _not_ours()
    try:
        data = json.loads(payload)
    except ValueError:
        raise _not_ours() from None
    if not isinstance(data, dict):
        raise _not_ours()
    if data.get("b") != _binding(keyset.route, filters):
        raise invalid_parameter(
            "cursor", "was issued for another route, filter or sort; start again without it"
        )
    position = data.get("p")
    if (
        not isinstance(position, list)
        or len(position) != len(keyset.kinds)
        or not all(
            isinstance(value, str) and POSITION_KINDS[kind](value)
            for value, kind in zip(position, keyset.kinds, strict=True)
        )
    ):
        raise _not_ours()
    return position


class Pager:
    """One page of a keyset list: where it starts, how much to read, and its response."""

    def __init__(
        self,
        keyset: Keyset,
        filters: dict[str, Any],
        cursor: str | None,
        limit: int,
        start: Sequence[str],
    ) -> None:
        self.keyset = keyset
        self.filters = filters
        self.limit = limit
        self.from_cursor = cursor is not None
        self.position = decode_cursor(cursor, keyset, filters) if cursor else list(start)

    @property
    def fetch_limit(self) -> int:
        """Rows to read: one more than the page, so that has_more is exact."""
        return self.limit + 1

    def response(
        self,
        rows: list[dict[str, Any]],
        shape: Callable[[dict[str, Any]], dict[str, Any]],
        position_of: Callable[[dict[str, Any]], Sequence[str]],
    ) -> Response:
        """The list envelope for rows read with fetch_limit, with Link and ETag."""
        return self.lines_response(rows, lambda row: orjson.dumps(shape(row)).decode(), position_of)

    def lines_response(
        self,
        rows: list[dict[str, Any]],
        line_of: Callable[[dict[str, Any]], str],
        position_of: Callable[[dict[str, Any]], Sequence[str]],
    ) -> Response:
        """The list envelope for rows read with fetch_limit, each object already JSON text."""
        has_more = len(rows) > self.limit
        page = rows[: self.limit]
        next_cursor = (
            encode_cursor(self.keyset.route, self.filters, position_of(page[-1]))
            if has_more
            else None
        )
        body = "".join(
            (
                '{"data":[',
                ",".join([line_of(row) for row in page]),
                '],"has_more":',
                "true" if has_more else "false",
                ',"next_cursor":',
                f'"{next_cursor}"' if next_cursor else "null",  # base64url and '.': no escapes
                "}",
            )
        )
        response = current_app.response_class(body.encode(), mimetype="application/json")
        if next_cursor:
            args = [(k, v) for k, v in request.args.items(multi=True) if k != "cursor"]
            args.append(("cursor", next_cursor))
            url = f"{request.script_root}{request.path}?{urlencode(args)}"
            response.headers["Link"] = f'<{url}>; rel="next"'
        return answer_conditionally(response)
