"""GET /invoices: shape, filters, sorts, items, pagination."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from .conftest import sql
from .helpers import assert_problem, get


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
    response = get(client, token, "/invoices", business_id=business["id"])
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
    ids = [
        i["id"]
        for i in get(client, token, "/invoices", business_id=business["id"]).get_json()["data"]
    ]
    assert ids == [kept["id"]]


def test_status_filter_takes_a_comma_separated_subset(client, factory, business, token):
    for status in ("draft", "sent", "paid", "void"):
        factory.invoice(business["id"], status=status)
    body = get(
        client, token, "/invoices", business_id=business["id"], status="paid,void"
    ).get_json()
    assert sorted(i["status"] for i in body["data"]) == ["paid", "void"]


def test_issue_date_range_is_inclusive(client, factory, business, token):
    for day in (1, 2, 3, 4):
        factory.invoice(business["id"], issue_date=date(2026, 5, day))
    body = get(
        client,
        token,
        "/invoices",
        business_id=business["id"],
        issued_from="2026-05-02",
        issued_to="2026-05-03",
    ).get_json()
    assert sorted(i["issue_date"] for i in body["data"]) == ["2026-05-02", "2026-05-03"]


def test_updated_since_is_inclusive(client, factory, business, token):
    factory.invoice(business["id"], updated_at=datetime(2026, 1, 1, 11, 59, 59))
    edge = factory.invoice(business["id"], updated_at=datetime(2026, 1, 1, 12, 0, 0))
    body = get(
        client,
        token,
        "/invoices",
        business_id=business["id"],
        updated_since="2026-01-01T13:00:00+01:00",
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
        response = get(client, token, "/invoices", **params)
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
    body = get(client, token, "/invoices", business_id=business["id"], include="items").get_json()
    items = body["data"][0]["items"]
    assert [i["description"] for i in items] == ["first", "second"]
    assert items[1]["quantity"] == "1.500"
    assert items[0]["tax_rate"] == "19.00"


def test_unknown_business_is_404(client, token):
    response = get(client, token, "/invoices", business_id="01HNOSUCHBUSINESS000000000")
    assert_problem(response, 404, "not_found")


def test_deleted_business_is_404(client, factory, sql_conn, token):
    business = factory.business()
    sql(
        sql_conn, "UPDATE businesses SET deleted_at = UTC_TIMESTAMP() WHERE id = %s", business["id"]
    )
    assert get(client, token, "/invoices", business_id=business["id"]).status_code == 404


def test_lists_an_invoice_with_every_field(client, factory, business, token):
    template = factory.template(business["id"])
    inv = factory.invoice(
        business["id"],
        template_id=template["id"],
        number="INV-2026-0001",
        status="paid",
        customer_name="Grace",
        customer_email="grace@example.com",
        currency="EUR",
        issue_date=date(2026, 3, 1),
        due_date=date(2026, 3, 15),
        subtotal=Decimal("100"),
        tax_total=Decimal("19"),
        total=Decimal("119"),
        amount_paid=Decimal("119"),
        paid_at=datetime(2026, 3, 4, 12, 0, 0, 500000),
        created_at=datetime(2026, 3, 1, 9, 0, 0),
        updated_at=datetime(2026, 3, 4, 12, 0, 0, 500000),
    )
    (item,) = get(client, token, "/invoices", business_id=business["id"]).get_json()["data"]
    assert item == {
        "id": inv["id"],
        "business_id": business["id"],
        "template_id": template["id"],
        "number": "INV-2026-0001",
        "status": "paid",
        "customer": {"name": "Grace", "email": "grace@example.com"},
        "currency": "EUR",
        "issue_date": "2026-03-01",
        "due_date": "2026-03-15",
        "subtotal": "100.00",
        "tax_total": "19.00",
        "total": "119.00",
        "amount_paid": "119.00",
        "amount_due": "0.00",
        "paid_at": "2026-03-04T12:00:00.500000Z",
        "created_at": "2026-03-01T09:00:00Z",
        "updated_at": "2026-03-04T12:00:00.500000Z",
    }


def test_invoices_of_other_businesses_are_not_listed(client, factory, business, token):
    mine = factory.invoice(business["id"])
    factory.invoice(factory.business()["id"])
    ids = [
        i["id"]
        for i in get(client, token, "/invoices", business_id=business["id"]).get_json()["data"]
    ]
    assert ids == [mine["id"]]


def test_reversed_issue_date_range_is_an_empty_list(client, factory, business, token):
    factory.invoice(business["id"], issue_date=date(2026, 5, 2))
    response = get(
        client,
        token,
        "/invoices",
        business_id=business["id"],
        issued_from="2026-05-03",
        issued_to="2026-05-01",
    )
    assert response.status_code == 200
    assert response.get_json()["data"] == []


def test_default_sort_is_newest_issue_date_first(client, factory, business, token):
    old = factory.invoice(business["id"], issue_date=date(2026, 1, 1))
    new = factory.invoice(business["id"], issue_date=date(2026, 6, 1))
    ids = [
        i["id"]
        for i in get(client, token, "/invoices", business_id=business["id"]).get_json()["data"]
    ]
    assert ids == [new["id"], old["id"]]


def test_include_items_gives_an_empty_list_to_an_invoice_without_items(
    client, factory, business, token
):
    factory.invoice(business["id"])
    body = get(client, token, "/invoices", business_id=business["id"], include="items").get_json()
    assert body["data"][0]["items"] == []


def test_include_items_embeds_only_each_invoices_own_items_in_one_query(
    make_app, factory, business, token
):
    app = make_app()
    client = app.test_client()
    invoices = [factory.invoice(business["id"], issue_date=date(2026, 1, 1 + n)) for n in range(4)]
    for n, inv in enumerate(invoices):
        for position in range(1, n + 2):
            factory.item(inv["id"], position=position, description=f"{n}-{position}")
    # warm up: key lookup (then kept), usage write, and (limit=1: a cursor) the cursor
    # secret's one read
    get(client, token, "/invoices", business_id=business["id"], limit=1)
    database = app.extensions["agentapi.db"]
    before = database.statements_run
    body = get(
        client, token, "/invoices", business_id=business["id"], include="items", limit=3
    ).get_json()
    # invoices with their items (the query checks the business); the key was verified
    # just now
    assert database.statements_run - before == 1
    for invoice in body["data"]:
        n = next(i for i, inv in enumerate(invoices) if inv["id"] == invoice["id"])
        assert [x["description"] for x in invoice["items"]] == [f"{n}-{p}" for p in range(1, n + 2)]


def test_item_fields(client, factory, business, token):
    inv = factory.invoice(business["id"])
    service = factory.service(business["id"])
    item = factory.item(
        inv["id"],
        position=1,
        service_id=service["id"],
        description="Consulting",
        quantity=Decimal("2.5"),
        unit_price=Decimal("80"),
        tax_rate=Decimal("7"),
        amount=Decimal("200"),
    )
    body = get(client, token, "/invoices", business_id=business["id"], include="items").get_json()
    assert body["data"][0]["items"] == [
        {
            "id": item["id"],
            "position": 1,
            "service_id": service["id"],
            "description": "Consulting",
            "quantity": "2.500",
            "unit_price": "80.00",
            "tax_rate": "7.00",
            "amount": "200.00",
        }
    ]


def test_include_items_keeps_every_item_of_an_invoice_past_the_group_text_limit(
    client, factory, business, token
):
    # The page's items come back as one text per invoice, which the server cuts at
    # group_concat_max_len (1 MiB, sql/session/): about 1.1 MiB of items must still all
    # arrive, in order, whole, next to another invoice's short list.
    big = factory.invoice(business["id"], issue_date=date(2026, 2, 1))
    small = factory.invoice(business["id"], issue_date=date(2026, 1, 1))
    description = "é" * 490
    for position in range(1, 1001):
        factory.item(big["id"], position=position, description=f"{description}{position:05d}")
    factory.item(small["id"], position=1, description="Work")
    body = get(client, token, "/invoices", business_id=business["id"], include="items").get_json()
    first, second = body["data"]
    assert first["id"] == big["id"] and second["id"] == small["id"]
    assert [item["position"] for item in first["items"]] == list(range(1, 1001))
    assert all(
        item["description"] == f"{description}{item['position']:05d}" for item in first["items"]
    )
    assert [item["description"] for item in second["items"]] == ["Work"]
