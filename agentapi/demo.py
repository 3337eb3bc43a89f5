"""Demo data behind `agentapi demo seed`: fixed ids, so seeding twice changes nothing."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from .db import Database
from .ids import new_id

MAIN_BUSINESS = "01HTENANT0000000000000000"
BUSINESSES = [
    (MAIN_BUSINESS, "Northwind Studio", "Northwind Studio GmbH", "DE", "EUR", "Europe/Berlin"),
    ("01HTENANT0000000000000001", "Harbor Yoga", None, "US", "USD", "America/New_York"),
    ("01HTENANT0000000000000002", "Kiwi Bikes", "Kiwi Bikes Ltd", "NZ", "NZD", "Pacific/Auckland"),
    ("01HTENANT0000000000000003", "Maple Clinic", None, "CA", "CAD", "America/Toronto"),
]
SERVICES = [
    ("Consultation", 30, "45.00"),
    ("Design session", 60, "120.00"),
    ("Workshop", 120, "300.00"),
    ("Follow-up call", 15, "20.00"),
    ("Site visit", 90, "180.00"),
    ("Legacy package", 60, "99.00"),
]
CUSTOMERS = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Katherine Johnson", "Linus Pauling"]
STATUSES = ["draft", "sent", "paid", "void"]


def _ids(rng: random.Random, count: int, base_ms: int) -> list[str]:
    return [new_id(base_ms + i, rng.getrandbits(80)) for i in range(count)]


def seed(database: Database, today: date | None = None) -> dict[str, int]:
    """Write demo businesses, templates, services, invoices and 30 days of availability."""
    rng = random.Random(20260101)
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    today = today or now.date()
    counts = {"businesses": 0, "invoices": 0, "items": 0, "services": 0, "slots": 0}
    base_ms = 1_767_225_600_000  # 2026-01-01, so demo ids sort stably
    database.run(
        "delete_demo_slots", {"business_ids": tuple(b[0] for b in BUSINESSES)}, retry=False
    )
    for index, (bid, name, legal, country, currency, tz) in enumerate(BUSINESSES):
        created = now - timedelta(days=400)
        database.run(
            "upsert_business",
            {
                "id": bid,
                "name": name,
                "legal_name": legal,
                "email": f"billing@{name.split()[0].lower()}.example",
                "phone": "+1 555 0100" if index % 2 else None,
                "country": country,
                "currency": currency,
                "timezone": tz,
                "created_at": created,
                "updated_at": created,
            },
            retry=False,
        )
        counts["businesses"] += 1
        template_ids = _ids(rng, 2, base_ms + index * 1000)
        for t, (tname, default, terms) in enumerate([("Standard", 1, 14), ("Net 30", 0, 30)]):
            database.run(
                "upsert_invoice_template",
                {
                    "id": template_ids[t],
                    "business_id": bid,
                    "name": tname,
                    "is_default": default,
                    "payment_terms_days": terms,
                    "notes": "Thank you for your business." if default else None,
                    "footer": f"{legal or name} · {country}",
                    "created_at": created,
                    "updated_at": created,
                },
                retry=False,
            )
        service_ids = _ids(rng, len(SERVICES), base_ms + index * 1000 + 100)
        for s, (sname, minutes, price) in enumerate(SERVICES):
            database.run(
                "upsert_service",
                {
                    "id": service_ids[s],
                    "business_id": bid,
                    "name": sname,
                    "description": f"{sname} at {name}.",
                    "duration_minutes": minutes,
                    "price": Decimal(price),
                    "currency": currency,
                    "is_active": 0 if sname.startswith("Legacy") else 1,
                    "created_at": created,
                    "updated_at": created,
                },
                retry=False,
            )
            counts["services"] += 1
        invoice_count = 240 if bid == MAIN_BUSINESS else 30
        invoice_ids = _ids(rng, invoice_count, base_ms + index * 1000 + 200)
        for n, invoice_id in enumerate(invoice_ids):
            counts["invoices"] += 1
            counts["items"] += _seed_invoice(
                database, rng, bid, currency, invoice_id, n, template_ids, service_ids, today, now
            )
        counts["slots"] += _seed_slots(database, rng, bid, tz, service_ids, today, now)
    return counts


def _seed_invoice(
    database: Database,
    rng: random.Random,
    bid: str,
    currency: str,
    invoice_id: str,
    n: int,
    template_ids: list[str],
    service_ids: list[str],
    today: date,
    now: datetime,
) -> int:
    issue = today - timedelta(days=rng.randrange(365))
    status = STATUSES[n % 4]
    lines = []
    for position in range(1, rng.randint(1, 4) + 1):
        quantity = Decimal(rng.randint(1, 8))
        unit = Decimal(rng.choice(["45.00", "120.00", "19.99", "300.00"]))
        lines.append((position, quantity, unit, (quantity * unit).quantize(Decimal("0.01"))))
    subtotal = sum(line[3] for line in lines)
    tax = (subtotal * Decimal("0.19")).quantize(Decimal("0.01"))
    total = subtotal + tax
    paid = total if status == "paid" else Decimal("0.00")
    # Invoices issued in the last few days would otherwise be created, paid or updated
    # later today or in the coming days: nothing the PHP app writes is in the future.
    stamp = min(datetime.combine(issue, time(9)) + timedelta(minutes=n), now)
    paid_at = min(stamp + timedelta(days=3), now) if status == "paid" else None
    database.run(
        "upsert_invoice",
        {
            "id": invoice_id,
            "business_id": bid,
            "template_id": template_ids[n % 2],
            "number": f"INV-{issue.year}-{n + 1:04d}",
            "status": status,
            "customer_name": CUSTOMERS[n % len(CUSTOMERS)],
            "customer_email": None if n % 7 == 0 else f"customer{n}@example.com",
            "currency": currency,
            "issue_date": issue,
            "due_date": None if status == "draft" else issue + timedelta(days=14),
            "subtotal": subtotal,
            "tax_total": tax,
            "total": total,
            "amount_paid": paid,
            "paid_at": paid_at,
            "created_at": stamp,
            "updated_at": paid_at or stamp,
        },
        retry=False,
    )
    for position, quantity, unit, amount in lines:
        database.run(
            "upsert_invoice_item",
            {
                "id": f"{invoice_id[:-2]}{position:02d}",
                "invoice_id": invoice_id,
                "position": position,
                "service_id": service_ids[position % len(service_ids)],
                "description": f"Line {position}",
                "quantity": quantity,
                "unit_price": unit,
                "tax_rate": Decimal("19.00"),
                "amount": amount,
            },
            retry=False,
        )
    return len(lines)


def _seed_slots(
    database: Database,
    rng: random.Random,
    bid: str,
    tz: str,
    service_ids: list[str],
    today: date,
    now: datetime,
) -> int:
    zone = ZoneInfo(tz)
    count = 0
    for day in range(30):
        local_day = today + timedelta(days=day)
        if local_day.weekday() >= 5:
            continue
        for hour in range(9, 17, 2):
            aware = datetime.combine(local_day, time(hour), tzinfo=zone).astimezone(UTC)
            start = aware.replace(tzinfo=None)
            capacity = rng.randint(1, 3)
            database.run(
                "upsert_availability_slot",
                {
                    "id": new_id(int(aware.timestamp() * 1000), rng.getrandbits(80)),
                    "business_id": bid,
                    "service_id": None if hour == 9 else service_ids[hour % 5],
                    "starts_at": start,
                    "ends_at": start + timedelta(hours=1),
                    "capacity": capacity,
                    "booked": rng.randint(0, capacity),
                    "created_at": now,
                    "updated_at": now,
                },
                retry=False,
            )
            count += 1
    return count
