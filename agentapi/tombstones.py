"""Deleted rows as tombstones: `deleted_since` on the list routes, one keyset for all."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask import Response, request

from .access import require_readable_business
from .db import fetch_all
from .errors import invalid_parameter
from .formats import position_timestamp, utc_timestamp
from .pagination import Keyset, Pager
from .params import MAX_TIMESTAMP_LENGTH, Param, parse_timestamp

# With deleted_since, a list takes only these other parameters.
ALLOWED_WITH_DELETED_SINCE = ("deleted_since", "business_id", "limit", "cursor")
START = (position_timestamp(datetime(1000, 1, 1)), "")

DELETED_SINCE = Param(
    "deleted_since",
    parse_timestamp,
    {"type": "string", "format": "date-time", "maxLength": MAX_TIMESTAMP_LENGTH},
    "List tombstones instead of live rows: those deleted at or after this RFC 3339 "
    "timestamp, by deleted_at then id. Only business_id, limit and cursor go with it.",
)


def wanted(args: dict[str, Any]) -> bool:
    """Whether the request asks for tombstones; a 400 names any parameter that may not join."""
    if args.get("deleted_since") is None:
        return False
    for name in request.args:
        if name not in ALLOWED_WITH_DELETED_SINCE:
            raise invalid_parameter(name, "cannot be combined with deleted_since")
    return True


def _shape(row: dict[str, Any]) -> dict[str, Any]:
    shaped = {"id": row["id"]}
    if "business_id" in row:
        shaped["business_id"] = row["business_id"]
    shaped["deleted_at"] = utc_timestamp(row["deleted_at"])
    return shaped


def _position(row: dict[str, Any]) -> Sequence[str]:
    return [position_timestamp(row["deleted_at"]), row["id"]]


def tombstone_page(
    list_name: str,
    query: str,
    args: dict[str, Any],
    scope: dict[str, Any],
    query_only: dict[str, Any] | None = None,
) -> tuple[Response, bool]:
    """The page of tombstones, and whether it held any row (to tell 404 from empty).

    scope (business_id) binds the cursor like a filter; query_only goes to the
    statement alone (the key's restriction on /businesses).
    """
    filters = {"deleted_since": args["deleted_since"], **scope}
    pager = Pager(
        Keyset(f"{list_name}-deleted", ("timestamp", "id")),
        filters,
        args["cursor"],
        args["limit"],
        START,
    )
    after_ts, after_id = pager.position
    rows = fetch_all(
        query,
        deleted_since=args["deleted_since"],
        after_ts=after_ts,
        after_id=after_id,
        limit=pager.fetch_limit,
        **scope,
        **(query_only or {}),
    )
    return pager.response(rows, _shape, _position), bool(rows)


def business_tombstones(list_name: str, query: str, args: dict[str, Any]) -> Response:
    """The tombstones of one business's rows; 404 when the business is gone or unreadable."""
    response, found = tombstone_page(list_name, query, args, {"business_id": args["business_id"]})
    if not found:
        require_readable_business(args["business_id"])
    return response
