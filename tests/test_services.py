"""GET /services: shape, active filter, ordering by name then id, deletions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from .conftest import sql
from .helpers import get_json_ok


@pytest.fixture
def token(factory):
    return factory.key(scopes=["services:read"])


def test_lists_a_service_with_every_field(client, factory, business, token):
    service = factory.service(
        business["id"],
        name="Workshop",
        description="Two hours",
        duration_minutes=120,
        price=Decimal("300"),
        currency="EUR",
        is_active=1,
        created_at=datetime(2026, 1, 1, 9, 0, 0),
        updated_at=datetime(2026, 1, 1, 9, 0, 0, 5),
    )
    (item,) = get_json_ok(client, token, "/services", business_id=business["id"])["data"]
    assert item == {
        "id": service["id"],
        "business_id": business["id"],
        "name": "Workshop",
        "description": "Two hours",
        "duration_minutes": 120,
        "price": "300.00",
        "currency": "EUR",
        "is_active": True,
        "created_at": "2026-01-01T09:00:00Z",
        "updated_at": "2026-01-01T09:00:00.000005Z",
    }


def test_lists_only_the_given_business(client, factory, business, token):
    mine = factory.service(business["id"])
    factory.service(factory.business()["id"])
    data = get_json_ok(client, token, "/services", business_id=business["id"])["data"]
    assert [s["id"] for s in data] == [mine["id"]]


@pytest.mark.parametrize(("active", "expected"), [("true", ["On"]), ("false", ["Off"])])
def test_active_filter(client, factory, business, token, active, expected):
    factory.service(business["id"], name="On", is_active=1)
    factory.service(business["id"], name="Off", is_active=0)
    data = get_json_ok(client, token, "/services", business_id=business["id"], active=active)[
        "data"
    ]
    assert [s["name"] for s in data] == expected
    assert all(s["is_active"] is (active == "true") for s in data)


def test_without_active_both_are_listed(client, factory, business, token):
    factory.service(business["id"], name="On", is_active=1)
    factory.service(business["id"], name="Off", is_active=0)
    data = get_json_ok(client, token, "/services", business_id=business["id"])["data"]
    assert [s["name"] for s in data] == ["Off", "On"]


def test_ordered_by_name_then_id_as_the_database_orders_them(
    client, factory, sql_conn, business, token
):
    names = ["beta", "Alpha", "alpha", "Beta", "ALPHA", "gamma", "Äpfel", "alpha"]
    for name in names:
        factory.service(business["id"], name=name)
    expected = [
        r["id"]
        for r in sql(
            sql_conn,
            "SELECT id FROM services WHERE business_id = %s ORDER BY name, id",
            business["id"],
        )
    ]
    data = get_json_ok(client, token, "/services", business_id=business["id"])["data"]
    assert [s["id"] for s in data] == expected
    folded = [s["name"].casefold() for s in data]
    assert folded.index("gamma") == len(folded) - 1
    assert folded[:4].count("alpha") == 4


def test_names_equal_except_case_are_ordered_by_id_and_paginate_cleanly(
    client, factory, business, token
):
    ids = sorted(
        factory.service(business["id"], name=name)["id"]
        for name in ("Same", "same", "SAME", "sAmE", "same")
    )
    assert [s["id"] for s in walk(client, token, business["id"], 2)] == ids


def test_deleted_services_are_not_listed(client, factory, sql_conn, business, token):
    kept = factory.service(business["id"])
    gone = factory.service(business["id"])
    sql(sql_conn, "UPDATE services SET deleted_at = UTC_TIMESTAMP(6) WHERE id = %s", gone["id"])
    data = get_json_ok(client, token, "/services", business_id=business["id"])["data"]
    assert [s["id"] for s in data] == [kept["id"]]


def test_description_may_be_null(client, factory, business, token):
    factory.service(business["id"], description=None)
    assert (
        get_json_ok(client, token, "/services", business_id=business["id"])["data"][0][
            "description"
        ]
        is None
    )


def test_paginates_with_the_active_filter(client, factory, business, token):
    active = [factory.service(business["id"], name=f"S{n}", is_active=n % 2) for n in range(9)]
    expected = [s["id"] for s in sorted(active, key=lambda s: s["name"]) if s["is_active"]]
    first = get_json_ok(
        client, token, "/services", business_id=business["id"], active="true", limit=3
    )
    second = get_json_ok(
        client,
        token,
        "/services",
        business_id=business["id"],
        active="true",
        limit=3,
        cursor=first["next_cursor"],
    )
    assert [s["id"] for s in first["data"] + second["data"]] == expected
    assert second["has_more"] is False


def test_names_that_json_escapes_paginate_cleanly(client, factory, business, token):
    # A page's last position is read back from the JSON the database wrote for it.
    names = ['Say "hi"', "back\\slash", "tab\there", "Äpfel", "日本", "emoji 🎉", "a/b", "z'"]
    for name in names:
        factory.service(business["id"], name=name)
    everything = get_json_ok(client, token, "/services", business_id=business["id"])["data"]
    seen = walk(client, token, business["id"], 1)
    assert seen == everything
    assert sorted(s["name"] for s in seen) == sorted(names)


def walk(client, token, business_id: str, limit: int) -> list[dict]:
    """Every service of the business, page by page, following next_cursor."""
    seen, cursor = [], None
    while True:
        params = {"business_id": business_id, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        body = get_json_ok(client, token, "/services", **params)
        seen += body["data"]
        cursor = body["next_cursor"]
        if not cursor:
            return seen
