"""Query parameters: one declaration drives both validation and the OpenAPI document."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask import request

from .errors import invalid_parameter

ID_PATTERN = "^[0-9A-Z]{1,26}$"
MAX_LIMIT = 200
DEFAULT_LIMIT = 50
# A cursor holding a 200-character name of 4-byte characters, signed: under 1.2 KB.
MAX_CURSOR_LENGTH = 2048
# The longest RFC 3339 timestamp the document invites: 2026-01-31T12:00:00.123456789+01:00
# (nanoseconds; parse_timestamp keeps microseconds and ignores further digits).
MAX_TIMESTAMP_LENGTH = 35
_ID = re.compile(ID_PATTERN)
# [0-9], never \d: Python's \d also matches other scripts' digits (Arabic-Indic, fullwidth),
# which int() and fromisoformat then read as numbers. RFC 3339 offsets are hh 00-23, mm 00-59.
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIMESTAMP = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?"
    r"([Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
)


@dataclass(frozen=True)
class Param:
    """A query parameter: how to parse it and how the document describes it."""

    name: str
    parse: Callable[[str], Any]
    schema: dict[str, Any]
    description: str
    required: bool = False
    default: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def parse_query(params: Sequence[Param]) -> dict[str, Any]:
    """Validate request.args against the declarations; a 400 names the first bad one."""
    declared = {p.name: p for p in params}
    args = request.args  # one context lookup, not one per parameter
    for name in args:
        if name not in declared:
            raise invalid_parameter(name, "is not a parameter of this route")
    values: dict[str, Any] = {}
    for param in params:
        raw = args.getlist(param.name)
        if len(raw) > 1:
            raise invalid_parameter(param.name, "must be given at most once")
        if not raw:
            if param.required:
                raise invalid_parameter(param.name, "is required")
            values[param.name] = param.default
            continue
        if raw[0] == "":
            raise invalid_parameter(param.name, "must not be empty")
        try:
            values[param.name] = param.parse(raw[0])
        except ValueError as exc:
            raise invalid_parameter(param.name, str(exc)) from None
    return values


def parse_id(raw: str) -> str:
    """An id: 1 to 26 characters of [0-9A-Z]."""
    if not _ID.fullmatch(raw):
        raise ValueError("must be 1 to 26 characters of 0-9 and A-Z")
    return raw


def parse_limit(raw: str) -> int:
    """A page size from 1 to 200."""
    if not re.fullmatch(r"[0-9]{1,3}", raw) or not 1 <= int(raw) <= MAX_LIMIT:
        raise ValueError(f"must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


def parse_cursor(raw: str) -> str:
    """A cursor's raw text; its meaning is checked by pagination.decode_cursor."""
    if len(raw) > MAX_CURSOR_LENGTH:
        raise ValueError("is not a cursor this API issued")
    return raw


def parse_date(raw: str) -> date:
    """A calendar date, YYYY-MM-DD."""
    if not _DATE.fullmatch(raw):
        raise ValueError("must be a date, YYYY-MM-DD")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValueError("is not a real calendar date") from None


def parse_timestamp(raw: str) -> datetime:
    """An RFC 3339 timestamp with Z or an offset; returned as naive UTC."""
    match = _TIMESTAMP.fullmatch(raw)
    if not match:
        raise ValueError("must be an RFC 3339 timestamp such as 2026-01-31T12:00:00Z")
    day, hour, minute, second, fraction, offset = match.groups()
    if int(second) > 60:
        raise ValueError("is not a real date and time")
    second = min(int(second), 59)  # a leap second (:60) reads as the second before it
    micro = (fraction or ".0")[1:7].ljust(6, "0")
    offset = "+00:00" if offset in ("Z", "z") else offset
    try:
        parsed = datetime.fromisoformat(f"{day}T{hour}:{minute}:{second:02d}.{micro}{offset}")
    except ValueError:
        raise ValueError("is not a real date and time") from None
    try:
        return parsed.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        # A valid RFC 3339 time whose UTC instant falls outside years 1-9999: it is
        # later (or earlier) than any stored time, so the calendar's edge stands in.
        return datetime.max if parsed.year == 9999 else datetime.min


def choice_parser(choices: Sequence[str]) -> Callable[[str], str]:
    """A parser accepting exactly one of the given words."""

    def parse(raw: str) -> str:
        if raw not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return raw

    return parse


def subset_parser(choices: Sequence[str]) -> Callable[[str], tuple[str, ...]]:
    """A parser for a comma-separated subset of the given words."""

    longest = len(",".join(choices))

    def parse(raw: str) -> tuple[str, ...]:
        if len(raw) > longest:
            raise ValueError(f"must be at most {longest} characters (each word once)")
        words = raw.split(",")
        for word in words:
            if word not in choices:
                raise ValueError(f"must be a comma-separated subset of {','.join(choices)}")
        return tuple(sorted(set(words)))

    return parse


def subset_pattern(choices: Sequence[str]) -> str:
    """The regular expression of a comma-separated subset, for the document."""
    one = "(" + "|".join(choices) + ")"
    return f"^{one}(,{one})*$"


def business_id_param(description: str) -> Param:
    """The required business_id of the per-business routes."""
    return Param(
        "business_id",
        parse_id,
        {
            "type": "string",
            "pattern": ID_PATTERN,
            "minLength": 1,
            "maxLength": 26,
            "example": "01HTENANT0000000000000000",
        },
        description,
        required=True,
    )


LIMIT = Param(
    "limit",
    parse_limit,
    {
        "type": "integer",
        "format": "int32",
        "minimum": 1,
        "maximum": MAX_LIMIT,
        "default": DEFAULT_LIMIT,
    },
    "Page size.",
    default=DEFAULT_LIMIT,
)
CURSOR = Param(
    "cursor",
    parse_cursor,
    {
        "type": "string",
        "pattern": r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$",
        "minLength": 3,
        "maxLength": MAX_CURSOR_LENGTH,
    },
    "Opaque cursor from a previous page's next_cursor, valid with the same filters and sort.",
)
