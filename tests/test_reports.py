"""GET /invoices/summary and /invoices/aging: every row against the same SUM/COUNT in SQL."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openapi_schema_validator import OAS30Validator

from .conftest import sql
from .factories import bearer, priced
from .helpers import assert_problem, get, url

SUMMARY = "/invoices/summary"
AGING = "/invoices/aging"
STATUSES = ("draft", "sent", "paid", "void")
CURRENCIES = ("EUR", "GBP", "USD")
MONEY = ("subtotal", "tax_total", "total", "amount_paid", "amount_due")
BUCKETS = ("not_due", "days_1_30", "days_31_60", "days_61_90", "days_over_90")

# Issue dates with edges: ISO weeks across new year (2019-12-30 opens 2020-W01,
# 2020-12-28 opens 2020-W53, 2021-01-03 closes it), a leap day, quarter boundaries.
DATES = [
    date(2019, 12, 29),
    date(2019, 12, 30),
    date(2020, 1, 1),
    date(2020, 12, 27),
    date(2020, 12, 28),
    date(2020, 12, 31),
    date(2021, 1, 1),
    date(2021, 1, 3),
    date(2021, 1, 4),
    date(2024, 2, 28),
    date(2024, 2, 29),
    date(2024, 3, 1),
    date(2024, 3, 31),
    date(2024, 4, 1),
    date(2024, 6, 30),
    date(2024, 7, 1),
    date(2024, 9, 30),
    date(2024, 10, 1),
    date(2024, 12, 31),
    date(2025, 1, 1),
]

# The expected side labels periods with SQL functions of its own (YEARWEEK mode 3 is the
# ISO week and its year), not with the service's period arithmetic.
LABEL_SQL = {
    None: "NULL",
    "day": "DATE_FORMAT(issue_date, '%%Y-%%m-%%d')",
    "week": "CONCAT(YEARWEEK(issue_date, 3) DIV 100, '-W',"
    " LPAD(YEARWEEK(issue_date, 3) MOD 100, 2, '0'))",
    "month": "DATE_FORMAT(issue_date, '%%Y-%%m')",
    "quarter": "CONCAT(YEAR(issue_date), '-Q', QUARTER(issue_date))",
    "year": "CAST(YEAR(issue_date) AS CHAR)",
}


def seed_invoices(factory, sql_conn, business_id: str) -> None:
    """Every currency and status over the edge dates, with partial, full and over-payments,
    odd cents, deleted invoices; and another business's invoices that must not count."""
    n = 0
    per_status = dict.fromkeys(STATUSES, 0)  # each status cycles through every payment kind
    for day_index, day in enumerate(DATES):
        for c_index, currency in enumerate(CURRENCIES):
            for s_index, status in enumerate(STATUSES):
                if (day_index + c_index + s_index) % 2:
                    continue
                n += 1
                per_status[status] += 1
                subtotal = Decimal(n * 37 % 1000) + Decimal(n % 100) / 100
                tax = (subtotal * Decimal("0.19")).quantize(Decimal("0.01"))
                paid = {
                    0: Decimal("0.00"),
                    1: (subtotal / 3).quantize(Decimal("0.01")),  # partial
                    2: subtotal + tax,  # in full
                    3: subtotal + tax + Decimal("5.05"),  # overpaid
                }[per_status[status] % 4]
                invoice = factory.invoice(
                    business_id,
                    currency=currency,
                    status=status,
                    issue_date=day,
                    **priced(str(subtotal), str(tax), str(paid)),
                )
                if n % 7 == 0:
                    sql(
                        sql_conn,
                        "UPDATE invoices SET deleted_at = UTC_TIMESTAMP() WHERE id = %s",
                        invoice["id"],
                    )
    other = factory.business()
    for day in DATES[::3]:
        factory.invoice(other["id"], issue_date=day, **priced("999.00", "0.99"))


def expected_totals(sql_conn, business_id, interval=None, statuses=STATUSES, window=None):
    """The same rows, grouped and summed by SQL of the test's own."""
    issued_from, issued_to = window or (date(1000, 1, 1), date(9999, 12, 31))
    rows = sql(
        sql_conn,
        f"SELECT currency, status, {LABEL_SQL[interval]} AS period, COUNT(*) AS count,"
        " SUM(subtotal) AS subtotal, SUM(tax_total) AS tax_total, SUM(total) AS total,"
        " SUM(amount_paid) AS amount_paid, SUM(total - amount_paid) AS amount_due"
        " FROM invoices WHERE business_id = %s AND deleted_at IS NULL"
        " AND issue_date BETWEEN %s AND %s AND status IN %s"
        " GROUP BY currency, period, status"
        " ORDER BY currency, period, FIELD(status, 'draft', 'sent', 'paid', 'void')",
        business_id,
        issued_from,
        issued_to,
        statuses,
    )
    return [
        {
            "currency": r["currency"],
            "status": r["status"],
            "period": r["period"],
            "count": r["count"],
            **{name: str(r[name]) for name in MONEY},
        }
        for r in rows
    ]


def first_day_of(label: str, interval: str) -> date:
    """The first day of a labelled period, by the calendar (independent of the service)."""
    if interval == "day":
        return date.fromisoformat(label)
    if interval == "week":
        year, week = label.split("-W")
        return date.fromisocalendar(int(year), int(week), 1)
    if interval == "month":
        return date.fromisoformat(label + "-01")
    if interval == "quarter":
        year, quarter = label.split("-Q")
        return date(int(year), 3 * int(quarter) - 2, 1)
    return date(int(label), 1, 1)


@pytest.fixture
def seeded(factory, sql_conn, business):
    seed_invoices(factory, sql_conn, business["id"])
    return business


def test_summary_without_interval_matches_sql(client, sql_conn, seeded, token):
    response = get(client, token, SUMMARY, business_id=seeded["id"])
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert all(row["period"] is None and row["period_start"] is None for row in data)
    assert [{k: v for k, v in row.items() if k != "period_start"} for row in data] == (
        expected_totals(sql_conn, seeded["id"])
    )
    # Several currencies, every status, and money with two places.
    assert {row["currency"] for row in data} == set(CURRENCIES)
    assert {row["status"] for row in data} == set(STATUSES)
    # The seed holds partial payments and overpaid invoices of every status.
    (kinds,) = sql(
        sql_conn,
        "SELECT COUNT(DISTINCT IF(amount_paid > total, status, NULL)) AS overpaid,"
        " COUNT(DISTINCT IF(amount_paid > 0 AND amount_paid < total, status, NULL)) AS partial"
        " FROM invoices WHERE business_id = %s AND deleted_at IS NULL",
        seeded["id"],
    )
    assert kinds == {"overpaid": 4, "partial": 4}


@pytest.mark.parametrize(
    ("interval", "issued_from", "issued_to"),
    [
        ("day", "2024-01-01", "2024-12-31"),
        ("day", "2020-12-01", "2021-01-31"),
        ("week", "2019-06-01", "2025-06-30"),
        ("month", "2019-06-01", "2025-06-30"),
        ("quarter", "2019-06-01", "2025-06-30"),
        ("year", "2019-06-01", "2025-06-30"),
        ("week", "2020-12-29", "2021-01-03"),  # a window starting mid-period
    ],
)
def test_summary_by_interval_matches_sql(
    client, sql_conn, seeded, token, interval, issued_from, issued_to
):
    params = {"interval": interval, "issued_from": issued_from, "issued_to": issued_to}
    response = get(client, token, SUMMARY, business_id=seeded["id"], **params)
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    window = (date.fromisoformat(issued_from), date.fromisoformat(issued_to))
    expected = expected_totals(sql_conn, seeded["id"], interval, window=window)
    assert expected
    assert [{k: v for k, v in row.items() if k != "period_start"} for row in data] == expected
    for row in data:
        assert row["period_start"] == first_day_of(row["period"], interval).isoformat()


def test_summary_filtered_by_status_matches_sql(client, sql_conn, seeded, token):
    params = {"status": "void,sent", "interval": "quarter"}
    window = {"issued_from": "2020-01-01", "issued_to": "2024-12-31"}
    response = get(client, token, SUMMARY, business_id=seeded["id"], **params, **window)
    data = response.get_json()["data"]
    expected = expected_totals(
        sql_conn, seeded["id"], "quarter", ("sent", "void"), (date(2020, 1, 1), date(2024, 12, 31))
    )
    assert [{k: v for k, v in row.items() if k != "period_start"} for row in data] == expected
    assert {row["status"] for row in data} == {"sent", "void"}


@pytest.mark.parametrize(
    ("interval", "day", "period", "period_start"),
    [
        ("week", "2021-01-03", "2020-W53", "2020-12-28"),
        ("week", "2020-12-28", "2020-W53", "2020-12-28"),
        ("week", "2021-01-04", "2021-W01", "2021-01-04"),
        ("week", "2019-12-30", "2020-W01", "2019-12-30"),
        ("week", "2026-03-04", "2026-W10", "2026-03-02"),
        ("day", "2024-02-29", "2024-02-29", "2024-02-29"),
        ("month", "2024-02-29", "2024-02", "2024-02-01"),
        ("quarter", "2024-03-31", "2024-Q1", "2024-01-01"),
        ("quarter", "2024-04-01", "2024-Q2", "2024-04-01"),
        ("quarter", "2024-12-31", "2024-Q4", "2024-10-01"),
        ("year", "2024-02-29", "2024", "2024-01-01"),
    ],
)
def test_period_labels_and_starts(
    client, factory, business, token, interval, day, period, period_start
):
    factory.invoice(business["id"], issue_date=date.fromisoformat(day))
    params = {"interval": interval, "issued_from": day, "issued_to": day}
    (row,) = get(client, token, SUMMARY, business_id=business["id"], **params).get_json()["data"]
    assert (row["period"], row["period_start"]) == (period, period_start)


def test_money_is_summed_exactly_as_decimal(client, factory, business, token):
    for subtotal in ("0.10", "0.20", "0.40"):
        factory.invoice(business["id"], **priced(subtotal, "0.00"))
    for _ in range(2):
        factory.invoice(business["id"], status="paid", **priced("9999999999999.99", "0.00"))
    data = get(client, token, SUMMARY, business_id=business["id"]).get_json()["data"]
    assert [(row["status"], row["count"], row["total"]) for row in data] == [
        ("sent", 3, "0.70"),
        ("paid", 2, "19999999999999.98"),
    ]


def test_amount_due_is_total_minus_amount_paid_and_may_be_negative(
    client, factory, business, token
):
    factory.invoice(business["id"], **priced("100.00", "19.00", "40.00"))  # partial
    factory.invoice(business["id"], **priced("10.00", "0.00", "15.50"))  # overpaid
    (row,) = get(client, token, SUMMARY, business_id=business["id"]).get_json()["data"]
    assert row == {
        "currency": "EUR",
        "status": "sent",
        "period": None,
        "period_start": None,
        "count": 2,
        "subtotal": "110.00",
        "tax_total": "19.00",
        "total": "129.00",
        "amount_paid": "55.50",
        "amount_due": "73.50",
    }


def test_empty_periods_are_omitted(client, factory, business, token):
    factory.invoice(business["id"], issue_date=date(2026, 1, 15))
    factory.invoice(business["id"], issue_date=date(2026, 3, 15))
    params = {"interval": "month", "issued_from": "2026-01-01", "issued_to": "2026-12-31"}
    data = get(client, token, SUMMARY, business_id=business["id"], **params).get_json()["data"]
    assert [row["period"] for row in data] == ["2026-01", "2026-03"]


def test_order_is_currency_then_period_then_status(client, factory, business, token):
    for currency, day, status in [
        ("USD", date(2026, 1, 5), "draft"),
        ("EUR", date(2026, 2, 5), "draft"),
        ("EUR", date(2026, 1, 5), "void"),
        ("EUR", date(2026, 1, 6), "paid"),
        ("EUR", date(2026, 1, 7), "sent"),
        ("EUR", date(2026, 1, 8), "draft"),
    ]:
        factory.invoice(business["id"], currency=currency, issue_date=day, status=status)
    params = {"interval": "month", "issued_from": "2026-01-01", "issued_to": "2026-02-28"}
    data = get(client, token, SUMMARY, business_id=business["id"], **params).get_json()["data"]
    assert [(r["currency"], r["period"], r["status"]) for r in data] == [
        ("EUR", "2026-01", "draft"),
        ("EUR", "2026-01", "sent"),
        ("EUR", "2026-01", "paid"),
        ("EUR", "2026-01", "void"),
        ("EUR", "2026-02", "draft"),
        ("USD", "2026-01", "draft"),
    ]


def test_deleted_invoices_are_never_counted(client, factory, sql_conn, business, token):
    gone = factory.invoice(business["id"])
    sql(sql_conn, "UPDATE invoices SET deleted_at = UTC_TIMESTAMP() WHERE id = %s", gone["id"])
    factory.invoice(business["id"], status="sent", due_date=date(2020, 1, 1))
    factory.invoice(business["id"], status="paid")
    summary = get(client, token, SUMMARY, business_id=business["id"]).get_json()["data"]
    assert [(row["status"], row["count"]) for row in summary] == [("sent", 1), ("paid", 1)]
    sql(sql_conn, "UPDATE invoices SET deleted_at = UTC_TIMESTAMP() WHERE business_id = %s",
        business["id"])  # fmt: skip
    assert get(client, token, SUMMARY, business_id=business["id"]).get_json() == {"data": []}
    aging = get(client, token, AGING, business_id=business["id"], as_of="2026-01-01")
    assert aging.get_json() == {"as_of": "2026-01-01", "data": []}


def test_a_business_without_invoices_has_an_empty_summary(client, business, token):
    response = get(client, token, SUMMARY, business_id=business["id"])
    assert response.status_code == 200
    assert response.get_json() == {"data": []}


def test_a_window_ending_before_it_starts_is_empty(client, seeded, token):
    params = {"interval": "day", "issued_from": "2024-12-31", "issued_to": "2024-01-01"}
    response = get(client, token, SUMMARY, business_id=seeded["id"], **params)
    assert response.status_code == 200
    assert response.get_json() == {"data": []}


@pytest.mark.parametrize("missing", ["issued_from", "issued_to"])
def test_interval_requires_both_dates(client, business, token, missing):
    params = {"interval": "month", "issued_from": "2026-01-01", "issued_to": "2026-12-31"}
    del params[missing]
    response = get(client, token, SUMMARY, business_id=business["id"], **params)
    body = assert_problem(response, 400, "invalid_parameter")
    assert body["errors"] == [{"parameter": missing, "message": "is required with interval"}]


# (interval, issued_from, the last issued_to that keeps the window at 400 periods)
WIDEST = [
    ("day", "2024-01-01", "2025-02-03"),
    ("week", "2024-01-03", "2031-08-31"),  # Wednesday of 2024-W01 .. Sunday of 2031-W35
    ("month", "2000-01-31", "2033-04-30"),
    ("quarter", "2000-03-31", "2099-12-31"),
    ("year", "2000-12-31", "2399-12-31"),
]


@pytest.mark.parametrize(("interval", "issued_from", "issued_to"), WIDEST)
def test_interval_allows_at_most_400_periods(
    client, business, token, interval, issued_from, issued_to
):
    params = {"interval": interval, "issued_from": issued_from, "issued_to": issued_to}
    assert get(client, token, SUMMARY, business_id=business["id"], **params).status_code == 200
    params["issued_to"] = (date.fromisoformat(issued_to) + timedelta(days=1)).isoformat()
    response = get(client, token, SUMMARY, business_id=business["id"], **params)
    body = assert_problem(response, 400, "invalid_parameter")
    assert body["errors"][0]["parameter"] == "issued_to"
    assert "400 periods" in body["errors"][0]["message"]


def test_without_interval_the_window_is_unbounded(client, business, token):
    params = {"issued_from": "1000-01-01", "issued_to": "9999-12-31"}
    assert get(client, token, SUMMARY, business_id=business["id"], **params).status_code == 200


@pytest.mark.parametrize(
    ("report", "params", "parameter"),
    [
        (SUMMARY, {"interval": "hour"}, "interval"),
        (SUMMARY, {"interval": "Month"}, "interval"),
        (SUMMARY, {"issued_from": "2026-02-30"}, "issued_from"),
        (SUMMARY, {"status": "open"}, "status"),
        (SUMMARY, {"limit": "10"}, "limit"),
        (SUMMARY, {"cursor": "abc"}, "cursor"),
        (SUMMARY, {"interval": ""}, "interval"),
        (AGING, {"as_of": "2026-02-30"}, "as_of"),
        (AGING, {"as_of": "30.11.2026"}, "as_of"),
        (AGING, {"status": "sent"}, "status"),
        (AGING, {"as_of": ""}, "as_of"),
    ],
)
def test_bad_parameters_are_400_naming_them(client, business, token, report, params, parameter):
    response = get(client, token, report, business_id=business["id"], **params)
    body = assert_problem(response, 400, "invalid_parameter")
    assert body["errors"][0]["parameter"] == parameter


@pytest.mark.parametrize("report", [SUMMARY, AGING])
def test_repeated_and_missing_parameters_are_400(client, business, token, report):
    response = client.get(
        url(report) + f"?business_id={business['id']}&business_id={business['id']}",
        headers=bearer(token),
    )
    assert assert_problem(response, 400, "invalid_parameter")["errors"][0]["parameter"] == (
        "business_id"
    )
    body = assert_problem(get(client, token, report), 400, "invalid_parameter")
    assert body["errors"] == [{"parameter": "business_id", "message": "is required"}]


@pytest.mark.parametrize("report", [SUMMARY, AGING])
def test_unknown_deleted_and_unreadable_businesses_are_404(
    client, factory, sql_conn, business, token, report
):
    factory.invoice(business["id"], due_date=date(2020, 1, 1))
    assert_problem(
        get(client, token, report, business_id="01HNOSUCHBUSINESS000000000"), 404, "not_found"
    )
    other = factory.business()
    restricted = factory.key(businesses=(other["id"],))
    assert_problem(get(client, restricted, report, business_id=business["id"]), 404, "not_found")
    assert get(client, restricted, report, business_id=other["id"]).status_code == 200
    allowed = factory.key(businesses=(business["id"],))
    assert get(client, allowed, report, business_id=business["id"]).get_json()["data"]
    sql(
        sql_conn, "UPDATE businesses SET deleted_at = UTC_TIMESTAMP() WHERE id = %s", business["id"]
    )
    assert_problem(get(client, token, report, business_id=business["id"]), 404, "not_found")


def test_reports_count_against_the_rate_limit(make_app, factory, business):
    client = make_app(RATE_LIMIT="3 per minute").test_client()
    token = factory.key()
    assert get(client, token, SUMMARY, business_id=business["id"]).status_code == 200
    assert get(client, token, AGING, business_id=business["id"]).status_code == 200
    response = client.head(
        url(AGING), query_string={"business_id": business["id"]}, headers=bearer(token)
    )
    assert response.status_code == 200
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert_problem(get(client, token, SUMMARY, business_id=business["id"]), 429, "rate_limited")


# Aging: one sent invoice per edge, each with its own power-of-two amount due, so a
# bucket's sum says exactly which invoices it holds.
AS_OF = date(2026, 6, 15)
EDGES = {  # days past due on AS_OF (None: no due date) -> bucket
    None: "not_due",
    -1: "not_due",
    0: "not_due",
    1: "days_1_30",
    30: "days_1_30",
    31: "days_31_60",
    60: "days_31_60",
    61: "days_61_90",
    90: "days_61_90",
    91: "days_over_90",
    400: "days_over_90",
}


def seed_receivables(factory, sql_conn, business_id: str) -> dict[str, Decimal]:
    """The edge invoices in EUR, a few in USD, and what must be left out; expected EUR buckets."""
    buckets = dict.fromkeys(BUCKETS, Decimal("0.00"))
    for n, (days, bucket) in enumerate(EDGES.items()):
        due = None if days is None else AS_OF - timedelta(days=days)
        amount = Decimal(2**n)
        # Half of them partly paid: amount_due stays the power of two.
        paid = Decimal("10.00") if n % 2 else Decimal("0.00")
        factory.invoice(business_id, due_date=due, **priced(str(amount + paid), "0.00", str(paid)))
        buckets[bucket] += amount
    for days in (None, 5, 45, 75, 120):
        due = None if days is None else AS_OF - timedelta(days=days)
        factory.invoice(business_id, currency="USD", due_date=due, **priced("12.34", "1.17"))
    long_overdue = AS_OF - timedelta(days=200)
    left_out = [
        {"status": "draft"},
        {"status": "paid"},
        {"status": "void"},
        {"status": "sent", **priced("50.00", "0.00", "50.00")},  # nothing due
        {"status": "sent", **priced("50.00", "0.00", "60.00")},  # overpaid
    ]
    for columns in left_out:
        factory.invoice(business_id, due_date=long_overdue, **columns)
    gone = factory.invoice(business_id, due_date=long_overdue)
    sql(sql_conn, "UPDATE invoices SET deleted_at = UTC_TIMESTAMP() WHERE id = %s", gone["id"])
    factory.invoice(factory.business()["id"], due_date=long_overdue)
    return buckets


def expected_aging(sql_conn, business_id: str, as_of: date) -> list[dict]:
    """The aging rows by SQL of the test's own: date comparisons, not day counts."""
    with sql_conn.cursor() as cursor:
        cursor.execute(
            "SELECT currency, COUNT(*) AS count,"
            " SUM(IF(due_date IS NULL OR due_date >= %(d)s, total - amount_paid, 0)) AS not_due,"
            " SUM(IF(due_date < %(d)s AND due_date >= %(d)s - INTERVAL 30 DAY,"
            "        total - amount_paid, 0)) AS days_1_30,"
            " SUM(IF(due_date < %(d)s - INTERVAL 30 DAY AND due_date >= %(d)s - INTERVAL 60 DAY,"
            "        total - amount_paid, 0)) AS days_31_60,"
            " SUM(IF(due_date < %(d)s - INTERVAL 60 DAY AND due_date >= %(d)s - INTERVAL 90 DAY,"
            "        total - amount_paid, 0)) AS days_61_90,"
            " SUM(IF(due_date < %(d)s - INTERVAL 90 DAY, total - amount_paid, 0)) AS days_over_90,"
            " SUM(total - amount_paid) AS total_due"
            " FROM invoices WHERE business_id = %(b)s AND deleted_at IS NULL AND status = 'sent'"
            " AND total - amount_paid > 0 GROUP BY currency ORDER BY currency",
            {"d": as_of, "b": business_id},
        )
        rows = cursor.fetchall()
    return [
        {
            "currency": r["currency"],
            "count": r["count"],
            **{name: str(r[name]) for name in (*BUCKETS, "total_due")},
        }
        for r in rows
    ]


def test_aging_buckets_every_edge(client, factory, sql_conn, business, token):
    buckets = seed_receivables(factory, sql_conn, business["id"])
    response = get(client, token, AGING, business_id=business["id"], as_of=AS_OF.isoformat())
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["as_of"] == "2026-06-15"
    assert [row["currency"] for row in body["data"]] == ["EUR", "USD"]
    eur = body["data"][0]
    assert eur == {
        "currency": "EUR",
        "count": len(EDGES),
        **{name: f"{amount:.2f}" for name, amount in buckets.items()},
        "total_due": f"{sum(buckets.values()):.2f}",
    }
    assert body["data"] == expected_aging(sql_conn, business["id"], AS_OF)


@pytest.mark.parametrize(
    "as_of", ["2026-06-14", "2026-07-15", "2026-09-13", "2027-01-01", "2020-01-01"]
)
def test_aging_matches_sql_on_other_days(client, factory, sql_conn, business, token, as_of):
    seed_receivables(factory, sql_conn, business["id"])
    body = get(client, token, AGING, business_id=business["id"], as_of=as_of).get_json()
    assert body["as_of"] == as_of
    assert body["data"] == expected_aging(sql_conn, business["id"], date.fromisoformat(as_of))
    for row in body["data"]:
        assert sum(Decimal(row[name]) for name in BUCKETS) == Decimal(row["total_due"])


def test_a_business_without_receivables_has_no_aging_rows(client, factory, business, token):
    factory.invoice(business["id"], status="paid", **priced("10.00", "0.00", "10.00"))
    body = get(client, token, AGING, business_id=business["id"], as_of="2026-01-01").get_json()
    assert body == {"as_of": "2026-01-01", "data": []}


@pytest.mark.parametrize(
    "zone",
    # A day ahead of UTC from 10:00 UTC, and a day behind it until 11:00 UTC: at any
    # hour, one of them is on another date than UTC.
    ["Pacific/Kiritimati", "Pacific/Pago_Pago"],
)
def test_aging_defaults_to_today_in_the_business_time_zone(client, factory, sql_conn, token, zone):
    business = factory.business(timezone=zone)
    utc_today = datetime.now(UTC).date()
    invoice = factory.invoice(business["id"], due_date=utc_today, **priced("8.00", "0.00"))
    before = datetime.now(ZoneInfo(zone)).date()
    body = get(client, token, AGING, business_id=business["id"]).get_json()
    after = datetime.now(ZoneInfo(zone)).date()
    assert body["as_of"] in {before.isoformat(), after.isoformat()}
    as_of = date.fromisoformat(body["as_of"])
    (row,) = body["data"]
    bucket = "days_1_30" if (as_of - invoice["due_date"]).days >= 1 else "not_due"
    assert row[bucket] == "8.00"
    assert body["data"] == expected_aging(sql_conn, business["id"], as_of)


def test_aging_in_a_zone_that_is_not_iana_uses_utc(client, factory, token, caplog):
    odd = factory.business(timezone="Mars/Olympus_Mons")
    with caplog.at_level(logging.WARNING, logger="agentapi"):
        before = datetime.now(UTC).date()
        body = get(client, token, AGING, business_id=odd["id"]).get_json()
        after = datetime.now(UTC).date()
    assert body["as_of"] in {before.isoformat(), after.isoformat()}
    assert any("Mars/Olympus_Mons" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    ("report", "params", "component"),
    [
        (SUMMARY, {}, "InvoiceSummary"),
        (SUMMARY, {"interval": "week", "issued_from": "2019-12-01", "issued_to": "2025-12-31"},
         "InvoiceSummary"),
        (AGING, {"as_of": "2024-06-01"}, "ReceivablesAging"),
    ],
)  # fmt: skip
def test_report_bodies_match_their_schema(client, seeded, token, report, params, component):
    document = client.get(url("/schema")).get_json()
    body = get(client, token, report, business_id=seeded["id"], **params).get_json()
    assert body["data"]
    schema = {"$ref": f"#/components/schemas/{component}", "components": document["components"]}
    OAS30Validator(schema).validate(body)


def test_each_report_is_one_statement(app, client, seeded, token):
    database = app.extensions["agentapi.db"]
    get(client, token, SUMMARY, business_id=seeded["id"])  # the key's last_used_at write

    def statements(report, **params):
        before = database.statements_run
        assert get(client, token, report, business_id=seeded["id"], **params).status_code == 200
        return database.statements_run - before

    # The report (which checks the business itself when it has rows); the key verified
    # just now is kept, so it costs no lookup.
    assert (
        statements(SUMMARY, interval="day", issued_from="2024-01-01", issued_to="2024-12-31") == 1
    )
    # The business (for its time zone and the 404), then the report.
    assert statements(AGING) == 2
