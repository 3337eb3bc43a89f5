"""Export rows, as the server's text, written as NDJSON lines or CSV records.

The values are those of routes/invoices.shape_invoice and shape_item (tests compare
the two on every kind of value): money and dates are the server's own text, which
already reads as the API writes them, so no Decimal or datetime is made per value.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from typing import Any

import orjson

# Columns of the sql/invoices/export_* statements, in order.
INVOICE_COLUMNS = (
    "id",
    "business_id",
    "template_id",
    "number",
    "status",
    "customer_name",
    "customer_email",
    "currency",
    "issue_date",
    "due_date",
    "subtotal",
    "tax_total",
    "total",
    "amount_paid",
    "amount_due",
    "paid_at",
    "created_at",
    "updated_at",
)
ISSUE_DATE, UPDATED_AT = INVOICE_COLUMNS.index("issue_date"), INVOICE_COLUMNS.index("updated_at")
CSV_HEADER = INVOICE_COLUMNS
# Text a spreadsheet would run as a formula (CSV injection) gets a leading apostrophe.
CSV_TEXT_COLUMNS = frozenset(
    INVOICE_COLUMNS.index(c) for c in ("number", "customer_name", "customer_email")
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@lru_cache(maxsize=8192)
def _real_day(day: str) -> bool:
    """Whether YYYY-MM-DD is a calendar date (a zero date stored under a lax sql_mode is not)."""
    try:
        date.fromisoformat(day)
    except ValueError:
        return False
    return True


def day_text(text: str | None) -> str | None:
    """A DATE's text as the API writes it: itself, or None for a zero date."""
    return text if text is not None and _real_day(text) else None


def stamp_text(text: str | None) -> str | None:
    """DATETIME(6) text 'YYYY-MM-DD HH:MM:SS.ffffff' as RFC 3339 UTC, as formats.utc_timestamp."""
    if text is None or not _real_day(text[:10]):
        return None
    fraction = text[19:]
    if not fraction.strip(".0"):
        return f"{text[:10]}T{text[11:19]}Z"
    return f"{text[:10]}T{text[11:19]}{fraction}Z"


def invoice_object(row: Sequence[Any]) -> dict[str, Any]:
    """One export row as the invoice object /invoices returns (without items)."""
    (
        id_,
        business_id,
        template_id,
        number,
        status,
        customer_name,
        customer_email,
        currency,
        issue_date,
        due_date,
        subtotal,
        tax_total,
        total,
        amount_paid,
        amount_due,
        paid_at,
        created_at,
        updated_at,
    ) = row
    return {
        "id": id_,
        "business_id": business_id,
        "template_id": template_id,
        "number": number,
        "status": status,
        "customer": {"name": customer_name, "email": customer_email},
        "currency": currency,
        "issue_date": day_text(issue_date),
        "due_date": day_text(due_date),
        "subtotal": subtotal,
        "tax_total": tax_total,
        "total": total,
        "amount_paid": amount_paid,
        "amount_due": amount_due,
        "paid_at": stamp_text(paid_at),
        "created_at": stamp_text(created_at),
        "updated_at": stamp_text(updated_at),
    }


def item_object(row: Sequence[Any]) -> dict[str, Any]:
    """One row of list_invoice_items (as text) as the item object /invoices returns."""
    id_, _invoice_id, position, service_id, description, quantity, unit_price, tax_rate, amount = (
        row
    )
    return {
        "id": id_,
        "position": int(position),
        "service_id": service_id,
        "description": description,
        "quantity": quantity,
        "unit_price": unit_price,
        "tax_rate": tax_rate,
        "amount": amount,
    }


def ndjson_lines(rows: Sequence[Sequence[Any]], items: dict[str, list] | None = None) -> bytes:
    """Rows as NDJSON: one invoice object per line, each ended by a newline, UTF-8."""
    dumps = orjson.dumps
    if items is None:
        return b"".join([dumps(invoice_object(row)) + b"\n" for row in rows])
    lines = []
    for row in rows:
        shaped = invoice_object(row)
        shaped["items"] = [item_object(item) for item in items.get(row[0], ())]
        lines.append(dumps(shaped) + b"\n")
    return b"".join(lines)


def csv_cell(value: str | None) -> str | None:
    """A text cell, with a leading apostrophe when a spreadsheet would read a formula."""
    if value and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_record(row: Sequence[Any]) -> list[Any]:
    record = list(row)
    for index in (3, 5, 6):  # number, customer_name, customer_email
        record[index] = csv_cell(record[index])
    record[ISSUE_DATE] = day_text(record[ISSUE_DATE])
    record[9] = day_text(record[9])
    for index in (15, 16, 17):
        record[index] = stamp_text(record[index])
    return record


def csv_records(rows: Sequence[Sequence[Any]], *, header: bool = False) -> bytes:
    """Rows as RFC 4180 CSV records (CRLF, quoted where needed, None as an empty cell)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(CSV_HEADER)
    writer.writerows(map(_csv_record, rows))
    return out.getvalue().encode("utf-8")
