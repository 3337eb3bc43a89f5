"""Real responses, nulls and all, match the schemas the OpenAPI document promises."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from openapi_schema_validator import OAS30Validator

from .factories import bearer
from .helpers import url


@pytest.fixture
def document(client):
    return client.get(url("/schema")).get_json()


def validate(document, component, body):
    schema = {"$ref": f"#/components/schemas/{component}", "components": document["components"]}
    OAS30Validator(schema).validate(body)


@pytest.fixture
def seeded(factory):
    full = factory.business(
        legal_name="Full GmbH", email="a@b.example", phone="+1", country="DE", timezone="UTC"
    )
    bare = factory.business(
        legal_name=None, email=None, phone=None, country=None, timezone="America/New_York"
    )
    for business in (full, bare):
        template = factory.template(business["id"], payment_terms_days=None, notes="n")
        service = factory.service(business["id"], description=None, is_active=0)
        paid = factory.invoice(
            business["id"],
            template_id=template["id"],
            status="paid",
            due_date=datetime(2026, 1, 15).date(),
            amount_paid=Decimal("119.00"),
            paid_at=datetime(2026, 1, 3, 4, 5, 6, 789),
        )
        factory.invoice(business["id"], customer_email=None, status="draft")
        factory.item(paid["id"], service_id=service["id"], quantity=Decimal("0.125"))
        factory.item(paid["id"], position=2, service_id=None)
        factory.slot(business["id"], service_id=None, starts_at=datetime(2026, 7, 1, 9))
        factory.slot(business["id"], service_id=service["id"], starts_at=datetime(2026, 7, 1, 10))
    return full, bare


@pytest.mark.parametrize(
    ("path", "params", "component"),
    [
        ("/businesses", {}, "BusinessList"),
        ("/invoices", {}, "InvoiceList"),
        ("/invoices", {"include": "items"}, "InvoiceList"),
        ("/services", {}, "ServiceList"),
        ("/availability", {"from": "2026-07-01"}, "AvailabilityList"),
    ],
)
def test_list_bodies_match_their_schema(client, factory, document, seeded, path, params, component):
    token = factory.key()
    for business in seeded:
        query = dict(params) if path == "/businesses" else {"business_id": business["id"], **params}
        for limit in (1, 50):
            response = client.get(
                url(path), query_string={**query, "limit": limit}, headers=bearer(token)
            )
            assert response.status_code == 200
            body = response.get_json()
            assert body["data"]
            validate(document, component, body)


def test_health_matches_its_schema(client, document):
    validate(document, "Health", client.get(url("/health")).get_json())


@pytest.mark.parametrize(
    ("path", "params", "key", "status"),
    [
        ("/invoices", {}, None, 401),
        ("/invoices", {}, "bad", 401),
        ("/invoices", {"business_id": "A"}, "services", 403),
        ("/invoices", {"business_id": "A", "limit": "0"}, "all", 400),
        ("/invoices", {"business_id": "A"}, "all", 404),
        ("/nothing", {}, None, 404),
    ],
)
def test_problem_bodies_match_the_problem_schema(
    client, factory, document, path, params, key, status
):
    headers = {}
    if key == "bad":
        headers = bearer("vb_aaaaaaaa_" + "b" * 32)
    elif key == "services":
        headers = bearer(factory.key(scopes=["services:read"]))
    elif key == "all":
        headers = bearer(factory.key())
    response = client.get(url(path), query_string=params, headers=headers)
    assert response.status_code == status
    validate(document, "Problem", response.get_json())
