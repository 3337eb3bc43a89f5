"""GET /availability: open slots in a [from, to) window read in the business's time zone."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from .conftest import sql
from .helpers import assert_problem, get, get_json_ok


@pytest.fixture
def token(factory):
    return factory.key(scopes=["availability:read"])


@pytest.fixture
def business(factory):
    return factory.business(timezone="UTC")


@pytest.fixture
def new_york(factory):
    return factory.business(timezone="America/New_York")


def ids(client, token, **params):
    return [s["id"] for s in get_json_ok(client, token, "/availability", **params)["data"]]


def utc(*args):
    return datetime(*args)


def test_lists_a_slot_with_every_field(client, factory, new_york, token):
    service = factory.service(new_york["id"])
    slot = factory.slot(
        new_york["id"],
        service_id=service["id"],
        starts_at=utc(2026, 7, 1, 14, 0),
        ends_at=utc(2026, 7, 1, 15, 30),
        capacity=5,
        booked=2,
    )
    response = get(
        client, token, "/availability", business_id=new_york["id"], **{"from": "2026-07-01"}
    )
    (item,) = response.get_json()["data"]
    assert item == {
        "id": slot["id"],
        "business_id": new_york["id"],
        "service_id": service["id"],
        "starts_at": "2026-07-01T10:00:00-04:00",
        "ends_at": "2026-07-01T11:30:00-04:00",
        "capacity": 5,
        "booked": 2,
        "remaining": 3,
    }


def test_local_times_keep_microseconds_when_present(client, factory, business, token):
    factory.slot(business["id"], starts_at=utc(2026, 7, 1, 14, 0, 0, 250))
    (item,) = get(
        client, token, "/availability", business_id=business["id"], **{"from": "2026-07-01"}
    ).get_json()["data"]
    assert item["starts_at"] == "2026-07-01T14:00:00.000250+00:00"


def test_winter_slots_carry_the_standard_offset(client, factory, new_york, token):
    factory.slot(new_york["id"], starts_at=utc(2026, 1, 15, 14, 0))
    (item,) = get(
        client, token, "/availability", business_id=new_york["id"], **{"from": "2026-01-15"}
    ).get_json()["data"]
    assert item["starts_at"] == "2026-01-15T09:00:00-05:00"


@pytest.mark.parametrize(
    ("capacity", "booked", "listed"), [(3, 2, True), (3, 3, False), (0, 0, False)]
)
def test_only_slots_with_room_left_are_listed(
    client, factory, business, token, capacity, booked, listed
):
    slot = factory.slot(
        business["id"], starts_at=utc(2026, 7, 1, 9), capacity=capacity, booked=booked
    )
    found = ids(client, token, business_id=business["id"], **{"from": "2026-07-01"})
    assert found == ([slot["id"]] if listed else [])


def test_deleted_slots_are_not_listed(client, factory, sql_conn, business, token):
    kept = factory.slot(business["id"], starts_at=utc(2026, 7, 1, 9))
    gone = factory.slot(business["id"], starts_at=utc(2026, 7, 1, 10))
    sql(
        sql_conn,
        "UPDATE availability_slots SET deleted_at = UTC_TIMESTAMP(6) WHERE id = %s",
        gone["id"],
    )
    assert ids(client, token, business_id=business["id"], **{"from": "2026-07-01"}) == [kept["id"]]


def test_ordered_by_starts_at_then_id(client, factory, business, token):
    late = factory.slot(business["id"], starts_at=utc(2026, 7, 1, 12))
    same_a = factory.slot(business["id"], starts_at=utc(2026, 7, 1, 9))
    same_b = factory.slot(business["id"], starts_at=utc(2026, 7, 1, 9))
    early = factory.slot(business["id"], starts_at=utc(2026, 7, 1, 8))
    found = ids(client, token, business_id=business["id"], **{"from": "2026-07-01"})
    assert found == [early["id"], *sorted([same_a["id"], same_b["id"]]), late["id"]]


def test_window_from_dates_is_half_open_in_the_business_time_zone(client, factory, new_york, token):
    # 2026-07-01 in New York (EDT, UTC-4) is [04:00Z, next day 04:00Z).
    before = factory.slot(new_york["id"], starts_at=utc(2026, 7, 1, 3, 59, 59))
    first = factory.slot(new_york["id"], starts_at=utc(2026, 7, 1, 4, 0))
    last = factory.slot(new_york["id"], starts_at=utc(2026, 7, 2, 3, 59, 59))
    after = factory.slot(new_york["id"], starts_at=utc(2026, 7, 2, 4, 0))
    found = ids(
        client, token, business_id=new_york["id"], **{"from": "2026-07-01", "to": "2026-07-02"}
    )
    assert found == [first["id"], last["id"]]
    assert before["id"] not in found and after["id"] not in found


def test_window_from_dates_across_the_spring_dst_change(client, factory, new_york, token):
    # 2026-03-08 in New York starts at 05:00Z (EST) and ends at 04:00Z the next day (EDT).
    factory.slot(new_york["id"], starts_at=utc(2026, 3, 8, 4, 59))  # 2026-03-07 23:59 local
    first = factory.slot(new_york["id"], starts_at=utc(2026, 3, 8, 5, 0))
    last = factory.slot(new_york["id"], starts_at=utc(2026, 3, 9, 3, 59))
    factory.slot(new_york["id"], starts_at=utc(2026, 3, 9, 4, 0))  # 2026-03-09 00:00 local
    response = get(
        client,
        token,
        "/availability",
        business_id=new_york["id"],
        **{"from": "2026-03-08", "to": "2026-03-09"},
    )
    data = response.get_json()["data"]
    assert [s["id"] for s in data] == [first["id"], last["id"]]
    assert [s["starts_at"] for s in data] == [
        "2026-03-08T00:00:00-05:00",
        "2026-03-08T23:59:00-04:00",
    ]


def test_dates_31_days_apart_are_accepted_across_the_autumn_dst_change(
    client, factory, new_york, token
):
    # In New York 2026-10-15 .. 2026-11-15 is 31 calendar days but 31 days and 1 hour.
    slot = factory.slot(new_york["id"], starts_at=utc(2026, 11, 15, 4, 30))
    response = get(
        client,
        token,
        "/availability",
        business_id=new_york["id"],
        **{"from": "2026-10-15", "to": "2026-11-15"},
    )
    assert response.status_code == 200, response.get_json()
    assert [s["id"] for s in response.get_json()["data"]] == [slot["id"]]


def test_window_from_timestamps_with_offsets(client, factory, business, token):
    inside = factory.slot(business["id"], starts_at=utc(2026, 7, 1, 10, 0))
    edge = factory.slot(business["id"], starts_at=utc(2026, 7, 1, 12, 0))
    factory.slot(business["id"], starts_at=utc(2026, 7, 1, 9, 59, 59))
    found = ids(
        client,
        token,
        business_id=business["id"],
        **{"from": "2026-07-01T12:00:00+02:00", "to": "2026-07-01T08:00:00-04:00"},
    )
    assert found == [inside["id"]]
    assert edge["id"] not in found


def test_date_and_timestamp_may_be_mixed(client, factory, new_york, token):
    slot = factory.slot(new_york["id"], starts_at=utc(2026, 7, 1, 5, 0))
    found = ids(
        client,
        token,
        business_id=new_york["id"],
        **{"from": "2026-07-01", "to": "2026-07-01T06:00:00Z"},
    )
    assert found == [slot["id"]]


def test_default_window_is_now_to_seven_days_later(client, factory, business, token):
    now = datetime.now(UTC).replace(tzinfo=None)
    factory.slot(business["id"], starts_at=now - timedelta(minutes=5))
    soon = factory.slot(business["id"], starts_at=now + timedelta(hours=1))
    week = factory.slot(business["id"], starts_at=now + timedelta(days=6, hours=23))
    factory.slot(business["id"], starts_at=now + timedelta(days=7, hours=1))
    assert ids(client, token, business_id=business["id"]) == [soon["id"], week["id"]]


def test_default_to_is_seven_days_after_a_given_from(client, factory, business, token):
    inside = factory.slot(business["id"], starts_at=utc(2026, 7, 7, 23))
    factory.slot(business["id"], starts_at=utc(2026, 7, 8, 0))
    assert ids(client, token, business_id=business["id"], **{"from": "2026-07-01"}) == [
        inside["id"]
    ]


@pytest.mark.parametrize(
    ("window"),
    [
        {"from": "2026-07-02", "to": "2026-07-01"},
        {"from": "2026-07-01", "to": "2026-07-01"},
        {"from": "2026-07-01T10:00:00Z", "to": "2026-07-01T10:00:00Z"},
        {"from": "2026-07-01", "to": "2026-08-02"},
        {"from": "2026-07-01T00:00:00Z", "to": "2026-08-01T00:00:01Z"},
        {"to": "2020-01-01"},
    ],
    ids=["reversed", "empty-dates", "empty-timestamps", "32-days", "31-days-1s", "to-before-now"],
)
def test_bad_windows_are_400_naming_to(client, business, token, window):
    response = get(client, token, "/availability", business_id=business["id"], **window)
    body = assert_problem(response, 400, "invalid_parameter")
    assert body["errors"][0]["parameter"] == "to"


@pytest.mark.parametrize(
    "window",
    [
        {"from": "2026-07-01", "to": "2026-08-01"},
        {"from": "2026-07-01T00:00:00Z", "to": "2026-08-01T00:00:00Z"},
    ],
)
def test_a_window_of_exactly_31_days_is_accepted(client, business, token, window):
    assert (
        get(client, token, "/availability", business_id=business["id"], **window).status_code == 200
    )


def test_service_filter_includes_slots_open_to_any_service(client, factory, business, token):
    wanted = factory.service(business["id"])
    other = factory.service(business["id"])
    mine = factory.slot(business["id"], service_id=wanted["id"], starts_at=utc(2026, 7, 1, 9))
    anyone = factory.slot(business["id"], service_id=None, starts_at=utc(2026, 7, 1, 10))
    factory.slot(business["id"], service_id=other["id"], starts_at=utc(2026, 7, 1, 11))
    found = ids(
        client, token, business_id=business["id"], service_id=wanted["id"], **{"from": "2026-07-01"}
    )
    assert found == [mine["id"], anyone["id"]]


def test_without_service_filter_every_slot_is_listed(client, factory, business, token):
    a, b = factory.service(business["id"]), factory.service(business["id"])
    for n, service in enumerate((a, b, None)):
        factory.slot(
            business["id"],
            service_id=service and service["id"],
            starts_at=utc(2026, 7, 1, 9 + n),
        )
    assert len(ids(client, token, business_id=business["id"], **{"from": "2026-07-01"})) == 3


def test_slots_of_other_businesses_are_not_listed(client, factory, business, token):
    mine = factory.slot(business["id"], starts_at=utc(2026, 7, 1, 9))
    factory.slot(factory.business()["id"], starts_at=utc(2026, 7, 1, 9))
    assert ids(client, token, business_id=business["id"], **{"from": "2026-07-01"}) == [mine["id"]]


def test_an_unknown_time_zone_is_read_as_utc(client, factory, token):
    odd = factory.business(timezone="Mars/Olympus_Mons")
    factory.slot(odd["id"], starts_at=utc(2026, 7, 1, 0, 0))
    response = get(client, token, "/availability", business_id=odd["id"], **{"from": "2026-07-01"})
    assert response.status_code == 200
    assert response.get_json()["data"][0]["starts_at"] == "2026-07-01T00:00:00+00:00"


def test_default_window_does_not_move_during_a_walk(client, factory, business, token):
    now = datetime.now(UTC).replace(tzinfo=None)
    first_slot = factory.slot(business["id"], starts_at=now + timedelta(hours=1))
    second_slot = factory.slot(business["id"], starts_at=now + timedelta(hours=2))
    # Just past the end of the first page's window; inside a window recomputed later.
    factory.slot(business["id"], starts_at=now + timedelta(days=7, seconds=0.5))
    first = get(client, token, "/availability", business_id=business["id"], limit=1).get_json()
    assert [s["id"] for s in first["data"]] == [first_slot["id"]]
    time.sleep(1.5)
    second = get(
        client,
        token,
        "/availability",
        business_id=business["id"],
        limit=1,
        cursor=first["next_cursor"],
    ).get_json()
    assert [s["id"] for s in second["data"]] == [second_slot["id"]]
    assert second["has_more"] is False


@pytest.mark.parametrize("timezone", ["America/New_York", "Pacific/Auckland", "UTC"])
@pytest.mark.parametrize(
    "window",
    [
        {"from": "0001-01-01"},
        {"from": "0001-01-01T00:00:00Z"},
        {"from": "0001-01-02", "to": "0001-01-03"},
        {"to": "0001-01-01"},
        {"from": "9999-12-30T00:00:00Z", "to": "9999-12-31T23:00:00Z"},
        {"from": "9999-12-31"},
    ],
    ids=["first-day", "first-instant", "first-days", "to-first-day", "last-days", "last-day"],
)
def test_windows_at_the_edges_of_time_are_answered_not_500(
    client, factory, token, timezone, window
):
    business = factory.business(timezone=timezone)
    response = get(client, token, "/availability", business_id=business["id"], **window)
    if response.status_code != 200:
        body = assert_problem(response, 400, "invalid_parameter")
        assert body["errors"][0]["parameter"] in ("from", "to")


@pytest.mark.parametrize("value", ["9999-12-31", "9999-12-30T00:00:00Z"])
def test_a_from_whose_default_to_is_past_year_9999_is_400_naming_from(
    client, business, token, value
):
    response = get(client, token, "/availability", business_id=business["id"], **{"from": value})
    body = assert_problem(response, 400, "invalid_parameter")
    assert body["errors"][0]["parameter"] == "from"


def test_a_changed_time_zone_is_used_at_once(client, factory, sql_conn, new_york, token):
    # The zone is kept per process after a page, but checked by the very next page:
    # a business moved to Tokyo is read in Tokyo's window and times at once.
    slot = factory.slot(new_york["id"], starts_at=utc(2026, 7, 1, 14))  # 10:00 in New York
    late = factory.slot(new_york["id"], starts_at=utc(2026, 7, 1, 16))  # 01:00 next day, Tokyo
    window = {"business_id": new_york["id"], "from": "2026-07-01", "to": "2026-07-02"}
    page = get_json_ok(client, token, "/availability", **window)
    assert [s["starts_at"] for s in page["data"]] == [
        "2026-07-01T10:00:00-04:00",
        "2026-07-01T12:00:00-04:00",
    ]
    sql(sql_conn, "UPDATE businesses SET timezone = 'Asia/Tokyo' WHERE id = %s", new_york["id"])
    page = get_json_ok(client, token, "/availability", **window)
    assert [(s["id"], s["starts_at"]) for s in page["data"]] == [
        (slot["id"], "2026-07-01T23:00:00+09:00")
    ]
    assert late["id"] not in [s["id"] for s in page["data"]]


def test_a_changed_time_zone_is_used_at_once_for_an_empty_page(
    client, factory, sql_conn, new_york, token
):
    # Nothing in the kept zone's window; the window in the new zone has a slot.
    slot = factory.slot(new_york["id"], starts_at=utc(2026, 7, 1, 16))  # 01:00 Jul 2, Tokyo
    window = {"business_id": new_york["id"], "from": "2026-07-02", "to": "2026-07-03"}
    assert get_json_ok(client, token, "/availability", **window)["data"] == []
    sql(sql_conn, "UPDATE businesses SET timezone = 'Asia/Tokyo' WHERE id = %s", new_york["id"])
    assert ids(client, token, **window) == [slot["id"]]


def test_a_business_deleted_after_a_page_is_404(client, factory, sql_conn, business, token):
    factory.slot(business["id"], starts_at=utc(2026, 7, 1, 9))
    window = {"business_id": business["id"], "from": "2026-07-01"}
    assert len(get_json_ok(client, token, "/availability", **window)["data"]) == 1
    sql(
        sql_conn,
        "UPDATE businesses SET deleted_at = UTC_TIMESTAMP(6) WHERE id = %s",
        business["id"],
    )
    assert_problem(get(client, token, "/availability", **window), 404, "not_found")


@pytest.mark.parametrize("changed", ["america/new_york", "America/New_York "])
def test_a_zone_changed_in_case_or_spacing_is_a_changed_zone(
    client, factory, sql_conn, new_york, token, changed
):
    # Not an IANA name any more (read as UTC): the statement compares zones byte for
    # byte, where the column's collation would call them equal.
    factory.slot(new_york["id"], starts_at=utc(2026, 7, 1, 14))
    window = {"business_id": new_york["id"], "from": "2026-07-01", "to": "2026-07-02"}
    page = get_json_ok(client, token, "/availability", **window)
    assert [s["starts_at"] for s in page["data"]] == ["2026-07-01T10:00:00-04:00"]
    sql(sql_conn, "UPDATE businesses SET timezone = %s WHERE id = %s", changed, new_york["id"])
    page = get_json_ok(client, token, "/availability", **window)
    assert [s["starts_at"] for s in page["data"]] == ["2026-07-01T14:00:00+00:00"]
