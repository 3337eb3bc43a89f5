"""GET /services: one business's services, by name."""

from __future__ import annotations

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
    after_name, after_id = pager.position
    rows = fetch_all(
        "list_services",
        business_id=args["business_id"],
        active_a=ACTIVE_VALUES[args["active"]][0],
        active_b=ACTIVE_VALUES[args["active"]][1],
        after_name=after_name,
        after_id=after_id,
        limit=pager.fetch_limit,
    )
    if not rows:
        # The query returns rows only for a live business: tell 404 from an empty page.
        require_readable_business(args["business_id"])
    return pager.lines_response(rows, lambda row: row["line"], lambda row: [row["name"], row["id"]])
