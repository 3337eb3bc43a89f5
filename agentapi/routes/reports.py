"""GET /invoices/summary and /invoices/aging: totals by period and receivables by age."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, jsonify

from ..access import readable_business, require_key_access, require_readable_business
from ..db import fetch_all
from ..errors import invalid_parameter
from ..formats import iso_date, money
from ..operations import operation
from ..params import (
    Param,
    business_id_param,
    choice_parser,
    parse_query,
)
from . import invoices
from .availability import business_zone

bp = Blueprint("reports", __name__)

# Also the order of statuses within a period of the summary.
STATUSES = invoices.STATUSES
INTERVALS = ("day", "week", "month", "quarter", "year")
MAX_PERIODS = 400
# Wide sentinels stand in for absent filters, so the summary runs one fixed statement.
DATE_MIN, DATE_MAX = date(1000, 1, 1), date(9999, 12, 31)
REQUIRED_WITH_INTERVAL = "is required with interval"
TOO_MANY_PERIODS = f"must be within {MAX_PERIODS} periods of the interval from issued_from"
AGING_BUCKETS = ("not_due", "days_1_30", "days_31_60", "days_61_90", "days_over_90")

# The filters /invoices declares, taken as they are (their checks and documents).
_INVOICE_PARAMS = {param.name: param for param in invoices.PARAMS}
_DAY = _INVOICE_PARAMS["issued_from"]

SUMMARY_PARAMS = (
    business_id_param("The business whose invoices to add up."),
    _INVOICE_PARAMS["status"],
    replace(
        _INVOICE_PARAMS["issued_from"],
        description="Earliest issue date, inclusive (YYYY-MM-DD). Required with interval.",
    ),
    replace(
        _INVOICE_PARAMS["issued_to"],
        description="Latest issue date, inclusive (YYYY-MM-DD). Required with interval; the "
        f"window may then touch at most {MAX_PERIODS} periods.",
    ),
    Param(
        "interval",
        choice_parser(INTERVALS),
        {"type": "string", "enum": list(INTERVALS)},
        "Split the totals by period of issue_date: day, ISO week (from Monday), month, "
        "quarter or year. Without it, one row per currency and status.",
    ),
)

AGING_PARAMS = (
    business_id_param("The business whose receivables to age."),
    replace(
        _DAY,
        name="as_of",
        description="The day to age on (YYYY-MM-DD). Default: today in the business's time zone.",
    ),
)


def period_number(day: date, interval: str) -> int:
    """A running number of the interval's period holding a day (consecutive periods differ by 1)."""
    if interval == "day":
        return day.toordinal()
    if interval == "week":
        return (day.toordinal() - day.weekday()) // 7
    if interval == "month":
        return day.year * 12 + day.month - 1
    if interval == "quarter":
        return day.year * 4 + (day.month - 1) // 3
    return day.year


def period_label(start: date, interval: str) -> str:
    """The label: 2026-03-04, 2026-W10 (ISO week-numbering year), 2026-03, 2026-Q1, 2026."""
    if interval == "day":
        return start.isoformat()
    if interval == "week":
        year, week, _ = start.isocalendar()
        return f"{year:04d}-W{week:02d}"
    if interval == "month":
        return f"{start.year:04d}-{start.month:02d}"
    if interval == "quarter":
        return f"{start.year:04d}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year:04d}"


def check_window(args: dict[str, Any]) -> None:
    """With an interval: both dates given, and at most MAX_PERIODS periods between them."""
    interval = args["interval"]
    if interval is None:
        return
    for name in ("issued_from", "issued_to"):
        if args[name] is None:
            raise invalid_parameter(name, REQUIRED_WITH_INTERVAL)
    periods = period_number(args["issued_to"], interval) - period_number(
        args["issued_from"], interval
    )
    if periods >= MAX_PERIODS:
        raise invalid_parameter("issued_to", TOO_MANY_PERIODS)


def shape_total(row: dict[str, Any], interval: str | None) -> dict[str, Any]:
    """One summary row as the API shows it."""
    start = row["period_start"]
    return {
        "currency": row["currency"],
        "status": row["status"],
        "period": None if interval is None else period_label(start, interval),
        "period_start": iso_date(start),
        "count": row["count"],
        "subtotal": money(row["subtotal"]),
        "tax_total": money(row["tax_total"]),
        "total": money(row["total"]),
        "amount_paid": money(row["amount_paid"]),
        "amount_due": money(row["amount_due"]),
    }


def shape_aging(row: dict[str, Any]) -> dict[str, Any]:
    """One aging row (a currency) as the API shows it."""
    return {
        "currency": row["currency"],
        "count": row["count"],
        **{bucket: money(row[bucket]) for bucket in AGING_BUCKETS},
        "total_due": money(row["total_due"]),
    }


@bp.get("/invoices/summary")
@operation(
    operation_id="summarizeInvoices",
    summary="Invoice totals by currency, status and period",
    description=(
        "Counts and sums of one business's invoices, one row per currency, status and "
        "(with interval) period of issue_date that has at least one invoice; empty "
        "periods are omitted. Ordered by currency, period_start, then status as draft, "
        "sent, paid, void. Deleted invoices are never counted. Not paginated."
    ),
    tag="Reports",
    scope="invoices:read",
    response_schema="InvoiceSummary",
    params=SUMMARY_PARAMS,
)
def summarize_invoices() -> Response:
    """Add up one business's invoices by currency, status and period."""
    args = parse_query(SUMMARY_PARAMS)
    check_window(args)
    require_key_access(args["business_id"])
    rows = fetch_all(
        "summarize_invoices",
        business_id=args["business_id"],
        statuses=args["status"] or STATUSES,
        issued_from=args["issued_from"] or DATE_MIN,
        issued_to=args["issued_to"] or DATE_MAX,
        interval=args["interval"],
    )
    if not rows:
        # The query returns rows only for a live business: tell 404 from an empty report.
        require_readable_business(args["business_id"])
    return jsonify({"data": [shape_total(row, args["interval"]) for row in rows]})


@bp.get("/invoices/aging")
@operation(
    operation_id="ageReceivables",
    summary="Receivables by days past due",
    description=(
        "Open invoices (status sent, amount_due > 0) of one business, one row per "
        "currency that has any, ordered by currency; amount_due summed into buckets by "
        "days past due_date on as_of. Deleted invoices are never counted."
    ),
    tag="Reports",
    scope="invoices:read",
    response_schema="ReceivablesAging",
    params=AGING_PARAMS,
)
def age_receivables() -> Response:
    """Bucket one business's receivables by days past due."""
    args = parse_query(AGING_PARAMS)
    business = readable_business(args["business_id"])
    as_of = args["as_of"] or datetime.now(business_zone(business["timezone"])).date()
    rows = fetch_all("age_receivables", business_id=args["business_id"], as_of=as_of)
    return jsonify({"as_of": as_of.isoformat(), "data": [shape_aging(row) for row in rows]})
