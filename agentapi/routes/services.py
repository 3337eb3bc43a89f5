"""GET /services: one business's services, by name."""

from __future__ import annotations

from typing import Any

import orjson
from flask import Blueprint, Response

from .. import tombstones
from ..access import require_key_access, require_readable_business
from ..db import fetch_all
from ..operations import operation
from ..pagination import Keyset, Pager
from ..params import CURSOR, LIMIT, Param, business_id_param, choice_parser, parse_query
from ..tombstones import DELETED_SINCE

bp = Blueprint("services", __name__)

ACTIVE_VALUES = {None: (0, 1), "true": (1, 1), "false": (0, 0)}
PARAMS = (
    business_id_param("The business whose services to list."),
    Param(
        "active",
        choice_parser(("true", "false")),
        {"type": "string", "enum": ["true", "false"]},
        "true: only active services; false: only inactive ones (default: both).",
    ),
    DELETED_SINCE,
    LIMIT,
    CURSOR,
)
KEYSET = Keyset("services", ("text", "id"))


@bp.get("/services")
@operation(
    operation_id="listServices",
    summary="List services",
    description=(
        "Services of one business, ordered by name, then id; with deleted_since, the "
        "tombstones of its deleted services instead."
    ),
    tag="Services",
    scope="services:read",
    response_schema=("ServiceList", "ServiceTombstoneList"),
    params=PARAMS,
    paginated=True,
)
def list_services() -> Response:
    """List one business's services, or their tombstones."""
    args = parse_query(PARAMS)
    require_key_access(args["business_id"])
    if tombstones.wanted(args):
        return tombstones.business_tombstones("services", "list_deleted_services", args)
    pager = Pager(
        KEYSET,
        {"business_id": args["business_id"], "active": args["active"]},
        args["cursor"],
        args["limit"],
        ("", ""),
    )
    if not pager.from_cursor and args["active"] is None:
        # The common first page: its statement has no keyset or is_active condition.
        rows = fetch_all(
            "list_services_first_page",
            business_id=args["business_id"],
            limit=pager.fetch_limit,
        )
    else:
        after_name, after_id = pager.position
        active_a, active_b = ACTIVE_VALUES[args["active"]]
        rows = fetch_all(
            "list_services",
            business_id=args["business_id"],
            active_a=active_a,
            active_b=active_b,
            after_name=after_name,
            after_id=after_id,
            limit=pager.fetch_limit,
        )
    if not rows:
        # The query returns rows only for a live business: tell 404 from an empty page.
        require_readable_business(args["business_id"])
    return pager.lines_response(rows, lambda row: row["line"], _position)


def _position(row: dict[str, Any]) -> list[str]:
    """A row's keyset position (name, id), read back from its line: only the page's
    last row is asked for, so no row carries them as columns of their own."""
    service = orjson.loads(row["line"])
    return [service["name"], service["id"]]
