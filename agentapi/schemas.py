"""Component schemas of the OpenAPI document: the shapes every response takes."""

from __future__ import annotations

from typing import Any

from .params import ID_PATTERN

ID = {"type": "string", "pattern": ID_PATTERN, "example": "01HTENANT0000000000000000"}
NULLABLE_ID = {**ID, "nullable": True}
MONEY = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$", "example": "1250.00"}
TIMESTAMP = {"type": "string", "format": "date-time", "example": "2026-01-31T12:00:00Z"}
NULLABLE_TIMESTAMP = {**TIMESTAMP, "nullable": True}
DATE = {"type": "string", "format": "date", "example": "2026-01-31"}
# A NOT NULL column can still hold a zero date ('0000-00-00') written under a lax
# sql_mode: it is no date, and is shown as null (docs/api.md, "Dates").
STORED_TIMESTAMP = {**NULLABLE_TIMESTAMP, "description": "null when stored as a zero date"}
STORED_DATE = {**DATE, "nullable": True, "description": "null when stored as a zero date"}


def _string(nullable: bool = False, **extra: Any) -> dict[str, Any]:
    return {"type": "string", **({"nullable": True} if nullable else {}), **extra}


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "required": list(properties),
        "properties": properties,
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def _list_of(item: str) -> dict[str, Any]:
    return _object(
        {
            "data": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}},
            "has_more": {"type": "boolean"},
            "next_cursor": _string(nullable=True, description="Pass as cursor for the next page"),
        },
        f"A page of {item} objects.",
    )


INVOICE_PROPERTIES = {
    "id": ID,
    "business_id": ID,
    "template_id": NULLABLE_ID,
    "number": _string(maxLength=50),
    "status": {"type": "string", "enum": ["draft", "sent", "paid", "void"]},
    "customer": _object({"name": _string(maxLength=200), "email": _string(nullable=True)}),
    "currency": _string(minLength=3, maxLength=3),
    "issue_date": STORED_DATE,
    "due_date": {**DATE, "nullable": True},
    "subtotal": MONEY,
    "tax_total": MONEY,
    "total": MONEY,
    "amount_paid": MONEY,
    "amount_due": {**MONEY, "description": "total minus amount_paid"},
    "paid_at": NULLABLE_TIMESTAMP,
    "created_at": STORED_TIMESTAMP,
    "updated_at": STORED_TIMESTAMP,
    "items": {
        "type": "array",
        "items": {"$ref": "#/components/schemas/InvoiceItem"},
        "description": "Only with include=items; ordered by position.",
    },
}
INVOICE = _object(INVOICE_PROPERTIES, "An invoice.")
INVOICE["required"] = [name for name in INVOICE_PROPERTIES if name != "items"]

COMPONENTS: dict[str, dict[str, Any]] = {
    "InvoiceTemplate": _object(
        {
            "id": ID,
            "name": _string(maxLength=200),
            "is_default": {"type": "boolean"},
            "payment_terms_days": {"type": "integer", "minimum": 0, "nullable": True},
            "notes": _string(nullable=True),
            "footer": _string(nullable=True),
            "created_at": STORED_TIMESTAMP,
            "updated_at": STORED_TIMESTAMP,
        },
        "An invoice template of a business.",
    ),
    "Business": _object(
        {
            "id": ID,
            "name": _string(maxLength=200),
            "legal_name": _string(nullable=True),
            "email": _string(nullable=True),
            "phone": _string(nullable=True),
            "country": _string(nullable=True, minLength=2, maxLength=2),
            "currency": _string(minLength=3, maxLength=3),
            "timezone": _string(description="IANA time zone", example="Europe/Berlin"),
            "created_at": STORED_TIMESTAMP,
            "updated_at": STORED_TIMESTAMP,
            "invoice_templates": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/InvoiceTemplate"},
            },
        },
        "A business the key may read.",
    ),
    "InvoiceItem": _object(
        {
            "id": ID,
            "position": {"type": "integer", "minimum": 0},
            "service_id": NULLABLE_ID,
            "description": _string(maxLength=500),
            "quantity": {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{3}$", "example": "2.000"},
            "unit_price": MONEY,
            "tax_rate": {**MONEY, "example": "20.00"},
            "amount": MONEY,
        },
        "A line of an invoice.",
    ),
    "Invoice": INVOICE,
    "Service": _object(
        {
            "id": ID,
            "business_id": ID,
            "name": _string(maxLength=200),
            "description": _string(nullable=True),
            "duration_minutes": {"type": "integer", "minimum": 0},
            "price": MONEY,
            "currency": _string(minLength=3, maxLength=3),
            "is_active": {"type": "boolean"},
            "created_at": STORED_TIMESTAMP,
            "updated_at": STORED_TIMESTAMP,
        },
        "A bookable service.",
    ),
    "AvailabilitySlot": _object(
        {
            "id": ID,
            "business_id": ID,
            "service_id": {**NULLABLE_ID, "description": "null: open to any service"},
            "starts_at": {**STORED_TIMESTAMP, "example": "2026-02-02T09:00:00+01:00"},
            "ends_at": {**STORED_TIMESTAMP, "example": "2026-02-02T10:00:00+01:00"},
            "capacity": {"type": "integer", "minimum": 0},
            "booked": {"type": "integer", "minimum": 0},
            "remaining": {"type": "integer", "minimum": 1},
        },
        "A slot with room left; times in the business's local time with its offset.",
    ),
    "InvoiceTotal": _object(
        {
            "currency": _string(minLength=3, maxLength=3),
            "status": {"type": "string", "enum": ["draft", "sent", "paid", "void"]},
            "period": _string(
                nullable=True,
                description="2026-03-04, 2026-W10 (ISO week), 2026-03, 2026-Q1 or 2026; "
                "null without interval",
                example="2026-03",
            ),
            "period_start": {
                **DATE,
                "nullable": True,
                "description": "First day of the period (a Monday for weeks); null without "
                "interval",
            },
            "count": {"type": "integer", "minimum": 1},
            "subtotal": MONEY,
            "tax_total": MONEY,
            "total": MONEY,
            "amount_paid": MONEY,
            "amount_due": {**MONEY, "description": "total minus amount_paid"},
        },
        "Counts and sums of the invoices of one currency, status and period.",
    ),
    "InvoiceSummary": _object(
        {"data": {"type": "array", "items": {"$ref": "#/components/schemas/InvoiceTotal"}}},
        "Invoice totals; periods without invoices are omitted.",
    ),
    "AgingRow": _object(
        {
            "currency": _string(minLength=3, maxLength=3),
            "count": {"type": "integer", "minimum": 1},
            "not_due": {**MONEY, "description": "No due_date, or due on or after as_of"},
            "days_1_30": {**MONEY, "description": "1 to 30 days past due"},
            "days_31_60": {**MONEY, "description": "31 to 60 days past due"},
            "days_61_90": {**MONEY, "description": "61 to 90 days past due"},
            "days_over_90": {**MONEY, "description": "More than 90 days past due"},
            "total_due": {**MONEY, "description": "Sum of the buckets"},
        },
        "Amounts due of one currency's open invoices, by days past due.",
    ),
    "ReceivablesAging": _object(
        {
            "as_of": DATE,
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/AgingRow"}},
        },
        "Open invoices (status sent, amount_due > 0) by days past due on as_of.",
    ),
    "BusinessList": _list_of("Business"),
    "InvoiceList": _list_of("Invoice"),
    "ServiceList": _list_of("Service"),
    "AvailabilityList": _list_of("AvailabilitySlot"),
    "Health": _object(
        {"status": {"type": "string", "enum": ["ok"]}, "database": {"type": "string"}},
        "The service and its database answer.",
    ),
    "OpenAPIDocument": {"type": "object", "description": "This document, as JSON."},
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details, as every non-2xx response.",
        "required": ["type", "title", "status", "detail", "code", "request_id"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "code": {
                "type": "string",
                "enum": [
                    "unauthorized",
                    "invalid_token",
                    "insufficient_scope",
                    "invalid_parameter",
                    "not_found",
                    "method_not_allowed",
                    "rate_limited",
                    "service_unavailable",
                    "internal_error",
                ],
            },
            "request_id": {"type": "string"},
            "required_scope": {"type": "string", "description": "With insufficient_scope"},
            "errors": {
                "type": "array",
                "description": "With invalid_parameter: each parameter at fault.",
                "items": _object({"parameter": {"type": "string"}, "message": {"type": "string"}}),
            },
        },
    },
}
