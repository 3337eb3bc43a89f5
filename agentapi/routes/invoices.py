"""GET /invoices: one business's invoices, filtered and sorted, with optional items."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response

from .. import tombstones
from ..access import require_key_access, require_readable_business
from ..db import fetch_all
from ..formats import position_timestamp
from ..jsonbody import whole_groups, with_array
from ..operations import operation
from ..pagination import Keyset, Pager
from ..params import (
    CURSOR,
    LIMIT,
    MAX_TIMESTAMP_LENGTH,
    Param,
    business_id_param,
    choice_parser,
    parse_date,
    parse_query,
    parse_timestamp,
    subset_parser,
    subset_pattern,
)
from ..tombstones import DELETED_SINCE

bp = Blueprint("invoices", __name__)

STATUSES = ("draft", "sent", "paid", "void")
# Wide sentinels stand in for absent filters, so each sort runs one fixed statement.
DATE_MIN, DATE_MAX = date(1000, 1, 1), date(9999, 12, 31)
TIME_MIN, TIME_MAX = datetime(1000, 1, 1), datetime(9999, 12, 31, 23, 59, 59, 999999)
ID_AFTER_ALL = "Z" * 27  # sorts after every 26-character [0-9A-Z] id

# sort -> (query, keyset column, start of the first page); the four statements stay
# separate files so that each has a fixed plan on its own index (sql/invoices/).
SORTS: dict[str, tuple[str, str, str, str]] = {
    "-issue_date": ("list_invoices_by_issue_date_desc", "issue_date", str(DATE_MAX), ID_AFTER_ALL),
    "issue_date": ("list_invoices_by_issue_date_asc", "issue_date", str(DATE_MIN), ""),
    "-updated_at": (
        "list_invoices_by_updated_at_desc",
        "updated_at",
        position_timestamp(TIME_MAX),
        ID_AFTER_ALL,
    ),
    "updated_at": (
        "list_invoices_by_updated_at_asc",
        "updated_at",
        position_timestamp(TIME_MIN),
        "",
    ),
}

PARAMS = (
    business_id_param("The business whose invoices to list."),
    Param(
        "status",
        subset_parser(STATUSES),
        {
            "type": "string",
            "pattern": subset_pattern(STATUSES),
            "maxLength": len(",".join(STATUSES)),
        },
        "Comma-separated statuses to include (default: all).",
    ),
    Param(
        "issued_from",
        parse_date,
        {"type": "string", "format": "date", "minLength": 10, "maxLength": 10},
        "Earliest issue date, inclusive (YYYY-MM-DD).",
    ),
    Param(
        "issued_to",
        parse_date,
        {"type": "string", "format": "date", "minLength": 10, "maxLength": 10},
        "Latest issue date, inclusive (YYYY-MM-DD).",
    ),
    Param(
        "updated_since",
        parse_timestamp,
        {"type": "string", "format": "date-time", "maxLength": MAX_TIMESTAMP_LENGTH},
        "Only invoices updated at or after this RFC 3339 timestamp.",
    ),
    Param(
        "sort",
        choice_parser(tuple(SORTS)),
        {"type": "string", "enum": list(SORTS), "default": "-issue_date"},
        "Order of the list; ties are broken by id in the same direction.",
        default="-issue_date",
    ),
    Param(
        "include",
        choice_parser(("items",)),
        {"type": "string", "enum": ["items"]},
        "items: embed each invoice's line items, ordered by position.",
    ),
    DELETED_SINCE,
    LIMIT,
    CURSOR,
)
KEYSETS = {
    sort: Keyset("invoices", ("date" if column == "issue_date" else "timestamp", "id"))
    for sort, (_query, column, _key, _id) in SORTS.items()
}
FILTERS = ("business_id", "status", "issued_from", "issued_to", "updated_since", "sort")


def keyset_value(row: dict[str, Any], column: str) -> str:
    """The sort column's value of a row, exactly, for a cursor."""
    value = row[column]
    return position_timestamp(value) if isinstance(value, datetime) else value.isoformat()


@bp.get("/invoices")
@operation(
    operation_id="listInvoices",
    summary="List invoices",
    description=(
        "Invoices of one business. Deleted invoices are never listed; with deleted_since, "
        "their tombstones are, instead of live invoices."
    ),
    tag="Invoices",
    scope="invoices:read",
    response_schema=("InvoiceList", "InvoiceTombstoneList"),
    params=PARAMS,
    paginated=True,
)
def list_invoices() -> Response:
    """List one business's invoices, or their tombstones."""
    args = parse_query(PARAMS)
    require_key_access(args["business_id"])
    if tombstones.wanted(args):
        return tombstones.business_tombstones("invoices", "list_deleted_invoices", args)
    query, column, after_key, after_id = SORTS[args["sort"]]
    pager = Pager(
        KEYSETS[args["sort"]],
        {name: args[name] for name in FILTERS},
        args["cursor"],
        args["limit"],
        (after_key, after_id),
    )
    after_key, after_id = pager.position
    if args["include"] == "items":
        query = with_items(query)
    rows = fetch_all(
        query,
        business_id=args["business_id"],
        issued_from=args["issued_from"] or DATE_MIN,
        issued_to=args["issued_to"] or DATE_MAX,
        updated_since=args["updated_since"] or TIME_MIN,
        statuses=args["status"] or STATUSES,
        after_key=after_key,
        after_id=after_id,
        limit=pager.fetch_limit,
    )
    if not rows:
        # The query returns rows only for a live business: tell 404 from an empty page.
        require_readable_business(args["business_id"])
    items = item_lines(rows[: pager.limit]) if args["include"] == "items" else None

    def line_of(row: dict[str, Any]) -> str:
        if items is None:
            line: str = row["line"]
            return line
        return with_array(row["line"], "items", (items.get(row["id"], ""),))

    return pager.lines_response(rows, line_of, lambda row: [keyset_value(row, column), row["id"]])


def with_items(query: str) -> str:
    """The page statement that also reads each invoice's items (sql/invoices/)."""
    return query.replace("list_invoices_by_", "list_invoices_with_items_by_")


def item_lines(invoices: list[dict[str, Any]]) -> dict[str, str]:
    """The line items of these invoices by invoice id, each the inside of its JSON array,
    as the page statement read them (with_items)."""
    return whole_groups(
        invoices,
        "items",
        lambda ids: (
            (item["invoice_id"], item["line"])
            for item in fetch_all("list_invoice_items", invoice_ids=ids)
        ),
    )
