"""Builders for test state, through the same upsert queries the demo seed uses."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from agentapi import keys
from agentapi.auth import SCOPES
from agentapi.db import Database
from agentapi.ids import encode_crockford

ALL_SCOPES = list(SCOPES)
_counter = itertools.count(1)


def next_id() -> str:
    """A fresh 26-character id that sorts after the previous one."""
    return encode_crockford(10**20 + next(_counter), 26)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


class Factory:
    """Creates rows with sensible defaults; every keyword overrides a column."""

    def __init__(self, database: Database) -> None:
        self.db = database

    def business(self, **columns: Any) -> dict[str, Any]:
        """A live business."""
        now = _now()
        row = {
            "id": next_id(),
            "name": "Acme",
            "legal_name": None,
            "email": None,
            "phone": None,
            "country": "DE",
            "currency": "EUR",
            "timezone": "Europe/Berlin",
            "created_at": now,
            "updated_at": now,
            **columns,
        }
        self.db.run("upsert_business", row)
        return row

    def template(self, business_id: str, **columns: Any) -> dict[str, Any]:
        """An invoice template."""
        now = _now()
        row = {
            "id": next_id(),
            "business_id": business_id,
            "name": "Standard",
            "is_default": 1,
            "payment_terms_days": 14,
            "notes": None,
            "footer": None,
            "created_at": now,
            "updated_at": now,
            **columns,
        }
        self.db.run("upsert_invoice_template", row)
        return row

    def invoice(self, business_id: str, **columns: Any) -> dict[str, Any]:
        """An invoice."""
        now = _now()
        n = next(_counter)
        row = {
            "id": next_id(),
            "business_id": business_id,
            "template_id": None,
            "number": f"INV-{n:06d}",
            "status": "sent",
            "customer_name": "Ada",
            "customer_email": "ada@example.com",
            "currency": "EUR",
            "issue_date": date(2026, 1, 1),
            "due_date": None,
            "subtotal": Decimal("100.00"),
            "tax_total": Decimal("19.00"),
            "total": Decimal("119.00"),
            "amount_paid": Decimal("0.00"),
            "paid_at": None,
            "created_at": now,
            "updated_at": now,
            **columns,
        }
        self.db.run("upsert_invoice", row)
        return row

    def item(self, invoice_id: str, **columns: Any) -> dict[str, Any]:
        """An invoice line item."""
        row = {
            "id": next_id(),
            "invoice_id": invoice_id,
            "position": 1,
            "service_id": None,
            "description": "Work",
            "quantity": Decimal("1.000"),
            "unit_price": Decimal("100.00"),
            "tax_rate": Decimal("19.00"),
            "amount": Decimal("100.00"),
            **columns,
        }
        self.db.run("upsert_invoice_item", row)
        return row

    def service(self, business_id: str, **columns: Any) -> dict[str, Any]:
        """A service."""
        now = _now()
        row = {
            "id": next_id(),
            "business_id": business_id,
            "name": "Consultation",
            "description": None,
            "duration_minutes": 30,
            "price": Decimal("45.00"),
            "currency": "EUR",
            "is_active": 1,
            "created_at": now,
            "updated_at": now,
            **columns,
        }
        self.db.run("upsert_service", row)
        return row

    def slot(self, business_id: str, **columns: Any) -> dict[str, Any]:
        """An availability slot starting in a day, with room left."""
        now = _now()
        starts = columns.pop("starts_at", now + timedelta(days=1))
        row = {
            "id": next_id(),
            "business_id": business_id,
            "service_id": None,
            "starts_at": starts,
            "ends_at": starts + timedelta(hours=1),
            "capacity": 2,
            "booked": 0,
            "created_at": now,
            "updated_at": now,
            **columns,
        }
        self.db.run("upsert_availability_slot", row)
        return row

    def key(
        self,
        scopes: list[str] | None = None,
        businesses: tuple[str, ...] = (),
        expires_in_days: float | None = None,
        name: str = "test",
    ) -> str:
        """A key's token."""
        return keys.create_key(
            self.db, name, ALL_SCOPES if scopes is None else scopes, businesses, expires_in_days
        )


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}


def priced(subtotal: str, tax_total: str, paid: str = "0.00") -> dict[str, Decimal]:
    """Invoice money columns from exact decimal strings: total = subtotal + tax_total."""
    sub, tax = Decimal(subtotal), Decimal(tax_total)
    return {"subtotal": sub, "tax_total": tax, "total": sub + tax, "amount_paid": Decimal(paid)}
