"""A list request costs a fixed number of queries, whatever its limit.

Counted where every statement passes: Database.statements_run in agentapi/db.py.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from agentapi.secret import cursor_secret

from .conftest import sql
from .factories import bearer
from .helpers import assert_problem, get_json_ok, url

LIMITS = (1, 7, 200)


def statements(app, client, token: str, path: str, **params) -> int:
    """How many statements one request ran; it must have succeeded."""
    database = app.extensions["agentapi.db"]
    before = database.statements_run
    get_json_ok(client, token, path, **params)
    return database.statements_run - before


def warm(app, client, token: str) -> None:
    """One request first, so that the key's throttled last_used_at write is behind us,
    and the process's one read of the stored cursor secret."""
    statements(app, client, token, "/businesses")
    with app.app_context():
        cursor_secret()


@pytest.fixture
def busy_business(factory):
    """A business with more invoices than the largest page, two items each."""
    business = factory.business()
    for n in range(205):
        invoice = factory.invoice(business["id"], issue_date=date(2025, 1, 1) + timedelta(days=n))
        factory.item(invoice["id"], position=1)
        factory.item(invoice["id"], position=2)
    return business


def test_invoice_list_runs_the_same_queries_at_every_limit(app, client, token, busy_business):
    warm(app, client, token)
    params = {"business_id": busy_business["id"]}
    counts = {
        limit: statements(app, client, token, "/invoices", **params, limit=limit)
        for limit in LIMITS
    }
    assert len(set(counts.values())) == 1, counts
    # The page only (which checks the business too; the key verified just now is kept):
    # nothing per row.
    assert counts[1] == 1, counts


def test_invoice_items_cost_no_query_of_their_own(app, client, token, busy_business):
    # The page statement reads each invoice's items beside it (with_items).
    warm(app, client, token)
    for limit in LIMITS:
        params = {"business_id": busy_business["id"], "limit": limit}
        plain = statements(app, client, token, "/invoices", **params)
        with_items = statements(app, client, token, "/invoices", **params, include="items")
        assert with_items == plain == 1, (limit, plain, with_items)


def test_every_invoice_sort_and_cursor_page_runs_the_same_queries(
    app, client, token, busy_business
):
    warm(app, client, token)
    counts = set()
    for sort in ("-issue_date", "issue_date", "-updated_at", "updated_at"):
        params = {"business_id": busy_business["id"], "limit": 50, "sort": sort}
        cursor = client.get(url("/invoices"), query_string=params, headers=bearer(token)).json[
            "next_cursor"
        ]
        counts.add(statements(app, client, token, "/invoices", **params))
        counts.add(statements(app, client, token, "/invoices", **params, cursor=cursor))
    assert len(counts) == 1, counts


def test_service_list_runs_the_same_queries_at_every_limit(app, client, factory, token):
    business = factory.business()
    for n in range(10):
        factory.service(business["id"], name=f"Service {n}")
    warm(app, client, token)
    counts = {
        limit: statements(app, client, token, "/services", business_id=business["id"], limit=limit)
        for limit in LIMITS
    }
    assert len(set(counts.values())) == 1, counts


def test_availability_runs_the_same_queries_at_every_limit(app, client, factory, token):
    business = factory.business()
    start = datetime(2030, 1, 7, 9, 0)
    for n in range(10):
        factory.slot(business["id"], starts_at=start + timedelta(hours=n))
    warm(app, client, token)
    window = {"from": "2030-01-07", "to": "2030-01-10"}
    # The first page of a business also reads its time zone, which the process keeps.
    assert statements(app, client, token, "/availability", business_id=business["id"]) == 2
    counts = {
        limit: statements(
            app, client, token, "/availability", business_id=business["id"], limit=limit, **window
        )
        for limit in LIMITS
    }
    assert set(counts.values()) == {1}, counts


def test_business_list_runs_the_same_queries_at_every_limit(app, client, factory, token):
    for n in range(10):
        business = factory.business(name=f"Business {n}")
        factory.template(business["id"])
        factory.template(business["id"], name="Other", is_default=0)
    warm(app, client, token)
    counts = {limit: statements(app, client, token, "/businesses", limit=limit) for limit in LIMITS}
    assert len(set(counts.values())) == 1, counts


# The list queries check the business's existence themselves; a page that comes back
# empty is followed by the lookup that tells a 404 from an empty list.


@pytest.mark.parametrize("path", ["/invoices", "/services"])
def test_deleted_business_with_live_rows_is_404(client, factory, sql_conn, token, path):
    business = factory.business()
    factory.invoice(business["id"])
    factory.service(business["id"])
    sql(sql_conn, "UPDATE businesses SET deleted_at = NOW() WHERE id = %s", business["id"])
    response = client.get(
        url(path), query_string={"business_id": business["id"]}, headers=bearer(token)
    )
    assert_problem(response, 404, "not_found")


@pytest.mark.parametrize("path", ["/invoices", "/services"])
def test_live_business_without_rows_is_an_empty_page(client, factory, token, path):
    business = factory.business()
    response = client.get(
        url(path), query_string={"business_id": business["id"]}, headers=bearer(token)
    )
    assert response.status_code == 200
    assert response.get_json()["data"] == []
