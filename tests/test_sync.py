"""Backups and sync: tombstones (deleted_since), conditional reads (ETag, 304), burst limit."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

from .conftest import sql
from .factories import bearer
from .helpers import assert_problem, get, url
from .test_pagination import walk

SINCE = "2026-03-01T00:00:00Z"


def _delete(sql_conn, table, row_id, when):
    sql(sql_conn, f"UPDATE {table} SET deleted_at = %s WHERE id = %s", when, row_id)


@pytest.fixture
def deleted_rows(factory, sql_conn):
    """A business with live and deleted invoices, services and slots around SINCE."""
    business = factory.business()
    base = datetime(2026, 3, 1)
    made = {"invoices": [], "services": [], "availability_slots": []}
    for n in range(7):
        when = base + timedelta(hours=n - 2)  # two before SINCE, five at or after
        invoice = factory.invoice(business["id"])
        service = factory.service(business["id"])
        slot = factory.slot(business["id"])
        for table, row in (
            ("invoices", invoice),
            ("services", service),
            ("availability_slots", slot),
        ):
            _delete(sql_conn, table, row["id"], when)
            made[table].append((when, row["id"]))
    for _ in range(3):  # live rows are never tombstones
        factory.invoice(business["id"])
        factory.service(business["id"])
        factory.slot(business["id"])
    return business, made


@pytest.mark.parametrize(
    "path, table",
    [("/invoices", "invoices"), ("/services", "services"), ("/availability", "availability_slots")],
)
@pytest.mark.parametrize("limit", [1, 2, 50])
def test_tombstones_are_listed_once_each_in_deleted_at_then_id_order(
    client, token, deleted_rows, path, table, limit
):
    business, made = deleted_rows
    ids, _pages = walk(client, token, path, limit, business_id=business["id"], deleted_since=SINCE)
    expected = [row_id for when, row_id in sorted(made[table]) if when >= datetime(2026, 3, 1)]
    assert ids == expected
    page = client.get(
        url(path),
        query_string={"business_id": business["id"], "deleted_since": SINCE},
        headers=bearer(token),
    ).get_json()
    assert set(page["data"][0]) == {"id", "business_id", "deleted_at"}
    assert page["data"][0]["business_id"] == business["id"]
    assert page["data"][0]["deleted_at"] == "2026-03-01T00:00:00Z"


def test_business_tombstones_follow_the_keys_restriction(client, factory, sql_conn):
    mine, other = factory.business(), factory.business()
    everyone = factory.key()
    restricted = factory.key(businesses=(mine["id"],))
    _delete(sql_conn, "businesses", mine["id"], datetime(2026, 3, 2))
    _delete(sql_conn, "businesses", other["id"], datetime(2026, 3, 3))
    for token, expected in ((everyone, [mine["id"], other["id"]]), (restricted, [mine["id"]])):
        body = client.get(
            url("/businesses"), query_string={"deleted_since": SINCE}, headers=bearer(token)
        ).get_json()
        assert [row["id"] for row in body["data"]] == expected
        assert set(body["data"][0]) == {"id", "deleted_at"}


@pytest.mark.parametrize("extra", ["status=paid", "sort=updated_at", "include=items"])
def test_deleted_since_takes_only_business_id_limit_and_cursor(client, token, business, extra):
    name = extra.split("=")[0]
    answer = client.get(
        url(f"/invoices?business_id={business['id']}&deleted_since={SINCE}&{extra}"),
        headers=bearer(token),
    )
    body = assert_problem(answer, 400, "invalid_parameter")
    assert body["errors"][0]["parameter"] == name


def test_tombstones_of_a_deleted_business_are_a_404(client, token, factory, sql_conn):
    business = factory.business()
    _delete(sql_conn, "businesses", business["id"], datetime(2026, 3, 2))
    answer = client.get(
        url("/invoices"),
        query_string={"business_id": business["id"], "deleted_since": SINCE},
        headers=bearer(token),
    )
    assert_problem(answer, 404, "not_found")


def test_a_tombstone_cursor_is_bound_to_deleted_since(client, token, deleted_rows):
    business, _ = deleted_rows
    first = client.get(
        url("/invoices"),
        query_string={"business_id": business["id"], "deleted_since": SINCE, "limit": 1},
        headers=bearer(token),
    ).get_json()
    answer = client.get(
        url("/invoices"),
        query_string={
            "business_id": business["id"],
            "deleted_since": "2026-01-01T00:00:00Z",
            "cursor": first["next_cursor"],
        },
        headers=bearer(token),
    )
    assert_problem(answer, 400, "invalid_parameter")


def test_a_list_carries_a_weak_etag_that_changes_with_the_body_only(client, token, factory):
    business = factory.business()
    invoice = factory.invoice(business["id"])
    first = get(client, token, "/invoices", business_id=business["id"])
    again = get(client, token, "/invoices", business_id=business["id"])
    assert first.headers["ETag"].startswith('W/"')
    assert first.headers["ETag"] == again.headers["ETag"]
    assert "Authorization" in first.headers["Vary"]
    assert first.headers["Cache-Control"] == "no-store"
    factory.invoice(business["id"])
    changed = get(client, token, "/invoices", business_id=business["id"])
    assert changed.headers["ETag"] != first.headers["ETag"]
    assert invoice["id"] in {row["id"] for row in changed.get_json()["data"]}


@pytest.mark.parametrize("form", ["same", "strong", "star", "list"])
def test_a_matching_if_none_match_gets_a_304_without_a_body(client, token, business, form):
    tag = get(client, token, "/invoices", business_id=business["id"]).headers["ETag"]
    sent = {
        "same": tag,
        "strong": tag.removeprefix("W/"),
        "star": "*",
        "list": f'W/"0000", {tag}',
    }[form]
    answer = get(
        client, token, "/invoices", headers={"If-None-Match": sent}, business_id=business["id"]
    )
    assert answer.status_code == 304
    assert answer.get_data() == b""
    assert answer.headers["ETag"] == tag
    assert answer.headers["X-Request-ID"]
    assert "X-RateLimit-Remaining" in answer.headers


def test_a_stale_if_none_match_gets_the_list(client, token, business):
    answer = get(
        client,
        token,
        "/invoices",
        headers={"If-None-Match": 'W/"stale"'},
        business_id=business["id"],
    )
    assert answer.status_code == 200
    assert answer.get_json()["data"] == []


def test_a_304_uses_no_quota_but_records_last_used_at(make_app, factory, sql_conn):
    client = make_app(RATE_LIMIT="2 per minute", LAST_USED_INTERVAL="0").test_client()
    business = factory.business()
    token = factory.key()
    first = get(client, token, "/invoices", business_id=business["id"])
    assert first.headers["X-RateLimit-Remaining"] == "1"
    sql(sql_conn, "UPDATE api_keys SET last_used_at = NULL")
    for _ in range(5):
        answer = get(client, token, "/invoices", headers={"If-None-Match": first.headers["ETag"]},
                      business_id=business["id"])  # fmt: skip
        assert answer.status_code == 304
        assert answer.headers["X-RateLimit-Remaining"] == "1"
    assert sql(sql_conn, "SELECT last_used_at FROM api_keys")[0]["last_used_at"] is not None
    assert get(client, token, "/invoices", business_id=business["id"]).status_code == 200
    assert_problem(get(client, token, "/invoices", business_id=business["id"]), 429,
                   "rate_limited")  # fmt: skip


def test_a_conditional_request_that_is_not_a_304_uses_quota(make_app, factory):
    client = make_app(RATE_LIMIT="1 per minute").test_client()
    business = factory.business()
    token = factory.key()
    assert (
        get(
            client,
            token,
            "/invoices",
            headers={"If-None-Match": 'W/"x"'},
            business_id=business["id"],
        ).status_code
        == 200
    )
    answer = get(
        client, token, "/invoices", headers={"If-None-Match": 'W/"x"'}, business_id=business["id"]
    )
    assert_problem(answer, 429, "rate_limited")
    assert answer.headers["Retry-After"]


def test_the_quota_stays_exact_under_concurrent_conditional_requests(make_app, factory):
    app = make_app(RATE_LIMIT="5 per minute")
    business = factory.business()
    token = factory.key()
    statuses: list[int] = []
    lock = threading.Lock()

    def one() -> None:
        answer = get(app.test_client(), token, "/invoices", headers={"If-None-Match": 'W/"x"'},
                      business_id=business["id"])  # fmt: skip
        with lock:
            statuses.append(answer.status_code)

    threads = [threading.Thread(target=one) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses.count(200) == 5
    assert statuses.count(429) == 15


def test_every_request_counts_toward_the_burst_limit(make_app, factory):
    client = make_app(RATE_LIMIT="2 per minute", BURST_LIMIT="4 per minute").test_client()
    business = factory.business()
    token = factory.key()
    tag = get(client, token, "/invoices", business_id=business["id"]).headers["ETag"]
    for _ in range(3):
        assert (
            get(
                client,
                token,
                "/invoices",
                headers={"If-None-Match": tag},
                business_id=business["id"],
            ).status_code
            == 304
        )
    answer = get(
        client, token, "/invoices", headers={"If-None-Match": tag}, business_id=business["id"]
    )
    assert_problem(answer, 429, "rate_limited")


def test_the_burst_limit_defaults_to_ten_times_the_quota(make_app):
    app = make_app(RATE_LIMIT="7 per 2 minutes")
    assert app.config["AGENTAPI"]["BURST_LIMIT"] == "70 per 2 minute"


def test_an_if_none_match_over_4096_bytes_is_a_400_and_a_malformed_one_matches_nothing(
    client, token, business
):
    answer = get(client, token, "/invoices", headers={"If-None-Match": 'W/"' + "a" * 4100 + '"'},
                  business_id=business["id"])  # fmt: skip
    body = assert_problem(answer, 400, "invalid_parameter")
    assert body["errors"][0]["parameter"] == "If-None-Match"
    assert (
        get(
            client,
            token,
            "/invoices",
            headers={"If-None-Match": "garbage"},
            business_id=business["id"],
        ).status_code
        == 200
    )
