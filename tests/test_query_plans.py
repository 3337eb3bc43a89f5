"""Every list query walks its index in keyset order, and a deep page reads about a page.

EXPLAIN is checked for every combination of filters and sort orders; but EXPLAIN can
say `range` while the server scans (docs/benchmarks.md), so deep pages are also judged
by what they read: Handler_read_next + Handler_read_prev after FLUSH STATUS, on a table
big enough for the optimiser to behave as it does at scale.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pymysql
import pytest

from agentapi.config import parse_database_url
from agentapi.db import Database
from agentapi.routes import invoices as invoice_route
from agentapi.routes import reports as report_route
from agentapi.sqlfiles import load_queries, read_script

from .conftest import DEFAULT_TEST_URL

QUERIES = load_queries()
BIG = "01PLANSBIG0000000000000000"
OTHER = "01PLANSOTHER00000000000000"
INVOICES = 30_000  # in the big business: enough for the optimiser's choices at scale
SLOTS = 20_000
OTHER_INVOICES = 500  # the big business dominates the table, as at scale
SERVICES = 3_000
ITEMS_FOR = 3_000  # invoices with 3 items each
LIMIT = 50
DEEP = INVOICES * 9 // 10  # as the benchmark: 900,000 of a million
BASE_DAY = date(2021, 1, 1)
SLOT_START = datetime(2026, 1, 1, 6, 0)


def _insert(cursor, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Multi-row INSERTs, a few thousand rows each."""
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    for start in range(0, len(rows), 2000):
        chunk = rows[start : start + 2000]
        cursor.execute(head + ", ".join([one] * len(chunk)), list(itertools.chain(*chunk)))


def _invoice_rows(business: str, count: int) -> list[tuple]:
    rows = []
    for n in range(1, count + 1):
        created = datetime.combine(BASE_DAY, datetime.min.time()) + timedelta(
            days=n * 1826 // count, seconds=n % 86400
        )
        updated = created + timedelta(seconds=(n * 7919) % 7_776_000, microseconds=n % 1000)
        rows.append(
            (
                f"{business[:10]}I{n:015d}",
                business,
                f"INV-{n:08d}",
                ("draft", "sent", "paid", "void")[n * 3 % 4],
                f"Customer {n % 500}",
                "EUR",
                created.date(),
                100,
                19,
                119,
                0,
                created,
                updated,
                datetime(2026, 1, 1) if n % 97 == 0 else None,
            )
        )
    return rows


@pytest.fixture(scope="module")
def plans_db() -> Iterator[pymysql.connections.Connection]:
    """A throwaway database of this module's own, filled with multi-row INSERTs."""

    base = os.environ.get("AGENTAPI_TEST_DATABASE_URL", DEFAULT_TEST_URL)
    name = f"{parse_database_url('TEST', base).database}_plans_{secrets.token_hex(4)}"
    url = urlunsplit(urlsplit(base)._replace(path=f"/{name}"))
    server_kwargs = parse_database_url("TEST", url).connect_kwargs()
    server_kwargs.pop("database")
    server = pymysql.connect(**server_kwargs, autocommit=True)
    with server.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    try:
        Database(parse_database_url("TEST", url), QUERIES).run_script(read_script("schema.sql"))
        conn = pymysql.connect(
            **server_kwargs,
            database=name,
            autocommit=True,
            cursorclass=pymysql.cursors.DictCursor,
        )
        with conn.cursor() as cursor:
            now = datetime(2025, 1, 1)
            for business in (BIG, OTHER):
                cursor.execute(
                    "INSERT INTO businesses (id, name, currency, timezone, created_at,"
                    " updated_at) VALUES (%s, 'B', 'EUR', 'UTC', %s, %s)",
                    (business, now, now),
                )
                _insert(
                    cursor,
                    "invoices",
                    (
                        "id",
                        "business_id",
                        "number",
                        "status",
                        "customer_name",
                        "currency",
                        "issue_date",
                        "subtotal",
                        "tax_total",
                        "total",
                        "amount_paid",
                        "created_at",
                        "updated_at",
                        "deleted_at",
                    ),  # fmt: skip
                    _invoice_rows(business, INVOICES if business == BIG else OTHER_INVOICES),
                )
                _insert(
                    cursor,
                    "services",
                    (
                        "id",
                        "business_id",
                        "name",
                        "duration_minutes",
                        "price",
                        "currency",
                        "is_active",
                        "created_at",
                        "updated_at",
                    ),  # fmt: skip
                    [
                        (
                            f"{business[:10]}S{n:015d}",
                            business,
                            f"Service {n:05d}",
                            30,
                            40,
                            "EUR",
                            n % 7 != 0,
                            now,
                            now,
                        )
                        for n in range(1, SERVICES + 1)
                    ],  # fmt: skip
                )
                _insert(
                    cursor,
                    "availability_slots",
                    (
                        "id",
                        "business_id",
                        "service_id",
                        "starts_at",
                        "ends_at",
                        "capacity",
                        "booked",
                        "created_at",
                        "updated_at",
                    ),  # fmt: skip
                    [
                        (
                            f"{business[:10]}T{n:015d}",
                            business,
                            None if n % 2 else f"{business[:10]}S{1 + n % 10:015d}",
                            SLOT_START + timedelta(minutes=30 * n),
                            SLOT_START + timedelta(minutes=30 * n + 30),
                            2,
                            n % 2,
                            now,
                            now,
                        )
                        for n in range(1, SLOTS + 1)
                    ],  # fmt: skip
                )
                _insert(
                    cursor,
                    "invoice_items",
                    (
                        "id",
                        "invoice_id",
                        "position",
                        "description",
                        "quantity",
                        "unit_price",
                        "tax_rate",
                        "amount",
                    ),  # fmt: skip
                    [
                        (
                            f"{business[:10]}L{n:013d}{p}",
                            f"{business[:10]}I{n:015d}",
                            p,
                            "Work",
                            1,
                            25,
                            19,
                            25,
                        )
                        for n in range(1, ITEMS_FOR + 1)
                        for p in range(1, 4)
                    ],  # fmt: skip
                )
            cursor.execute("ANALYZE TABLE invoices, invoice_items, services, availability_slots")
            cursor.fetchall()
        yield conn
        conn.close()
    finally:
        with server.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        server.close()


def explain(conn, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """EXPLAIN of a registered query with these parameters."""
    with conn.cursor() as cursor:
        cursor.execute("EXPLAIN " + QUERIES[name].sql, params)
        return cursor.fetchall()


def rows_read(conn, name: str, params: dict[str, Any]) -> tuple[int, list[dict[str, Any]]]:
    """Handler_read_next + Handler_read_prev of running the query; and its rows."""
    with conn.cursor() as cursor:
        cursor.execute("FLUSH STATUS")
        cursor.execute(QUERIES[name].sql, params)
        result = cursor.fetchall()
        cursor.execute("SHOW SESSION STATUS LIKE 'Handler_read_%%'")
        status = {row["Variable_name"]: int(row["Value"]) for row in cursor.fetchall()}
    return status["Handler_read_next"] + status["Handler_read_prev"], result


def assert_index_in_keyset_order(plan: list[dict[str, Any]], index: str) -> None:
    """The list's table read by range or ref on the named index, nothing sorted, and any
    other table (the business's existence check) read once by its primary key."""
    # MariaDB lists a const table (read during planning) before the others; a correlated
    # subquery of the select list (a page's items) is read per row, and checked apart.
    per_row = [row for row in plan if row["select_type"] != "DEPENDENT SUBQUERY"]
    (main,) = [row for row in per_row if row["type"] != "const"]
    others = [row for row in per_row if row is not main]
    assert main["type"] in ("range", "ref"), plan
    assert main["key"] == index, plan
    assert all(row["type"] == "const" and row["key"] == "PRIMARY" for row in others), plan
    assert all("filesort" not in (row["Extra"] or "") for row in plan), plan


# Invoices: every subset of the optional filters, every sort, first page and a cursor page.
STATUS_SUBSET = ("paid", "sent")
INVOICE_FILTERS = {
    "statuses": STATUS_SUBSET,
    "issued_from": date(2022, 1, 1),
    "issued_to": date(2025, 6, 30),
    "updated_since": datetime(2023, 1, 1),
}
FILTER_COMBINATIONS = [
    combo for size in range(len(INVOICE_FILTERS) + 1)
    for combo in itertools.combinations(INVOICE_FILTERS, size)
]  # fmt: skip


def invoice_params(sort: str, filters: tuple[str, ...], position: tuple | None) -> dict:
    """The parameters the /invoices view passes, with sentinels for absent filters."""
    _, _, after_key, after_id = invoice_route.SORTS[sort]
    params = {
        "business_id": BIG,
        "issued_from": invoice_route.DATE_MIN,
        "issued_to": invoice_route.DATE_MAX,
        "updated_since": invoice_route.TIME_MIN,
        "statuses": invoice_route.STATUSES,
        "after_key": after_key,
        "after_id": after_id,
        "limit": LIMIT + 1,
    }
    params.update({name: INVOICE_FILTERS[name] for name in filters})
    if position is not None:
        params["after_key"], params["after_id"] = position
    return params


def keyset_position(conn, sort: str, depth: int) -> tuple[str, str]:
    """The (key, id) of the invoice at a depth in a sort order, as a cursor holds it."""
    column = sort.lstrip("-")
    direction = "DESC" if sort.startswith("-") else "ASC"
    with conn.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} AS k, id FROM invoices WHERE business_id = %s"
            f" AND deleted_at IS NULL ORDER BY {column} {direction}, id {direction}"
            f" LIMIT 1 OFFSET %s",
            (BIG, depth),
        )
        row = cursor.fetchone()
    return invoice_route.keyset_value(row, "k"), row["id"]


@pytest.mark.parametrize("sort", list(invoice_route.SORTS))
@pytest.mark.parametrize("filters", FILTER_COMBINATIONS, ids="+".join)
@pytest.mark.parametrize("page", ["first", "cursor"])
def test_invoice_list_uses_its_index_in_keyset_order(plans_db, sort, filters, page):
    query = invoice_route.SORTS[sort][0]
    position = keyset_position(plans_db, sort, 1000) if page == "cursor" else None
    plan = explain(plans_db, query, invoice_params(sort, filters, position))
    assert_index_in_keyset_order(plan, f"ix_invoices_{sort.lstrip('-')}")


@pytest.mark.parametrize("sort", list(invoice_route.SORTS))
def test_deep_invoice_page_reads_about_one_page(plans_db, sort):
    position = keyset_position(plans_db, sort, DEEP)
    params = invoice_params(sort, (), position)
    read, rows = rows_read(plans_db, invoice_route.SORTS[sort][0], params)
    assert len(rows) == LIMIT + 1
    assert read <= LIMIT + 10, read


@pytest.mark.parametrize("sort", list(invoice_route.SORTS))
def test_deep_filtered_invoice_page_reads_in_proportion_to_the_filter(plans_db, sort):
    position = keyset_position(plans_db, sort, DEEP)
    params = invoice_params(sort, ("statuses",), position)
    read, rows = rows_read(plans_db, invoice_route.SORTS[sort][0], params)
    assert len(rows) == LIMIT + 1
    # Two statuses of four: about two rows read per row kept, not the whole business.
    assert read <= 3 * (LIMIT + 1), read


def service_params(active: tuple, position: tuple[str, str] | None) -> dict:
    after_name, after_id = position or ("", "")
    return {
        "business_id": BIG,
        "active_a": active[0],
        "active_b": active[1],
        "after_name": after_name,
        "after_id": after_id,
        "limit": LIMIT + 1,
    }


def service_position(depth: int) -> tuple[str, str]:
    return f"Service {depth:05d}", f"{BIG[:10]}S{depth:015d}"


@pytest.mark.parametrize("active", [(0, 1), (1, 1), (0, 0)], ids=["any", "active", "inactive"])
@pytest.mark.parametrize("page", ["first", "cursor"])
def test_service_list_uses_its_index_in_keyset_order(plans_db, active, page):
    position = service_position(100) if page == "cursor" else None
    plan = explain(plans_db, "list_services", service_params(active, position))
    assert_index_in_keyset_order(plan, "ix_services_business_name")


def test_first_service_page_uses_its_index_in_keyset_order_and_reads_one_page(plans_db):
    params = {"business_id": BIG, "limit": LIMIT + 1}
    plan = explain(plans_db, "list_services_first_page", params)
    assert_index_in_keyset_order(plan, "ix_services_business_name")
    read, rows = rows_read(plans_db, "list_services_first_page", params)
    assert len(rows) == LIMIT + 1
    assert read <= 2 * (LIMIT + 1), read
    same = service_params((0, 1), None)
    assert rows == rows_read(plans_db, "list_services", same)[1]


def test_deep_service_page_reads_about_one_page(plans_db):
    params = service_params((0, 1), service_position(SERVICES - 200))
    read, rows = rows_read(plans_db, "list_services", params)
    assert len(rows) == LIMIT + 1
    assert read <= 2 * (LIMIT + 1), read


def slot_params(service_id: str | None, position: tuple[datetime, str] | None) -> dict:
    after_ts, after_id = position or (SLOT_START, "")
    return {
        "business_id": BIG,
        "timezone": "UTC",
        "starts_from": SLOT_START,
        "starts_before": SLOT_START + timedelta(days=400),
        "service_id": service_id,
        "after_ts": after_ts,
        "after_id": after_id,
        "limit": LIMIT + 1,
    }


def slot_position(depth: int) -> tuple[datetime, str]:
    return SLOT_START + timedelta(minutes=30 * depth), f"{BIG[:10]}T{depth:015d}"


@pytest.mark.parametrize("service_id", [None, f"{BIG[:10]}S{3:015d}"], ids=["any", "one"])
@pytest.mark.parametrize("page", ["first", "cursor"])
def test_slot_list_uses_its_index_in_keyset_order(plans_db, service_id, page):
    position = slot_position(500) if page == "cursor" else None
    plan = explain(plans_db, "list_open_slots", slot_params(service_id, position))
    assert_index_in_keyset_order(plan, "ix_availability_business_start")


@pytest.mark.parametrize("service_id", [None, f"{BIG[:10]}S{3:015d}"], ids=["any", "one"])
def test_first_slot_page_uses_its_index_and_gives_the_keyset_statement_s_rows(plans_db, service_id):
    keyset = slot_params(service_id, None)
    params = {k: v for k, v in keyset.items() if k not in ("after_ts", "after_id")}
    plan = explain(plans_db, "list_open_slots_first_page", params)
    assert_index_in_keyset_order(plan, "ix_availability_business_start")
    read, rows = rows_read(plans_db, "list_open_slots_first_page", params)
    assert len(rows) == LIMIT + 1
    assert read <= 3 * (LIMIT + 1), read
    assert rows == rows_read(plans_db, "list_open_slots", keyset)[1]


def test_deep_slot_page_reads_in_proportion_to_open_slots(plans_db):
    params = slot_params(None, slot_position(SLOTS - 1000))
    read, rows = rows_read(plans_db, "list_open_slots", params)
    assert len(rows) == LIMIT + 1
    # Half the slots are open: about two rows read per row kept.
    assert read <= 3 * (LIMIT + 1), read


@pytest.mark.parametrize("restricted", [0, 1])
@pytest.mark.parametrize("after_id", ["", OTHER[:5]])
def test_business_list_reads_by_primary_key_without_filesort(plans_db, restricted, after_id):
    params = {"after_id": after_id, "limit": LIMIT + 1}
    if restricted:
        params["key_id"] = "K"
    plan = explain(plans_db, "list_key_businesses" if restricted else "list_businesses", params)
    businesses = [row for row in plan if row["table"] == "businesses"]
    assert businesses[0]["key"] == "PRIMARY", plan
    assert all("filesort" not in (row["Extra"] or "") for row in plan), plan
    # Each business's templates: a lookup on their index, per business of the page.
    (templates,) = [row for row in plan if row["table"] == "invoice_templates"]
    assert templates["select_type"] == "DEPENDENT SUBQUERY", plan
    assert (templates["type"], templates["key"]) == ("ref", "ix_invoice_templates_business"), plan


def test_invoice_items_are_read_from_their_index_alone_without_filesort(plans_db):
    ids = tuple(f"{BIG[:10]}I{n:015d}" for n in range(1, LIMIT + 1))
    plan = explain(plans_db, "list_invoice_items", {"invoice_ids": ids})
    assert_index_in_keyset_order(plan, "ix_invoice_items_page")
    # A covering index: the table's rows are never read.
    (items,) = plan
    assert "Using index" in items["Extra"], plan


@pytest.mark.parametrize("sort", list(invoice_route.SORTS))
def test_a_page_with_items_reads_each_invoices_items_from_their_index_alone(plans_db, sort):
    query = invoice_route.with_items(invoice_route.SORTS[sort][0])
    plan = explain(plans_db, query, invoice_params(sort, (), None))
    # The page as without items; each invoice's items by a lookup on the covering index.
    assert_index_in_keyset_order(plan, f"ix_invoices_{sort.lstrip('-')}")
    (items,) = [row for row in plan if row["table"] == "invoice_items"]
    assert items["select_type"] == "DEPENDENT SUBQUERY", plan
    assert (items["type"], items["key"]) == ("ref", "ix_invoice_items_page"), plan
    assert "Using index" in items["Extra"], plan


def test_invoice_templates_are_read_by_their_index_without_filesort(plans_db):
    plan = explain(plans_db, "list_invoice_templates", {"business_ids": (BIG, OTHER)})
    assert_index_in_keyset_order(plan, "ix_invoice_templates_business")


# Reports: each statement reads the covering index alone (no row lookups), and only the
# index range its filters select.
def analyze_tables(conn, name: str, params: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The executed plan's table blocks (ANALYZE FORMAT=JSON), by table name."""
    with conn.cursor() as cursor:
        cursor.execute("ANALYZE FORMAT=JSON " + QUERIES[name].sql, params)
        (row,) = cursor.fetchall()
    found: dict[str, dict[str, Any]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "table_name" in node:
                found[node["table_name"]] = node
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(next(iter(row.values()))))
    return found


def live_invoices(conn, where: str = "", *params: Any) -> int:
    """How many live invoices of the big business match a condition."""
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) AS n FROM invoices WHERE business_id = %s AND deleted_at IS NULL"
            + where,
            (BIG, *params),
        )
        return cursor.fetchone()["n"]


def assert_index_only(table: dict[str, Any], expected_rows: int) -> None:
    """Read from ix_invoices_report alone, about the expected rows, a page per many rows."""
    assert table["key"] == "ix_invoices_report", table
    assert table["using_index"] is True, table
    assert table["access_type"] in ("range", "ref"), table
    assert expected_rows <= table["r_rows"] <= expected_rows * 1.05 + 10, table
    stats = table.get("r_engine_stats")
    if stats:  # a row lookup per index entry would touch about a page per row
        assert stats["pages_accessed"] <= expected_rows / 20 + 50, table


@pytest.mark.parametrize("interval", [None, *report_route.INTERVALS])
@pytest.mark.parametrize("window", ["all", "one year"])
@pytest.mark.parametrize("statuses", [report_route.STATUSES, ("paid", "sent")], ids=["all", "two"])
def test_summary_reads_only_the_covering_index(plans_db, interval, window, statuses):
    issued_from, issued_to = (
        (report_route.DATE_MIN, report_route.DATE_MAX)
        if window == "all"
        else (date(2023, 1, 1), date(2023, 12, 31))
    )
    params = {
        "business_id": BIG,
        "statuses": statuses,
        "issued_from": issued_from,
        "issued_to": issued_to,
        "interval": interval,
    }
    tables = analyze_tables(plans_db, "summarize_invoices", params)
    expected = live_invoices(
        plans_db, " AND status IN %s AND issue_date BETWEEN %s AND %s", statuses, issued_from,
        issued_to,
    )  # fmt: skip
    assert_index_only(tables["invoices"], expected)
    business = tables["b"]
    assert business["access_type"] == "const" and business["key"] == "PRIMARY", business


def test_aging_reads_only_the_covering_index_for_sent_invoices(plans_db):
    tables = analyze_tables(
        plans_db, "age_receivables", {"business_id": BIG, "as_of": date(2026, 1, 1)}
    )
    assert_index_only(tables["invoices"], live_invoices(plans_db, " AND status = 'sent'"))
