"""GET /businesses: shape, ordering, embedded templates, deletions, pagination."""

from __future__ import annotations

from datetime import datetime

import pytest

from .conftest import sql
from .factories import bearer
from .helpers import get_json_ok, url


@pytest.fixture
def token(factory):
    return factory.key(scopes=["businesses:read"])


def test_lists_a_business_with_every_field(client, factory, token):
    business = factory.business(
        name="Northwind",
        legal_name="Northwind GmbH",
        email="billing@northwind.example",
        phone="+49 30 1234",
        country="DE",
        currency="EUR",
        timezone="Europe/Berlin",
        created_at=datetime(2026, 1, 2, 3, 4, 5),
        updated_at=datetime(2026, 1, 2, 3, 4, 5, 120000),
    )
    (item,) = get_json_ok(client, token, "/businesses")["data"]
    assert item == {
        "id": business["id"],
        "name": "Northwind",
        "legal_name": "Northwind GmbH",
        "email": "billing@northwind.example",
        "phone": "+49 30 1234",
        "country": "DE",
        "currency": "EUR",
        "timezone": "Europe/Berlin",
        "created_at": "2026-01-02T03:04:05Z",
        "updated_at": "2026-01-02T03:04:05.120000Z",
        "invoice_templates": [],
    }


def test_optional_fields_are_null(client, factory, token):
    factory.business(legal_name=None, email=None, phone=None, country=None)
    (item,) = get_json_ok(client, token, "/businesses")["data"]
    assert [item[k] for k in ("legal_name", "email", "phone", "country")] == [None] * 4


def test_ordered_by_id(client, factory, token):
    ids = [factory.business(id=i)["id"] for i in ("C", "A", "B9", "B", "0")]
    assert [b["id"] for b in get_json_ok(client, token, "/businesses")["data"]] == sorted(ids)


def test_deleted_businesses_are_not_listed(client, factory, sql_conn, token):
    kept = factory.business()
    gone = factory.business()
    sql(sql_conn, "UPDATE businesses SET deleted_at = UTC_TIMESTAMP(6) WHERE id = %s", gone["id"])
    assert [b["id"] for b in get_json_ok(client, token, "/businesses")["data"]] == [kept["id"]]


def test_templates_are_embedded_with_every_field(client, factory, token):
    business = factory.business()
    template = factory.template(
        business["id"],
        name="Net 30",
        is_default=0,
        payment_terms_days=30,
        notes="Thanks",
        footer="Footer",
        created_at=datetime(2026, 2, 1, 8, 0, 0),
        updated_at=datetime(2026, 2, 1, 8, 0, 0),
    )
    (item,) = get_json_ok(client, token, "/businesses")["data"]
    assert item["invoice_templates"] == [
        {
            "id": template["id"],
            "name": "Net 30",
            "is_default": False,
            "payment_terms_days": 30,
            "notes": "Thanks",
            "footer": "Footer",
            "created_at": "2026-02-01T08:00:00Z",
            "updated_at": "2026-02-01T08:00:00Z",
        }
    ]


def test_each_business_gets_only_its_own_templates(client, factory, token):
    first, second = factory.business(), factory.business()
    a = factory.template(first["id"], name="A")
    b = factory.template(second["id"], name="B")
    data = get_json_ok(client, token, "/businesses")["data"]
    assert [[t["id"] for t in x["invoice_templates"]] for x in data] == [[a["id"]], [b["id"]]]


def test_is_default_is_a_boolean_and_terms_may_be_null(client, factory, token):
    business = factory.business()
    factory.template(business["id"], is_default=1, payment_terms_days=None)
    (template,) = get_json_ok(client, token, "/businesses")["data"][0]["invoice_templates"]
    assert template["is_default"] is True
    assert template["payment_terms_days"] is None


def test_deleted_templates_are_not_embedded(client, factory, sql_conn, token):
    business = factory.business()
    kept = factory.template(business["id"], name="Kept")
    gone = factory.template(business["id"], name="Gone")
    sql(
        sql_conn,
        "UPDATE invoice_templates SET deleted_at = UTC_TIMESTAMP(6) WHERE id = %s",
        gone["id"],
    )
    templates = get_json_ok(client, token, "/businesses")["data"][0]["invoice_templates"]
    assert [t["id"] for t in templates] == [kept["id"]]


def test_templates_come_with_their_businesses_in_one_query_per_page(make_app, factory, token):
    app = make_app()
    for _ in range(5):
        business = factory.business()
        factory.template(business["id"])
        factory.template(business["id"], name="Other")
    client = app.test_client()
    database = app.extensions["agentapi.db"]
    client.get(url("/businesses"), headers=bearer(token))  # warm: key lookup, then kept
    before = database.statements_run
    response = client.get(url("/businesses"), headers=bearer(token))
    assert len(response.get_json()["data"]) == 5
    # businesses with their templates (the key verified just now is kept)
    assert database.statements_run - before == 1
    assert all(len(b["invoice_templates"]) == 2 for b in response.get_json()["data"])


def test_templates_past_the_group_text_limit_all_arrive_in_order(client, factory, token):
    # A page's templates come back as one text per business, which the server cuts at
    # group_concat_max_len (1 MiB, sql/session/): 17 templates with 64 KB of notes each
    # must still all arrive, whole and by name, beside another business's short list.
    big, small = sorted((factory.business(), factory.business()), key=lambda b: b["id"])
    notes = "n" * 65_000
    names = [f"T{n:02d}" for n in range(17)]
    for name in reversed(names):
        factory.template(big["id"], name=name, notes=f"{notes}{name}")
    factory.template(small["id"], name="Short")
    first, second = get_json_ok(client, token, "/businesses")["data"]
    assert first["id"] == big["id"] and second["id"] == small["id"]
    assert [t["name"] for t in first["invoice_templates"]] == names
    assert all(t["notes"] == f"{notes}{t['name']}" for t in first["invoice_templates"])
    assert [t["name"] for t in second["invoice_templates"]] == ["Short"]


def test_paginates_by_id(client, factory, token):
    ids = sorted(factory.business()["id"] for _ in range(5))
    first = get_json_ok(client, token, "/businesses", limit=2)
    assert [b["id"] for b in first["data"]] == ids[:2]
    assert first["has_more"] is True
    second = get_json_ok(client, token, "/businesses", limit=2, cursor=first["next_cursor"])
    assert [b["id"] for b in second["data"]] == ids[2:4]
    third = get_json_ok(client, token, "/businesses", limit=2, cursor=second["next_cursor"])
    assert [b["id"] for b in third["data"]] == ids[4:]
    assert third["has_more"] is False and third["next_cursor"] is None


def test_a_full_last_page_says_there_is_no_more(client, factory, token):
    for _ in range(4):
        factory.business()
    body = get_json_ok(client, token, "/businesses", limit=4)
    assert len(body["data"]) == 4
    assert body["has_more"] is False and body["next_cursor"] is None


def test_empty_list(client, token):
    assert get_json_ok(client, token, "/businesses") == {
        "data": [],
        "has_more": False,
        "next_cursor": None,
    }


def test_link_header_points_at_the_next_page(client, factory, token):
    for _ in range(3):
        factory.business()
    response = client.get(url("/businesses"), query_string={"limit": 2}, headers=bearer(token))
    cursor = response.get_json()["next_cursor"]
    link = response.headers["Link"]
    assert link.startswith(f"<{url('/businesses')}?")
    assert link.endswith('>; rel="next"')
    target = link[1 : link.index(">")]
    follow = client.get(target, headers=bearer(token))
    assert follow.status_code == 200
    assert f"cursor={cursor}" in target
    assert len(follow.get_json()["data"]) == 1
