"""Component schemas of the OpenAPI document: the shapes every response takes."""

from __future__ import annotations

from typing import Any

from .auth import SCOPES
from .columns import TIMESTAMP_LENGTH, column, decimal_schema, id_schema
from .errors import PROBLEM_TYPE, TITLES
from .headers import MAX_HEADER_FIELD_BYTES, MAX_TARGET_BYTES, REQUEST_ID
from .params import MAX_CURSOR_LENGTH, MAX_LIMIT

# Every string, integer and list carries its bounds: strings and integers from the
# columns they are read from (sql/schema.sql, through columns.column), lists from the
# largest page or the count the data model allows.
ID = id_schema()
NULLABLE_ID = {**ID, "nullable": True}
# Shapes for values computed outside one column (a DECIMAL(15,2) amount, a DATETIME(6)).
MONEY = {**decimal_schema(15, 2), "example": "1250.00"}
TIMESTAMP = {
    "type": "string",
    "format": "date-time",
    "maxLength": TIMESTAMP_LENGTH,
    "example": "2026-01-31T12:00:00Z",
}
NULLABLE_TIMESTAMP = {**TIMESTAMP, "nullable": True}
DATE = {
    "type": "string",
    "format": "date",
    "minLength": 10,
    "maxLength": 10,
    "example": "2026-01-31",
}
CURSOR_TEXT = {
    "type": "string",
    "pattern": r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$",
    "minLength": 3,
    "maxLength": MAX_CURSOR_LENGTH,
}
# Lines of one invoice: positions are SMALLINT UNSIGNED (0-65535) and InvoiceScript
# gives each line its own position, so an invoice has at most 65,536 lines.
MAX_ITEMS_PER_INVOICE = 65536
# Templates of one business: no column bounds their number. InvoiceScript keeps a
# short list per business; this is the count the document promises (not yet capped
# by the query: a business with more would break it).
MAX_TEMPLATES_PER_BUSINESS = 1000
# detail and errors[].parameter can repeat a parameter or header name the client
# sent, which the request caps bound (headers.py); messages are the service's own.
MAX_ECHOED_NAME = max(MAX_TARGET_BYTES, MAX_HEADER_FIELD_BYTES)
MAX_MESSAGE = 1024
REQUEST_ID_TEXT = {"type": "string", "pattern": f"^{REQUEST_ID.pattern}$", "maxLength": 128}


def _string(nullable: bool = False, **extra: Any) -> dict[str, Any]:
    """A string; give it a maxLength (the lint fails without one)."""
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
            "data": {
                "type": "array",
                "maxItems": MAX_LIMIT,  # the largest page
                "items": {"$ref": f"#/components/schemas/{item}"},
            },
            "has_more": {"type": "boolean"},
            "next_cursor": {
                **CURSOR_TEXT,
                "nullable": True,
                "description": "Pass as cursor for the next page",
            },
        },
        f"A page of {item} objects.",
    )


def _deleted_at(table: str) -> dict[str, Any]:
    schema = column(f"{table}.deleted_at", example="2026-01-31T12:00:00Z")
    schema.pop("nullable", None)  # a tombstone is a row whose deleted_at is set
    return schema


def _tombstone(table: str, description: str) -> dict[str, Any]:
    return _object(
        {
            "id": column(f"{table}.id"),
            "business_id": column(f"{table}.business_id"),
            "deleted_at": _deleted_at(table),
        },
        description,
    )


def _timestamp(qualified: str, **extra: Any) -> dict[str, Any]:
    return column(qualified, example="2026-01-31T12:00:00Z", **extra)


MONEY_EXAMPLE = {"example": "1250.00"}
INVOICE_PROPERTIES = {
    "id": column("invoices.id"),
    "business_id": column("invoices.business_id"),
    "template_id": column("invoices.template_id"),
    "number": column("invoices.number"),
    "status": column("invoices.status"),
    "customer": _object(
        {"name": column("invoices.customer_name"), "email": column("invoices.customer_email")}
    ),
    "currency": column("invoices.currency", minLength=3),
    "issue_date": column("invoices.issue_date", example="2026-01-31"),
    "due_date": column("invoices.due_date", example="2026-01-31"),
    "subtotal": column("invoices.subtotal", **MONEY_EXAMPLE),
    "tax_total": column("invoices.tax_total", **MONEY_EXAMPLE),
    "total": column("invoices.total", **MONEY_EXAMPLE),
    "amount_paid": column("invoices.amount_paid", **MONEY_EXAMPLE),
    # total minus amount_paid: two DECIMAL(15,2) values differ by up to 14 whole digits.
    "amount_due": {
        **decimal_schema(16, 2),
        "description": "total minus amount_paid",
        **MONEY_EXAMPLE,
    },
    "paid_at": _timestamp("invoices.paid_at"),
    "created_at": _timestamp("invoices.created_at"),
    "updated_at": _timestamp("invoices.updated_at"),
    "items": {
        "type": "array",
        "maxItems": MAX_ITEMS_PER_INVOICE,
        "items": {"$ref": "#/components/schemas/InvoiceItem"},
        "description": "Only with include=items; ordered by position.",
    },
}
INVOICE = _object(INVOICE_PROPERTIES, "An invoice.")
INVOICE["required"] = [name for name in INVOICE_PROPERTIES if name != "items"]
SLOT_COUNT = column("availability_slots.capacity")
# Report rows: SUM over DECIMAL(15,2) is DECIMAL(37,2) in MariaDB and MySQL; a count is
# a BIGINT. Rows: one per currency (CHAR(3) of A-Z), status and period (at most 400).
# Keys: businesses a key may be restricted to (no column bounds them; an id each, and
# InvoiceScript links a handful); rate-limit figures are 64-bit counts.
MAX_KEY_BUSINESSES = 10000
RATE_COUNT = {"type": "integer", "format": "int64", "minimum": 0, "maximum": 2**63 - 1}
REPORT_SUM = {**decimal_schema(37, 2), "example": "1250.00"}
REPORT_COUNT = {"type": "integer", "format": "int64", "minimum": 1, "maximum": 2**63 - 1}
MAX_CURRENCIES = 26**3
MAX_SUMMARY_ROWS = MAX_CURRENCIES * 4 * 400

COMPONENTS: dict[str, dict[str, Any]] = {
    "InvoiceTemplate": _object(
        {
            "id": column("invoice_templates.id"),
            "name": column("invoice_templates.name"),
            "is_default": column("invoice_templates.is_default"),
            "payment_terms_days": column("invoice_templates.payment_terms_days"),
            "notes": column("invoice_templates.notes"),
            "footer": column("invoice_templates.footer"),
            "created_at": _timestamp("invoice_templates.created_at"),
            "updated_at": _timestamp("invoice_templates.updated_at"),
        },
        "An invoice template of a business.",
    ),
    "Business": _object(
        {
            "id": column("businesses.id"),
            "name": column("businesses.name"),
            "legal_name": column("businesses.legal_name"),
            "email": column("businesses.email"),
            "phone": column("businesses.phone"),
            "country": column("businesses.country", minLength=2),
            "currency": column("businesses.currency", minLength=3),
            "timezone": column(
                "businesses.timezone", description="IANA time zone", example="Europe/Berlin"
            ),
            "created_at": _timestamp("businesses.created_at"),
            "updated_at": _timestamp("businesses.updated_at"),
            "invoice_templates": {
                "type": "array",
                "maxItems": MAX_TEMPLATES_PER_BUSINESS,
                "items": {"$ref": "#/components/schemas/InvoiceTemplate"},
            },
        },
        "A business the key may read.",
    ),
    "InvoiceItem": _object(
        {
            "id": column("invoice_items.id"),
            "position": column("invoice_items.position"),
            "service_id": column("invoice_items.service_id"),
            "description": column("invoice_items.description"),
            "quantity": column("invoice_items.quantity", example="2.000"),
            "unit_price": column("invoice_items.unit_price", **MONEY_EXAMPLE),
            "tax_rate": column("invoice_items.tax_rate", example="20.00"),
            "amount": column("invoice_items.amount", **MONEY_EXAMPLE),
        },
        "A line of an invoice.",
    ),
    "Invoice": INVOICE,
    "Service": _object(
        {
            "id": column("services.id"),
            "business_id": column("services.business_id"),
            "name": column("services.name"),
            "description": column("services.description"),
            "duration_minutes": column("services.duration_minutes"),
            "price": column("services.price", **MONEY_EXAMPLE),
            "currency": column("services.currency", minLength=3),
            "is_active": column("services.is_active"),
            "created_at": _timestamp("services.created_at"),
            "updated_at": _timestamp("services.updated_at"),
        },
        "A bookable service.",
    ),
    "AvailabilitySlot": _object(
        {
            "id": column("availability_slots.id"),
            "business_id": column("availability_slots.business_id"),
            "service_id": column(
                "availability_slots.service_id", description="null: open to any service"
            ),
            "starts_at": column(
                "availability_slots.starts_at", example="2026-02-02T09:00:00+01:00"
            ),
            "ends_at": column("availability_slots.ends_at", example="2026-02-02T10:00:00+01:00"),
            "capacity": SLOT_COUNT,
            "booked": column("availability_slots.booked"),
            # Only slots with booked < capacity are listed.
            "remaining": {**SLOT_COUNT, "minimum": 1},
        },
        "A slot with room left; times in the business's local time with its offset.",
    ),
    "InvoiceTotal": _object(
        {
            "currency": column("invoices.currency", minLength=3),
            "status": column("invoices.status"),
            "period": _string(
                nullable=True,
                maxLength=10,
                pattern=r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?|-W[0-9]{2}|-Q[1-4])?$",
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
            "count": REPORT_COUNT,
            "subtotal": REPORT_SUM,
            "tax_total": REPORT_SUM,
            "total": REPORT_SUM,
            "amount_paid": REPORT_SUM,
            "amount_due": {**REPORT_SUM, "description": "total minus amount_paid"},
        },
        "Counts and sums of the invoices of one currency, status and period.",
    ),
    "InvoiceSummary": _object(
        {
            "data": {
                "type": "array",
                "maxItems": MAX_SUMMARY_ROWS,
                "items": {"$ref": "#/components/schemas/InvoiceTotal"},
            }
        },
        "Invoice totals; periods without invoices are omitted.",
    ),
    "AgingRow": _object(
        {
            "currency": column("invoices.currency", minLength=3),
            "count": REPORT_COUNT,
            "not_due": {**REPORT_SUM, "description": "No due_date, or due on or after as_of"},
            "days_1_30": {**REPORT_SUM, "description": "1 to 30 days past due"},
            "days_31_60": {**REPORT_SUM, "description": "31 to 60 days past due"},
            "days_61_90": {**REPORT_SUM, "description": "61 to 90 days past due"},
            "days_over_90": {**REPORT_SUM, "description": "More than 90 days past due"},
            "total_due": {**REPORT_SUM, "description": "Sum of the buckets"},
        },
        "Amounts due of one currency's open invoices, by days past due.",
    ),
    "ReceivablesAging": _object(
        {
            "as_of": DATE,
            "data": {
                "type": "array",
                "maxItems": MAX_CURRENCIES,
                "items": {"$ref": "#/components/schemas/AgingRow"},
            },
        },
        "Open invoices (status sent, amount_due > 0) by days past due on as_of.",
    ),
    "BusinessList": _list_of("Business"),
    "InvoiceList": _list_of("Invoice"),
    "ServiceList": _list_of("Service"),
    "AvailabilityList": _list_of("AvailabilitySlot"),
    "BusinessTombstone": _object(
        {"id": column("businesses.id"), "deleted_at": _deleted_at("businesses")},
        "A deleted business the key may read (with deleted_since).",
    ),
    "InvoiceTombstone": _tombstone("invoices", "A deleted invoice (with deleted_since)."),
    "ServiceTombstone": _tombstone("services", "A deleted service (with deleted_since)."),
    "AvailabilitySlotTombstone": _tombstone(
        "availability_slots", "A deleted availability slot (with deleted_since)."
    ),
    "BusinessTombstoneList": _list_of("BusinessTombstone"),
    "InvoiceTombstoneList": _list_of("InvoiceTombstone"),
    "ServiceTombstoneList": _list_of("ServiceTombstone"),
    "AvailabilitySlotTombstoneList": _list_of("AvailabilitySlotTombstone"),
    "Health": _object(
        {
            "status": {"type": "string", "enum": ["ok"]},
            "database": {"type": "string", "enum": ["ok"]},
            "rate_limit_storage": {"type": "string", "enum": ["ok"]},
        },
        "The service, its database and its rate-limit storage answer.",
    ),
    "Key": _object(
        {
            "prefix": {"type": "string", "pattern": "^[a-z0-9]{8}$", "maxLength": 8},
            "name": column("api_keys.name"),
            "scopes": {
                "type": "array",
                "maxItems": len(SCOPES),
                "items": {"type": "string", "enum": list(SCOPES)},
            },
            "businesses": {
                "type": "array",
                "nullable": True,
                "maxItems": MAX_KEY_BUSINESSES,
                "items": ID,
                "description": "The businesses the key may read; null: every business.",
            },
            "created_at": _timestamp("api_keys.created_at"),
            "expires_at": _timestamp("api_keys.expires_at"),
            "last_used_at": {
                **_timestamp("api_keys.last_used_at"),
                "description": "Written at most once a minute per key and process.",
            },
            "rate_limit": _object(
                {
                    "limit": RATE_COUNT,
                    "remaining": RATE_COUNT,
                    "reset": {**RATE_COUNT, "description": "Unix time when a slot frees"},
                    "used": RATE_COUNT,
                },
                "The per-key limit as it stands after this request.",
            ),
        },
        "The key that sent the request; never its hash.",
    ),
    "OpenAPIDocument": {"type": "object", "description": "This document, as JSON."},
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details, as every non-2xx response.",
        "required": ["type", "title", "status", "detail", "code", "request_id"],
        "properties": {
            "type": {"type": "string", "enum": [PROBLEM_TYPE + code for code in TITLES]},
            "title": {"type": "string", "enum": [*dict.fromkeys([*TITLES.values(), "Error"])]},
            "status": {"type": "integer", "format": "int32", "minimum": 400, "maximum": 599},
            "detail": {"type": "string", "maxLength": MAX_ECHOED_NAME + MAX_MESSAGE},
            "code": {"type": "string", "enum": list(TITLES)},
            "request_id": REQUEST_ID_TEXT,
            "required_scope": {
                "type": "string",
                "enum": list(SCOPES),
                "description": "With insufficient_scope",
            },
            "errors": {
                "type": "array",
                "description": "With invalid_parameter: the first parameter at fault.",
                "maxItems": 1,
                "items": _object(
                    {
                        "parameter": {"type": "string", "maxLength": MAX_ECHOED_NAME},
                        "message": {"type": "string", "maxLength": MAX_MESSAGE},
                    }
                ),
            },
            "checks": _object(
                {
                    name: {"type": "string", "enum": ["ok", "unavailable"]}
                    for name in ("database", "rate_limit_storage")
                },
                "With a 503 of /health: which dependency does not answer.",
            ),
        },
    },
}
