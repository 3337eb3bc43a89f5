"""schemathesis hooks (SCHEMATHESIS_HOOKS=tests.fuzz_hooks): drop four kinds of failure only.

OpenAPI 3.0 cannot say that a cursor is opaque and signed, nor that /availability's
`to` must come after `from`, at most 31 days later, with the window inside the
calendar, nor that /invoices/summary's `interval` needs `issued_from` and `issued_to`
at most 400 periods apart, nor that `deleted_since` takes no other filter, nor that
/invoices/export's `include=items` goes with NDJSON only. So a made-up cursor, values
out of those relations, or a filter beside deleted_since, are
schema-valid and still rightly a 400. Those
exact rejections, and nothing else, are not counted as failures; nor is an If-None-Match
outside its pattern answered in full (it names no tag, so it matches nothing), nor a
schema-violating request refused with 414 or 431 rather than 400.
"""

from __future__ import annotations

import json

import schemathesis
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.openapi.checks import RejectedPositiveData

# The window [from, to): to after from, at most 31 days later, and (with to's default
# of from + 7 days, or a date's local midnight) inside the calendar.
RELATION_MESSAGES = {
    "must be after from",
    "must be at most 31 days after from",
    "is out of range",
}
# With deleted_since, the lists take only business_id, limit and cursor.
DELETED_SINCE_MESSAGE = "cannot be combined with deleted_since"
# /invoices/summary with interval: both dates given, at most 400 periods apart.
SUMMARY_WINDOW_MESSAGES = {
    "is required with interval",
    "must be within 400 periods of the interval from issued_from",
}

# /invoices/export: include=items with format=csv.
EXPORT_INCLUDE_MESSAGE = "is only available with format=ndjson"


def _only_if_none_match_pattern(failure, case) -> bool:
    """An If-None-Match outside its pattern was answered in full.

    Such a value names no entity tag, so it matches nothing and the list is sent, as
    RFC 9110 lets a server do: accepting it is the documented behaviour. (One over
    MAX_IF_NONE_MATCH bytes is a 400, tests/test_sync.py; a value the HTTP client
    cannot send arrives empty or not at all.)
    """
    message = failure.message
    return (
        "If-None-Match" in (case.headers or {})
        and message.count("Invalid component") == 1
        and "`If-None-Match` in header - violates `pattern`" in message
    )


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
    if isinstance(failure, AcceptedNegativeData):
        # A 414 or 431 refuses the request, with the code HTTP has for its size.
        if failure.status_code in (414, 431):
            return False
        return not _only_if_none_match_pattern(failure, case)
    if not isinstance(failure, RejectedPositiveData):
        return True
    rejected = _rejected_parameter(response)
    if rejected is None:
        return True
    parameter, message = rejected
    query = case.query or {}
    if parameter == "cursor" and "cursor" in query:
        return False
    if message == DELETED_SINCE_MESSAGE and "deleted_since" in query and parameter in query:
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
