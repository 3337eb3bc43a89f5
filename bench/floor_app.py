"""Row 2, the query floor: the SQL of /invoices' first page over one persistent connection.

No auth, no limits, no validation: Flask, one pymysql connection per worker process
(DictCursor, as the service uses), the very statement the service runs from
sql/invoices/, and jsonify. Serve with the same gunicorn config as the service.
"""

from __future__ import annotations

import os
from datetime import date, datetime

import pymysql
import pymysql.cursors
from flask import Flask, jsonify, request

from agentapi.config import parse_database_url
from agentapi.sqlfiles import load_queries

QUERY = load_queries()["list_invoices_by_issue_date_desc"].sql
TARGET = parse_database_url("BENCH_DATABASE_URL", os.environ["AGENTAPI_DATABASE_URL"])
# The first page's sentinels, exactly as agentapi/routes/invoices.py passes them.
FIRST_PAGE = {
    "issued_from": date(1000, 1, 1),
    "issued_to": date(9999, 12, 31),
    "updated_since": datetime(1000, 1, 1),
    "statuses": ("draft", "sent", "paid", "void"),
    "after_key": "9999-12-31",
    "after_id": "Z" * 27,
    "limit": 51,
}

app = Flask(__name__)
_conn: list[pymysql.connections.Connection] = []


def connection() -> pymysql.connections.Connection:
    """This process's one connection, opened on first use (after gunicorn forks)."""
    if not _conn:
        _conn.append(
            pymysql.connect(
                **TARGET.connect_kwargs(),
                charset="utf8mb4",
                autocommit=True,
                ssl_disabled=True,
                cursorclass=pymysql.cursors.DictCursor,
            )
        )
    return _conn[0]


@app.get("/invoices")
def invoices():
    """The first page of a business's invoices, as rows."""
    with connection().cursor() as cursor:
        cursor.execute(QUERY, {**FIRST_PAGE, "business_id": request.args["business_id"]})
        rows = cursor.fetchall()
    return jsonify({"data": rows[:50], "has_more": len(rows) > 50})
