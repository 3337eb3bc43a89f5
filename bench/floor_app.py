"""The query floor: the bare app a developer would write for the same data, per route.

No auth, no limits, no validation, no cursors: Flask, one persistent PyMySQL connection
per worker (per thread of a threaded worker: PyMySQL connections are not thread-safe)
with PyMySQL's defaults (DictCursor, its own converters, TLS left
to PyMySQL's default), the natural statement of each first page written by hand (not
the service's tuned statements from sql/), dates and decimals stringified, `jsonify`.
It reaches the database the way AGENTAPI_DATABASE_URL says (unix socket or TCP), so a
floor and a service started with the same URL pay the same transport. Serve it with the
same worker model as the service (bench/floor_gunicorn.conf.py).
"""

from __future__ import annotations

import os
import threading
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pymysql
import pymysql.cursors
from flask import Flask, jsonify, request

from agentapi.config import parse_database_url

TARGET = parse_database_url("AGENTAPI_DATABASE_URL", os.environ["AGENTAPI_DATABASE_URL"])
PAGE = 50

INVOICES = """
SELECT id, business_id, template_id, number, status, customer_name, customer_email, currency,
       issue_date, due_date, subtotal, tax_total, total, amount_paid, paid_at,
       created_at, updated_at
  FROM invoices
 WHERE business_id = %s AND deleted_at IS NULL
 ORDER BY issue_date DESC, id DESC
 LIMIT %s
"""
ITEMS = """
SELECT id, invoice_id, position, service_id, description, quantity, unit_price, tax_rate, amount
  FROM invoice_items
 WHERE invoice_id IN %s
 ORDER BY invoice_id, position
"""
BUSINESSES = """
SELECT id, name, legal_name, email, phone, country, currency, timezone, created_at, updated_at
  FROM businesses
 WHERE deleted_at IS NULL
 ORDER BY id
 LIMIT %s
"""
TEMPLATES = """
SELECT id, business_id, name, is_default, payment_terms_days, notes, footer,
       created_at, updated_at
  FROM invoice_templates
 WHERE business_id IN %s AND deleted_at IS NULL
 ORDER BY business_id, name
"""
SERVICES = """
SELECT id, business_id, name, description, duration_minutes, price, currency, is_active,
       created_at, updated_at
  FROM services
 WHERE business_id = %s AND deleted_at IS NULL
 ORDER BY name, id
 LIMIT %s
"""
TIMEZONE = "SELECT timezone FROM businesses WHERE id = %s AND deleted_at IS NULL"
SLOTS = """
SELECT id, business_id, service_id, starts_at, ends_at, capacity, booked
  FROM availability_slots
 WHERE business_id = %s AND deleted_at IS NULL
   AND starts_at >= %s AND starts_at < %s AND booked < capacity
 ORDER BY starts_at, id
 LIMIT %s
"""

app = Flask(__name__)
_local = threading.local()


def connection() -> pymysql.connections.Connection:
    """This worker thread's one connection, opened on first use (after gunicorn forks)."""
    conn: pymysql.connections.Connection | None = getattr(_local, "conn", None)
    if conn is None:
        conn = pymysql.connect(
            **TARGET.connect_kwargs(),
            charset="utf8mb4",
            autocommit=True,
            cursorclass=pymysql.cursors.DictCursor,
        )
        _local.conn = conn
    return conn


def query(sql: str, *params) -> list[dict]:
    """Run one statement; its rows."""
    with connection().cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def plain(row: dict) -> dict:
    """A row with dates (ISO 8601) and decimals as strings."""
    out = {}
    for key, value in row.items():
        if isinstance(value, date | datetime):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        out[key] = value
    return out


def page(rows: list[dict]) -> dict:
    """The first page's envelope."""
    return {"data": [plain(row) for row in rows[:PAGE]], "has_more": len(rows) > PAGE}


@app.get("/invoices")
def invoices():
    """The first page of a business's invoices, newest first, optionally with items."""
    rows = query(INVOICES, request.args["business_id"], PAGE + 1)
    body = page(rows)
    if request.args.get("include") == "items" and body["data"]:
        items: dict[str, list[dict]] = {}
        for item in query(ITEMS, tuple(row["id"] for row in body["data"])):
            items.setdefault(item["invoice_id"], []).append(plain(item))
        for row in body["data"]:
            row["items"] = items.get(row["id"], [])
    return jsonify(body)


@app.get("/businesses")
def businesses():
    """The first page of businesses, each with its invoice templates."""
    body = page(query(BUSINESSES, PAGE + 1))
    templates: dict[str, list[dict]] = {}
    if body["data"]:
        for row in query(TEMPLATES, tuple(row["id"] for row in body["data"])):
            templates.setdefault(row["business_id"], []).append(plain(row))
    for row in body["data"]:
        row["invoice_templates"] = templates.get(row["id"], [])
    return jsonify(body)


@app.get("/services")
def services():
    """The first page of a business's services by name."""
    return jsonify(page(query(SERVICES, request.args["business_id"], PAGE + 1)))


@app.get("/availability")
def availability():
    """Open slots from one local midnight to another [from, to), in the business's zone."""
    business_id = request.args["business_id"]
    zone = ZoneInfo(query(TIMEZONE, business_id)[0]["timezone"])
    utc = ZoneInfo("UTC")

    def start(day: str) -> datetime:
        local = datetime.combine(date.fromisoformat(day), datetime.min.time(), zone)
        return local.astimezone(utc).replace(tzinfo=None)

    window = (start(request.args["from"]), start(request.args["to"]))
    rows = query(SLOTS, business_id, *window, PAGE + 1)
    return jsonify(page(rows))
