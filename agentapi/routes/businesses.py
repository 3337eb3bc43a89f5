"""GET /businesses: the businesses a key may read, each with its invoice templates."""

from __future__ import annotations

from flask import Blueprint, Response, g

from .. import tombstones
from ..db import fetch_all
from ..jsonbody import whole_groups, with_array
from ..operations import operation
from ..pagination import Keyset, Pager
from ..params import CURSOR, LIMIT, parse_query
from ..tombstones import DELETED_SINCE

bp = Blueprint("businesses", __name__)
PARAMS = (DELETED_SINCE, LIMIT, CURSOR)
KEYSET = Keyset("businesses", ("id",))


@bp.get("/businesses")
@operation(
    operation_id="listBusinesses",
    summary="List businesses",
    description=(
        "Businesses the key may read, ordered by id, each with its invoice templates; "
        "with deleted_since, the tombstones of deleted businesses it may read instead."
    ),
    tag="Businesses",
    scope="businesses:read",
    response_schema=("BusinessList", "BusinessTombstoneList"),
    params=PARAMS,
    paginated=True,
)
def list_businesses() -> Response:
    """List the businesses the key may read, or the tombstones of deleted ones."""
    args = parse_query(PARAMS)
    key = g.api_key
    restriction = {"restricted": int(key.business_ids is not None), "key_id": key.id}
    if tombstones.wanted(args):
        response, _found = tombstones.tombstone_page(
            "businesses", "list_deleted_businesses", args, {}, restriction
        )
        return response
    pager = Pager(KEYSET, {}, args["cursor"], args["limit"], ("",))
    (after_id,) = pager.position
    if key.business_ids is None:
        rows = fetch_all("list_businesses", after_id=after_id, limit=pager.fetch_limit)
    else:
        rows = fetch_all(
            "list_key_businesses", after_id=after_id, key_id=key.id, limit=pager.fetch_limit
        )
    templates = whole_groups(
        rows[: pager.limit],
        "templates",
        lambda ids: (
            (template["business_id"], template["line"])
            for template in fetch_all("list_invoice_templates", business_ids=ids)
        ),
    )
    return pager.lines_response(
        rows,
        lambda row: with_array(row["line"], "invoice_templates", (templates.get(row["id"], ""),)),
        lambda row: [row["id"]],
    )
