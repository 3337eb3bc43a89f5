"""GET /services: one business's services, by name."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from ..access import readable_business, require_key_access
from ..db import fetch_all
from ..formats import money, utc_timestamp
from ..operations import operation
from ..pagination import decode_cursor, list_response
from ..params import CURSOR, LIMIT, Param, business_id_param, choice_parser, parse_query

bp = Blueprint("services", __name__)

ACTIVE_VALUES = {None: (0, 1), "true": (1,), "false": (0,)}
PARAMS = (
    business_id_param("The business whose services to list."),
    Param(
        "active",
        choice_parser(("true", "false")),
        {"type": "string", "enum": ["true", "false"]},
        "true: only active services; false: only inactive ones (default: both).",
    ),
    LIMIT,
    CURSOR,
)


def shape_service(row: dict[str, Any]) -> dict[str, Any]:
    """A service as the API shows it."""
    return {
        "id": row["id"],
        "business_id": row["business_id"],
        "name": row["name"],
        "description": row["description"],
        "duration_minutes": row["duration_minutes"],
        "price": money(row["price"]),
        "currency": row["currency"],
        "is_active": bool(row["is_active"]),
        "created_at": utc_timestamp(row["created_at"]),
        "updated_at": utc_timestamp(row["updated_at"]),
    }


@bp.get("/services")
@operation(
    operation_id="listServices",
    summary="List services",
    description="Services of one business, ordered by name, then id.",
    tag="Services",
    scope="services:read",
    response_schema="ServiceList",
    params=PARAMS,
    paginated=True,
)
def list_services() -> Response:
    """List one business's services."""
    args = parse_query(PARAMS)
    require_key_access(args["business_id"])
    filters = {"business_id": args["business_id"], "active": args["active"]}
    after_name, after_id = "", ""
    if args["cursor"]:
        after_name, after_id = decode_cursor(args["cursor"], "services", filters, 2)
    rows = fetch_all(
        "list_services",
        business_id=args["business_id"],
        active=ACTIVE_VALUES[args["active"]],
        after_name=after_name,
        after_id=after_id,
        limit=args["limit"] + 1,
    )
    if not rows:
        # The query returns rows only for a live business: tell 404 from an empty page.
        readable_business(args["business_id"])
    return list_response(
        rows,
        args["limit"],
        shape_service,
        lambda row: [row["name"], row["id"]],
        "services",
        filters,
    )
