"""Keyset pagination: full walks compared with SQL, cursor misuse, limit bounds."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from agentapi.pagination import encode_cursor

from .conftest import sql
from .factories import bearer
from .helpers import assert_problem, get, url

WINDOW = {"from": "2026-07-01", "to": "2026-07-31"}


def walk(client, token, path, limit, **params):
    """Every page of a list; returns the ids in order and the number of pages."""
    seen, cursor, pages = [], None, 0
    while True:
        query = {**params, "limit": limit}
        if cursor:
            query["cursor"] = cursor
        response = get(client, token, path, **query)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert len(body["data"]) <= limit
        seen += [row["id"] for row in body["data"]]
        pages += 1
        if not body["has_more"]:
            assert body["next_cursor"] is None
            assert "Link" not in response.headers
            return seen, pages
        assert len(body["data"]) == limit
        assert response.headers["Link"].endswith('>; rel="next"')
        cursor = body["next_cursor"]


def column(rows):
    return [r["id"] for r in rows]


# --- full walks compared with SQL --------------------------------------------------------


def test_walk_businesses(client, factory, sql_conn, token):
    for _ in range(230):
        factory.business()
    seen, pages = walk(client, token, "/businesses", 19)
    expected = column(sql(sql_conn, "SELECT id FROM businesses ORDER BY id"))
    assert len(expected) == 230
    assert seen == expected
    assert pages == 13


@pytest.fixture
def many_invoices(factory):
    business = factory.business()
    statuses = ("draft", "sent", "paid", "void")
    base = datetime(2026, 2, 1)
    for n in range(300):
        factory.invoice(
            business["id"],
            status=statuses[n % 4],
            issue_date=date(2026, 1, 1) + timedelta(days=n % 23),
            updated_at=base + timedelta(seconds=n % 37, microseconds=(n % 3) * 7),
        )
    return business


INVOICE_ORDERS = {
    "-issue_date": "issue_date DESC, id DESC",
    "issue_date": "issue_date ASC, id ASC",
    "-updated_at": "updated_at DESC, id DESC",
    "updated_at": "updated_at ASC, id ASC",
}


@pytest.mark.parametrize("sort", list(INVOICE_ORDERS))
def test_walk_invoices_in_every_sort(client, sql_conn, token, many_invoices, sort):
    seen, _ = walk(client, token, "/invoices", 23, business_id=many_invoices["id"], sort=sort)
    expected = column(
        sql(
            sql_conn,
            "SELECT id FROM invoices WHERE business_id = %s AND deleted_at IS NULL"
            f" ORDER BY {INVOICE_ORDERS[sort]}",
            many_invoices["id"],
        )
    )
    assert len(expected) == 300
    assert seen == expected


@pytest.mark.parametrize("sort", ["-issue_date", "updated_at"])
def test_walk_filtered_invoices(client, sql_conn, token, many_invoices, sort):
    seen, _ = walk(
        client,
        token,
        "/invoices",
        11,
        business_id=many_invoices["id"],
        sort=sort,
        status="paid,void",
        issued_from="2026-01-03",
        issued_to="2026-01-20",
        updated_since="2026-02-01T00:00:05Z",
    )
    expected = column(
        sql(
            sql_conn,
            "SELECT id FROM invoices WHERE business_id = %s AND deleted_at IS NULL"
            " AND status IN ('paid', 'void') AND issue_date BETWEEN '2026-01-03' AND '2026-01-20'"
            " AND updated_at >= '2026-02-01 00:00:05'"
            f" ORDER BY {INVOICE_ORDERS[sort]}",
            many_invoices["id"],
        )
    )
    assert 50 < len(expected) < 150
    assert seen == expected


def test_walk_services(client, factory, sql_conn, token):
    business = factory.business()
    names = ["Alpha", "alpha", "Beta", "beta ", "Gamma", "delta", "Äpfel", "zeta"]
    for n in range(240):
        factory.service(business["id"], name=names[n % len(names)] + str(n % 5))
    seen, _ = walk(client, token, "/services", 17, business_id=business["id"])
    expected = column(
        sql(
            sql_conn,
            "SELECT id FROM services WHERE business_id = %s AND deleted_at IS NULL"
            " ORDER BY name, id",
            business["id"],
        )
    )
    assert seen == expected
    assert len(seen) == len(set(seen)) == 240


def test_walk_availability(client, factory, sql_conn, token):
    business = factory.business(timezone="America/New_York")
    start = datetime(2026, 7, 2)
    for n in range(260):
        factory.slot(
            business["id"],
            starts_at=start + timedelta(minutes=37 * (n % 97)),
            booked=2 if n % 10 == 0 else 0,
        )
    seen, _ = walk(client, token, "/availability", 13, business_id=business["id"], **WINDOW)
    expected = column(
        sql(
            sql_conn,
            "SELECT id FROM availability_slots WHERE business_id = %s AND deleted_at IS NULL"
            " AND booked < capacity ORDER BY starts_at, id",
            business["id"],
        )
    )
    assert len(expected) == 234
    assert seen == expected


def test_limit_may_change_during_a_walk(client, factory, token):
    ids = sorted(factory.business()["id"] for _ in range(6))
    client_get = client.get
    first = client_get(url("/businesses"), query_string={"limit": 2}, headers=bearer(token))
    cursor = first.get_json()["next_cursor"]
    rest = client_get(
        url("/businesses"), query_string={"limit": 4, "cursor": cursor}, headers=bearer(token)
    ).get_json()
    assert [b["id"] for b in first.get_json()["data"] + rest["data"]] == ids


def test_status_order_does_not_change_the_filter(client, factory, token):
    business = factory.business()
    for status in ("paid", "void", "paid", "void"):
        factory.invoice(business["id"], status=status)
    params = {"business_id": business["id"], "limit": 2}
    first = client.get(
        url("/invoices"), query_string={**params, "status": "paid,void"}, headers=bearer(token)
    ).get_json()
    response = client.get(
        url("/invoices"),
        query_string={**params, "status": "void,paid", "cursor": first["next_cursor"]},
        headers=bearer(token),
    )
    assert response.status_code == 200


# --- cursor misuse -------------------------------------------------------------------------


@pytest.fixture
def listed(factory):
    """Two businesses with enough rows on every route for a second page."""
    businesses = [factory.business(), factory.business(), factory.business()]
    for business in businesses[:2]:
        for n in range(4):
            factory.invoice(business["id"], status="paid" if n % 2 else "void")
            factory.service(business["id"], is_active=1)
            factory.slot(business["id"], starts_at=datetime(2026, 7, 2, 9 + n))
    return businesses


def first_cursor(client, token, path, **params):
    response = get(client, token, path, **{**params, "limit": 1})
    cursor = response.get_json()["next_cursor"]
    assert cursor, response.get_json()
    return cursor


def assert_bad_cursor(client, token, path, **params):
    response = get(client, token, path, **params)
    body = assert_problem(response, 400, "invalid_parameter")
    assert body["errors"][0]["parameter"] == "cursor"


def flip(text: str, index: int) -> str:
    ch = text[index]
    return text[:index] + ("A" if ch != "A" else "B") + text[index + 1 :]


@pytest.mark.parametrize("where", ["payload_start", "payload_middle", "signature_end"])
def test_a_tampered_cursor_is_400(client, token, listed, where):
    cursor = first_cursor(client, token, "/businesses")
    dot = cursor.index(".")
    index = {"payload_start": 0, "payload_middle": dot // 2, "signature_end": len(cursor) - 1}
    tampered = flip(cursor, index[where])
    assert tampered != cursor
    assert_bad_cursor(client, token, "/businesses", cursor=tampered)


B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def low_bit_flipped(part: str) -> str:
    """The same text with the last character's lowest bit flipped (often a padding bit)."""
    return part[:-1] + B64[B64.index(part[-1]) ^ 1]


@pytest.mark.parametrize(
    "variant",
    [
        lambda body, sig: f"{body}.{low_bit_flipped(sig)}",
        lambda body, sig: f"{low_bit_flipped(body)}.{sig}",
        lambda body, sig: f"{body}.{sig}==",
        lambda body, sig: f"{body}==.{sig}",
        lambda body, sig: f"{body}.{sig}\n",
    ],
    ids=["signature-low-bit", "payload-low-bit", "signature-padding", "payload-padding", "newline"],
)
def test_a_cursor_that_decodes_to_the_same_bytes_but_is_not_as_issued_is_400(
    client, token, listed, variant
):
    body, sig = first_cursor(client, token, "/businesses").split(".")
    tampered = variant(body, sig)
    assert tampered != f"{body}.{sig}"
    assert_bad_cursor(client, token, "/businesses", cursor=tampered)


@pytest.mark.parametrize(
    "garbage",
    ["abc", "a.b", "a.b.c", "!!!", ".", "eyJ9.", "x" * 600, "%00", "ñ"],
    ids=lambda g: g[:10],
)
def test_a_garbage_cursor_is_400(client, token, listed, garbage):
    assert_bad_cursor(client, token, "/businesses", cursor=garbage)


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("/businesses", "/invoices"),
        ("/invoices", "/services"),
        ("/services", "/availability"),
        ("/availability", "/invoices"),
        ("/services", "/businesses"),
    ],
)
def test_a_cursor_from_another_route_is_400(client, token, listed, source, target):
    bid = listed[0]["id"]
    extra = WINDOW if source == "/availability" else {}
    params = {} if source == "/businesses" else {"business_id": bid}
    cursor = first_cursor(client, token, source, **params, **extra)
    target_params = {} if target == "/businesses" else {"business_id": bid}
    if target == "/availability":
        target_params.update(WINDOW)
    assert_bad_cursor(client, token, target, cursor=cursor, **target_params)


@pytest.mark.parametrize(
    ("path", "issued_with", "reused_with"),
    [
        ("/invoices", {"status": "paid"}, {"status": "void"}),
        ("/invoices", {"status": "paid"}, {}),
        ("/invoices", {}, {"sort": "issue_date"}),
        ("/invoices", {"sort": "-updated_at"}, {"sort": "updated_at"}),
        ("/invoices", {}, {"issued_from": "2020-01-01"}),
        ("/invoices", {}, {"issued_to": "2030-01-01"}),
        ("/invoices", {}, {"updated_since": "2020-01-01T00:00:00Z"}),
        ("/services", {"active": "true"}, {"active": "false"}),
        ("/services", {"active": "true"}, {}),
        ("/availability", WINDOW, {"from": "2026-07-02", "to": "2026-07-31"}),
        ("/availability", WINDOW, {**WINDOW, "service_id": "ABC"}),
    ],
)
def test_a_cursor_reused_with_other_filters_is_400(
    client, token, listed, path, issued_with, reused_with
):
    bid = listed[0]["id"]
    cursor = first_cursor(client, token, path, business_id=bid, **issued_with)
    assert_bad_cursor(client, token, path, business_id=bid, cursor=cursor, **reused_with)


@pytest.mark.parametrize("path", ["/invoices", "/services", "/availability"])
def test_a_cursor_reused_for_another_business_is_400(client, token, listed, path):
    extra = WINDOW if path == "/availability" else {}
    cursor = first_cursor(client, token, path, business_id=listed[0]["id"], **extra)
    assert_bad_cursor(client, token, path, business_id=listed[1]["id"], cursor=cursor, **extra)


def test_a_cursor_signed_with_another_secret_is_400(make_app, factory, listed):
    token = factory.key()
    one = make_app(CURSOR_SECRET="1" + "0123456789abcdef" * 4).test_client()
    two = make_app(CURSOR_SECRET="2" + "0123456789abcdef" * 4).test_client()
    cursor = first_cursor(one, token, "/businesses")
    assert_bad_cursor(two, token, "/businesses", cursor=cursor)


def test_a_cursor_works_on_another_host_with_the_same_secret(make_app, factory, listed):
    token = factory.key()
    one = make_app(CURSOR_SECRET="0123456789abcdef" * 4).test_client()
    two = make_app(CURSOR_SECRET="0123456789abcdef" * 4).test_client()
    cursor = first_cursor(one, token, "/businesses")
    response = two.get(url("/businesses"), query_string={"cursor": cursor}, headers=bearer(token))
    assert response.status_code == 200


@pytest.mark.parametrize("position", [[], ["A", "B"], [1]], ids=["empty", "too-long", "number"])
def test_a_signed_cursor_of_the_wrong_shape_is_400(app, client, token, listed, position):
    with app.test_request_context():
        cursor = encode_cursor("businesses", {}, position)
    assert_bad_cursor(client, token, "/businesses", cursor=cursor)


# --- limit ---------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", ["0", "201", "-1", "1.5", "abc", "1e2", " 5", "0x10", "0005"])
@pytest.mark.parametrize("path", ["/businesses", "/invoices", "/services", "/availability"])
def test_limit_out_of_bounds_is_400(client, token, listed, path, limit):
    params = {} if path == "/businesses" else {"business_id": listed[0]["id"]}
    response = client.get(url(path), query_string={**params, "limit": limit}, headers=bearer(token))
    body = assert_problem(response, 400, "invalid_parameter")
    assert body["errors"][0]["parameter"] == "limit"


@pytest.mark.parametrize("limit", [1, 200])
def test_limit_bounds_are_accepted(client, factory, token, limit):
    for _ in range(3):
        factory.business()
    response = client.get(url("/businesses"), query_string={"limit": limit}, headers=bearer(token))
    assert response.status_code == 200
    assert len(response.get_json()["data"]) == min(limit, 3)


def test_default_limit_is_50(client, factory, token):
    for _ in range(51):
        factory.business()
    body = client.get(url("/businesses"), headers=bearer(token)).get_json()
    assert len(body["data"]) == 50
    assert body["has_more"] is True
