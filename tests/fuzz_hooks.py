"""schemathesis hooks (SCHEMATHESIS_HOOKS=tests.fuzz_hooks): drop four kinds of failure only.

OpenAPI 3.0 cannot say that a cursor is opaque and signed, nor that /availability's
`to` must come after `from`, at most 31 days later, with the window inside the
calendar, nor that /invoices/summary's `interval` needs `issued_from` and `issued_to`
at most 400 periods apart, nor that /invoices/export's `include=items` goes with NDJSON
only. So a made-up cursor, or values out of those relations, are
schema-valid and still rightly a 400. Those
exact rejections, and nothing else, are not counted as failures.
"""

from __future__ import annotations

import json

import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData

# The window [from, to): to after from, at most 31 days later, and (with to's default
# of from + 7 days, or a date's local midnight) inside the calendar.
RELATION_MESSAGES = {
    "must be after from",
    "must be at most 31 days after from",
    "is out of range",
}
# /invoices/summary with interval: both dates given, at most 400 periods apart.
SUMMARY_WINDOW_MESSAGES = {
    "is required with interval",
    "must be within 400 periods of the interval from issued_from",
}

# /invoices/export: include=items with format=csv.
EXPORT_INCLUDE_MESSAGE = "is only available with format=ndjson"


def _rejected_parameter(response) -> tuple[str, str] | None:
    """(parameter, message) of a 400 invalid_parameter problem, else None."""
    if response.status_code != 400:
        return None
    try:
        body = json.loads(response.content)
        (error,) = body["errors"]
        return error["parameter"], error["message"]
    except (ValueError, KeyError, TypeError):
        return None


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    """Keep every failure except a valid-looking cursor or from/to relation rejected."""
    if not isinstance(failure, RejectedPositiveData):
        return True
    rejected = _rejected_parameter(response)
    if rejected is None:
        return True
    parameter, message = rejected
    query = case.query or {}
    if parameter == "cursor" and "cursor" in query:
        return False
    if (
        case.operation.path.endswith("/invoices/export")
        and parameter == "include"
        and query.get("format") == "csv"
        and message == EXPORT_INCLUDE_MESSAGE
    ):
        return False
    if (
        case.operation.path.endswith("/invoices/summary")
        and "interval" in query
        and parameter in ("issued_from", "issued_to")
        and message in SUMMARY_WINDOW_MESSAGES
    ):
        return False
    return not (
        case.operation.path.endswith("/availability")
        and parameter in ("from", "to")
        and message in RELATION_MESSAGES
    )
