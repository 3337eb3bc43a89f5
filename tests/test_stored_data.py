"""Whatever the schema lets InvoiceScript's PHP side store is answered, never a 500.

MariaDB's default sql_mode (and MySQL's, relaxed as many PHP installations do)
accepts zero dates such as '0000-00-00' and partly zero ones such as '2026-00-10'.
The rows here are written through a session with sql_mode='' to get them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta

import pymysql
import pytest
from openapi_schema_validator import OAS30Validator

from agentapi.config import parse_database_url

from .conftest import sql
from .factories import bearer
from .helpers import assert_problem, url

ZERO_DATES = ["0000-00-00", "2026-00-10", "2026-01-00", "0000-01-05"]
ZERO_DATETIMES = [
    "0000-00-00 00:00:00",
    "2026-00-10 10:00:00",
    "2026-01-00 10:00:00",
    "0000-01-05 10:00:00",
]
BAD_ZONES = [
    "America",
    "Etc",
    "America/",
    "",
    "../etc",
    "/etc/passwd",
    "zone.tab",
    "No/Such_Zone",
    "UTC ",
    "Europe/Berlin\x00",
]


@pytest.fixture
def lax(database_url: str) -> Iterator[pymysql.connections.Connection]:
    """A connection whose sql_mode lets zero dates in, as a lax PHP installation's does."""
    target = parse_database_url("TEST_DATABASE_URL", database_url)
    conn = pymysql.connect(
        **target.connect_kwargs(),
        autocommit=True,
        init_command="SET SESSION sql_mode = ''",
        cursorclass=pymysql.cursors.DictCursor,
    )
    yield conn
    conn.close()


@pytest.fixture
def document(client):
    return client.get(url("/schema")).get_json()


def validate(document, component, body):
    schema = {"$ref": f"#/components/schemas/{component}", "components": document["components"]}
    OAS30Validator(schema).validate(body)


def stored(lax, table: str, column: str, value: str, row_id: str) -> None:
    sql(lax, f"UPDATE {table} SET {column} = %s WHERE id = %s", value, row_id)  # noqa: S608
    (row,) = sql(lax, f"SELECT CAST({column} AS CHAR) AS v FROM {table} WHERE id = %s", row_id)  # noqa: S608
    assert row["v"].startswith(value[:10]), row  # the server really kept the zero date


@pytest.mark.parametrize("value", ZERO_DATES)
def test_a_zero_due_date_is_answered_as_null(client, token, business, factory, lax, value):
    invoice = factory.invoice(business["id"])
    stored(lax, "invoices", "due_date", value, invoice["id"])
    response = client.get(
        url("/invoices"), query_string={"business_id": business["id"]}, headers=bearer(token)
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    (listed,) = response.get_json()["data"]
    assert listed["due_date"] is None


@pytest.mark.parametrize("value", ZERO_DATETIMES)
@pytest.mark.parametrize("column", ["paid_at", "created_at"])
def test_a_zero_invoice_timestamp_is_answered_as_null(
    client, token, business, factory, lax, document, column, value
):
    invoice = factory.invoice(business["id"], status="paid", paid_at=datetime(2026, 1, 2))
    stored(lax, "invoices", column, value, invoice["id"])
    response = client.get(
        url("/invoices"),
        query_string={"business_id": business["id"], "include": "items"},
        headers=bearer(token),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["data"][0][column] is None
    validate(document, "InvoiceList", body)


@pytest.mark.parametrize("value", ["2026-00-10", "2026-01-00"])
def test_a_partly_zero_issue_date_is_answered_as_null(
    client, token, business, factory, lax, document, value
):
    invoice = factory.invoice(business["id"])
    stored(lax, "invoices", "issue_date", value, invoice["id"])
    # Such a date has no place in the issue-date order (a cursor could not hold it): it
    # is left out there, as a full zero date is, and listed when sorting by updated_at.
    by_issue_date = client.get(
        url("/invoices"), query_string={"business_id": business["id"]}, headers=bearer(token)
    )
    assert by_issue_date.status_code == 200, by_issue_date.get_data(as_text=True)
    assert by_issue_date.get_json()["data"] == []
    response = client.get(
        url("/invoices"),
        query_string={"business_id": business["id"], "sort": "updated_at"},
        headers=bearer(token),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["data"][0]["issue_date"] is None
    validate(document, "InvoiceList", body)


@pytest.mark.parametrize("value", ZERO_DATETIMES)
def test_zero_business_and_template_timestamps_are_answered_as_null(
    client, token, factory, lax, document, value
):
    business = factory.business()
    template = factory.template(business["id"])
    for column in ("created_at", "updated_at"):
        stored(lax, "businesses", column, value, business["id"])
        stored(lax, "invoice_templates", column, value, template["id"])
    response = client.get(url("/businesses"), headers=bearer(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    (listed,) = body["data"]
    assert listed["created_at"] is None and listed["updated_at"] is None
    assert listed["invoice_templates"][0]["created_at"] is None
    validate(document, "BusinessList", body)


@pytest.mark.parametrize("value", ZERO_DATETIMES)
def test_a_zero_service_timestamp_is_answered_as_null(
    client, token, business, factory, lax, document, value
):
    service = factory.service(business["id"])
    stored(lax, "services", "updated_at", value, service["id"])
    response = client.get(
        url("/services"), query_string={"business_id": business["id"]}, headers=bearer(token)
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["data"][0]["updated_at"] is None
    validate(document, "ServiceList", body)


@pytest.mark.parametrize("value", ZERO_DATETIMES)
def test_a_zero_slot_end_is_answered_as_null(
    client, token, business, factory, lax, document, value
):
    slot = factory.slot(business["id"])
    stored(lax, "availability_slots", "ends_at", value, slot["id"])
    response = client.get(
        url("/availability"), query_string={"business_id": business["id"]}, headers=bearer(token)
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["data"][0]["ends_at"] is None
    validate(document, "AvailabilityList", body)


@pytest.mark.parametrize("zone", BAD_ZONES, ids=repr)
def test_an_unusable_business_time_zone_is_read_as_utc_with_a_warning(
    client, token, factory, lax, caplog, zone
):
    business = factory.business()
    sql(lax, "UPDATE businesses SET timezone = %s WHERE id = %s", zone, business["id"])
    slot = factory.slot(business["id"], starts_at=datetime(2026, 7, 1, 9))
    with caplog.at_level(logging.WARNING, logger="agentapi.availability"):
        response = client.get(
            url("/availability"),
            query_string={"business_id": business["id"], "from": "2026-07-01", "to": "2026-07-02"},
            headers=bearer(token),
        )
    assert response.status_code == 200, response.get_data(as_text=True)
    (listed,) = response.get_json()["data"]
    assert listed["id"] == slot["id"]
    assert listed["starts_at"] == "2026-07-01T09:00:00+00:00"
    assert any("using UTC" in r.getMessage() for r in caplog.records)


def test_a_local_time_past_year_9999_is_answered_in_utc(client, token, factory):
    business = factory.business(timezone="Pacific/Kiritimati")  # UTC+14
    late = datetime(9999, 12, 31, 20, 0)
    factory.slot(business["id"], starts_at=late, ends_at=late + timedelta(hours=1))
    response = client.get(
        url("/availability"),
        query_string={
            "business_id": business["id"],
            "from": "9999-12-25T00:00:00Z",
            "to": "9999-12-31T23:00:00Z",
        },
        headers=bearer(token),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    (listed,) = response.get_json()["data"]
    assert listed["starts_at"] == "9999-12-31T20:00:00Z"
    assert listed["ends_at"] == "9999-12-31T21:00:00Z"


@pytest.mark.parametrize("value", ZERO_DATETIMES)
@pytest.mark.parametrize("column", ["revoked_at", "expires_at"])
def test_a_key_with_a_zero_revocation_or_expiry_fails_closed(client, token, lax, column, value):
    sql(lax, f"UPDATE api_keys SET {column} = %s WHERE prefix = %s", value, token[3:11])  # noqa: S608
    response = client.get(url("/businesses"), headers=bearer(token))
    assert_problem(response, 401, "invalid_token")
