"""The export's body: lines the server wrote (sql/invoices/export_*), joined into NDJSON or CSV.

Each statement returns (id, keyset value, line) per invoice, and list_invoice_items
(invoice_id, line) per item: a line is the object of /invoices as compact JSON, or the
invoice's CSV record. A row thus crosses the wire as one value, and no Python object is
made per field; tests compare every line with what /invoices returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .jsonbody import with_array

# The CSV header: the invoice object's fields, customer.name and customer.email flattened.
CSV_HEADER = (
    b"id,business_id,template_id,number,status,customer_name,customer_email,currency,"
    b"issue_date,due_date,subtotal,tax_total,total,amount_paid,amount_due,paid_at,"
    b"created_at,updated_at\r\n"
)
LINE = 2  # the line's place in an export row: (id, keyset value, line)


def ndjson_lines(rows: Sequence[Sequence[Any]], items: dict[str, list[str]] | None = None) -> bytes:
    """Rows as NDJSON: one invoice object per line, each ended by a newline, UTF-8."""
    if not rows:
        return b""
    if items is None:
        text = "\n".join([row[LINE] for row in rows])
    else:
        text = "\n".join([with_array(row[LINE], "items", items.get(row[0], ())) for row in rows])
    return (text + "\n").encode()


def csv_records(rows: Sequence[Sequence[Any]]) -> bytes:
    """Rows as RFC 4180 CSV records (each line already ends with CRLF), UTF-8."""
    return "".join([row[LINE] for row in rows]).encode()
