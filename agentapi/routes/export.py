"""GET /invoices/export: every matching invoice of one business, from one snapshot, streamed."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, cast

from flask import Blueprint, Flask, Response, current_app, g

from .. import export_slots
from ..access import readable_business
from ..errors import ApiError, invalid_parameter
from ..exportformat import CSV_HEADER, csv_records, ndjson_lines
from ..operations import operation
from ..params import Param, choice_parser, parse_query
from ..snapshot import Snapshot
from . import invoices

log = logging.getLogger("agentapi.export")

bp = Blueprint("export", __name__)
# state.app is typed as the sans-IO App; a Flask blueprint is registered on a Flask app.
bp.record_once(lambda state: export_slots.init_app(cast(Flask, state.app)))

# The first chunk is small so that the first bytes leave at once; then each statement
# reads CHUNK_ROWS rows, within the per-statement time limit.
FIRST_CHUNK_ROWS = 500
CHUNK_ROWS = 5000
FORMATS = {
    "ndjson": ("application/x-ndjson", "ndjson"),
    "csv": ("text/csv; charset=utf-8", "csv"),
}

_INVOICE_PARAMS = {param.name: param for param in invoices.PARAMS}
FORMAT = Param(
    "format",
    choice_parser(tuple(FORMATS)),
    {"type": "string", "enum": list(FORMATS), "default": "ndjson"},
    "ndjson: one invoice object per line (application/x-ndjson); csv: RFC 4180 with a "
    "header row (text/csv).",
    default="ndjson",
)
PARAMS = (
    *(
        _INVOICE_PARAMS[name]
        for name in ("business_id", "status", "issued_from", "issued_to", "updated_since", "sort")
    ),
    FORMAT,
    dataclasses.replace(
        _INVOICE_PARAMS["include"],
        description=_INVOICE_PARAMS["include"].description + " NDJSON only.",
    ),
)
MEDIA_TYPES = {
    "application/x-ndjson": {
        "type": "string",
        "format": "binary",
        "description": "One invoice object (the Invoice schema) per line, each ended by a newline.",
    },
    "text/csv": {
        "type": "string",
        "format": "binary",
        "description": "A header row, then one row per invoice, CRLF line ends.",
    },
}


class Export:
    """One export's snapshot and keyset position; yields the body in chunks."""

    def __init__(self, args: dict[str, Any], snapshot: Snapshot, slot: export_slots.Slot) -> None:
        self.args = args
        self.snapshot = snapshot
        self.slot = slot
        query, _, self.after_key, self.after_id = invoices.SORTS[args["sort"]]
        # list_invoices_by_<column>_<direction> -> export_invoices_<format>_by_<...>
        self.query = query.replace("list_invoices_", f"export_invoices_{args['format']}_", 1)
        self.done = False
        # For the line that says the export is finished: the request's own line is
        # written when the answer starts, before the body has been streamed.
        self.request_id = getattr(g, "request_id", None)
        self.started = time.monotonic()
        self.rows_sent = 0

    def close(self) -> None:
        """End the snapshot and free the key's slot; safe to call more than once."""
        self.snapshot.close()
        self.slot()

    def _chunk(self, size: int) -> bytes:
        args = self.args
        rows = self.snapshot.rows(
            self.query,
            {
                "business_id": args["business_id"],
                "issued_from": args["issued_from"] or invoices.DATE_MIN,
                "issued_to": args["issued_to"] or invoices.DATE_MAX,
                "updated_since": args["updated_since"] or invoices.TIME_MIN,
                "statuses": args["status"] or invoices.STATUSES,
                "after_key": self.after_key,
                "after_id": self.after_id,
                "limit": size,
            },
        )
        self.done = len(rows) < size
        self.rows_sent += len(rows)
        if rows:
            self.after_id, self.after_key = rows[-1][0], rows[-1][1]
        if args["format"] == "csv":
            return csv_records(rows)
        items = None
        if args["include"] == "items":
            items = defaultdict(list)
            if rows:
                ids = tuple(row[0] for row in rows)
                for invoice_id, line in self.snapshot.rows(
                    "list_invoice_items", {"invoice_ids": ids}
                ):
                    items[invoice_id].append(line)
        return ndjson_lines(rows, items)

    def first(self) -> bytes:
        """The first bytes: the CSV header and the first chunk, read before the answer starts."""
        header = CSV_HEADER if self.args["format"] == "csv" else b""
        return header + self._chunk(FIRST_CHUNK_ROWS)

    def rest(self, first: bytes) -> Iterator[bytes]:
        """The body: the first bytes, then a chunk per statement until the last row."""
        sent = len(first)
        try:
            yield first
            while not self.done:
                self.slot.refresh()
                chunk = self._chunk(CHUNK_ROWS)
                sent += len(chunk)
                yield chunk
            fields = {
                "request_id": self.request_id,
                "rows": self.rows_sent,
                "bytes": sent,
                "seconds": round(time.monotonic() - self.started, 3),
            }
            log.info("export finished", extra={"fields": fields})
        except GeneratorExit:
            raise
        except Exception as exc:
            # Status and headers are gone: raising makes the server cut the connection
            # without the chunked terminator, so the client sees an incomplete transfer.
            log.error("export cut off: %s", type(exc).__name__, exc_info=exc)
            raise
        finally:
            self.close()


@bp.get("/invoices/export")
@operation(
    operation_id="exportInvoices",
    summary="Export invoices",
    description=(
        "Every invoice of one business that matches the filters, read from one consistent "
        "snapshot and streamed: NDJSON (the objects of listInvoices, one per line) or CSV. "
        "No pagination. At most one export per key runs at a time (a second gets 429 with "
        "Retry-After). An export that cannot finish is cut off without the chunked "
        "terminator: clients report an incomplete transfer. It uses AGENTAPI_EXPORT_COST "
        "(default 10) of the key's quota, taken before it starts."
    ),
    tag="Invoices",
    scope="invoices:read",
    response_schema="Invoice",
    params=PARAMS,
    media_types=MEDIA_TYPES,
    cost_setting="EXPORT_COST",
)
def export_invoices() -> Response:
    """Stream one business's invoices as NDJSON or CSV."""
    args = parse_query(PARAMS)
    if args["format"] == "csv" and args["include"] is not None:
        raise invalid_parameter("include", "is only available with format=ndjson")
    readable_business(args["business_id"])
    key_id = g.api_key.id
    slot = export_slots.acquire(key_id)
    if slot is None:
        retry_after = export_slots.retry_after(key_id)
        raise ApiError(
            429,
            "rate_limited",
            f"An export of this key is running; retry in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )
    # Taken before the snapshot, so that the file's time is never after its instant.
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    snapshot = Snapshot(current_app.extensions["agentapi.db"])
    try:
        export = Export(args, snapshot.open(), slot)
        first = export.first()
    except BaseException:
        snapshot.close()
        slot()
        raise
    media_type, extension = FORMATS[args["format"]]
    response = Response(export.rest(first), content_type=media_type)
    # A body that never starts (HEAD, a client gone) still ends the snapshot and the slot.
    response.call_on_close(export.close)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="invoices-{args["business_id"]}-{stamp}.{extension}"'
    )
    # nginx: pass the stream on as it comes, never spooled to a temp file.
    response.headers["X-Accel-Buffering"] = "no"
    return response
