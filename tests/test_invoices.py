"""GET /invoices: shape, filters, sorts, items, pagination."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from .conftest import sql
from .factories import bearer

URL = "/api/agent/v1/invoices"


@pytest.fixture
def business(factory):
    return factory.business()


@pytest.fixture
def token(factory):
    return factory.key()


def get(client, token, **params):
    return client.get(URL, query_string=params, headers=bearer(token))


def test_lists_an_invoice_with_money_as_strings(client, factory, business, token):
    inv = factory.invoice(
        business["id"],
        total=Decimal("1250.00"),
        amount_paid=Decimal("250.50"),
        customer_name="Ada",
        customer_email=None,
        issue_date=date(2026, 3, 1),
        paid_at=datetime(2026, 3, 2, 10, 0, 0),
    )
    response = get(client, token, business_id=business["id"])
    assert response.status_code == 200
    body = response.get_json()
    assert body["has_more"] is False and body["next_cursor"] is None
    (item,) = body["data"]
    assert item["id"] == inv["id"]
    assert item["total"] == "1250.00"
    assert item["amount_paid"] == "250.50"
    assert item["amount_due"] == "999.50"
    assert item["customer"] == {"name": "Ada", "email": None}
    assert item["issue_date"] == "2026-03-01"
    assert item["paid_at"] == "2026-03-02T10:00:00Z"
    assert "items" not in item
    assert response.headers["Cache-Control"] == "no-store"


def test_deleted_invoices_do_not_exist(client, factory, sql_conn, business, token):
    kept = factory.invoice(business["id"])
    gone = factory.invoice(business["id"])
    sql(sql_conn, "UPDATE invoices SET deleted_at = UTC_TIMESTAMP() WHERE id = %s", gone["id"])
    ids = [i["id"] for i in get(client, token, business_id=business["id"]).get_json()["data"]]
    assert ids == [kept["id"]]


def test_status_filter_takes_a_comma_separated_subset(client, factory, business, token):
    for status in ("draft", "sent", "paid", "void"):
        factory.invoice(business["id"], status=status)
    body = get(client, token, business_id=business["id"], status="paid,void").get_json()
    assert sorted(i["status"] for i in body["data"]) == ["paid", "void"]


def test_issue_date_range_is_inclusive(client, factory, business, token):
    for day in (1, 2, 3, 4):
        factory.invoice(business["id"], issue_date=date(2026, 5, day))
    body = get(
        client, token, business_id=business["id"], issued_from="2026-05-02", issued_to="2026-05-03"
    ).get_json()
    assert sorted(i["issue_date"] for i in body["data"]) == ["2026-05-02", "2026-05-03"]


def test_updated_since_is_inclusive(client, factory, business, token):
    factory.invoice(business["id"], updated_at=datetime(2026, 1, 1, 11, 59, 59))
    edge = factory.invoice(business["id"], updated_at=datetime(2026, 1, 1, 12, 0, 0))
    body = get(
        client, token, business_id=business["id"], updated_since="2026-01-01T13:00:00+01:00"
    ).get_json()
    assert [i["id"] for i in body["data"]] == [edge["id"]]


@pytest.mark.parametrize(
    ("sort", "column", "reverse"),
    [
        ("-issue_date", "issue_date", True),
        ("issue_date", "issue_date", False),
        ("updated_at", "updated_at", False),
        ("-updated_at", "updated_at", True),
    ],
)
def test_walking_every_page_returns_each_row_once_in_order(
    client, factory, business, token, sort, column, reverse
):
    rows = [
        factory.invoice(
            business["id"],
            issue_date=date(2026, 1, 1 + n % 5),
            updated_at=datetime(2026, 2, 1, 0, 0, n % 7, 1000 * (n % 3)),
        )
        for n in range(53)
    ]
    expected = [r["id"] for r in sorted(rows, key=lambda r: (r[column], r["id"]), reverse=reverse)]
    seen, cursor, pages = [], None, 0
    while True:
        params = {"business_id": business["id"], "limit": 7, "sort": sort}
        if cursor:
            params["cursor"] = cursor
        response = get(client, token, **params)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        seen += [i["id"] for i in body["data"]]
        pages += 1
        if not body["has_more"]:
            assert body["next_cursor"] is None and "Link" not in response.headers
            break
        assert response.headers["Link"].endswith('>; rel="next"')
        cursor = body["next_cursor"]
    assert seen == expected
    assert pages == 8


def test_include_items_embeds_items_ordered_by_position(client, factory, business, token):
    inv = factory.invoice(business["id"])
    factory.item(inv["id"], position=2, description="second", quantity=Decimal("1.500"))
    factory.item(inv["id"], position=1, description="first")
    body = get(client, token, business_id=business["id"], include="items").get_json()
    items = body["data"][0]["items"]
    assert [i["description"] for i in items] == ["first", "second"]
    assert items[1]["quantity"] == "1.500"
    assert items[0]["tax_rate"] == "19.00"


def test_unknown_business_is_404(client, token):
    response = get(client, token, business_id="01HNOSUCHBUSINESS000000000")
    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"


def test_deleted_business_is_404(client, factory, sql_conn, token):
    business = factory.business()
    sql(
        sql_conn, "UPDATE businesses SET deleted_at = UTC_TIMESTAMP() WHERE id = %s", business["id"]
    )
    assert get(client, token, business_id=business["id"]).status_code == 404
