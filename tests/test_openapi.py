"""openapi.yaml is generated from the code, valid, and served at /schema."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from agentapi import create_app
from agentapi.openapi import build_spec, spec_yaml

from .factories import bearer
from .helpers import PREFIX, route_params, url

ROOT = Path(__file__).resolve().parent.parent


def test_committed_openapi_yaml_matches_the_code():
    app = create_app({"DATABASE_URL": "mysql://nobody@127.0.0.1:1/none"})
    committed = (ROOT / "openapi.yaml").read_text(encoding="utf-8")
    assert committed == spec_yaml(build_spec(app)), "run `make openapi` and commit openapi.yaml"


def test_openapi_yaml_is_a_valid_openapi_3_0_document():
    document = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    validate(document)
    assert document["openapi"] == "3.0.3"


def test_schema_route_is_public_and_serves_the_same_document(client):
    response = client.get(url("/schema"))
    assert response.status_code == 200
    document = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    assert response.get_json() == document


# Headers every HTTP response may carry that the document need not describe.
HTTP_FRAMING = {"Content-Type", "Content-Length"}


def _documented_headers(document, path, status):
    """{name: schema} of the headers the document describes on one response."""
    response = document["paths"][url(path)]["get"]["responses"][str(status)]
    if "$ref" in response:
        response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    headers = {}
    for name, header in response.get("headers", {}).items():
        if "$ref" in header:
            header = document["components"]["headers"][header["$ref"].rsplit("/", 1)[1]]
        headers[name] = header["schema"]
    return headers


def _assert_headers_described(document, path, response):
    documented = _documented_headers(document, path, response.status_code)
    sent = {name for name, _ in response.headers if name not in HTTP_FRAMING}
    assert sent <= set(documented), (path, response.status_code, sent - set(documented))
    for name in sent:
        schema = documented[name]
        value = response.headers[name]
        OAS30Validator(schema).validate(int(value) if schema["type"] == "integer" else value)


@pytest.fixture
def document():
    return yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("path", "params", "key", "status"),
    [
        ("/businesses", {"limit": 1}, "all", 200),
        ("/invoices", {"limit": 1}, "all", 200),
        ("/services", {}, "all", 200),
        ("/availability", {"from": "2026-07-01"}, "all", 200),
        ("/schema", {}, None, 200),
        ("/health", {}, None, 200),
        ("/invoices", {"limit": 0}, "all", 400),
        ("/invoices", {}, None, 401),
        ("/invoices", {}, "bad", 401),
        ("/invoices", {}, "services", 403),
        ("/invoices", {"business_id": "NOSUCHBUSINESS"}, "all", 404),
        ("/invoices", {"status": "x" * 17000}, "all", 414),
        ("/health", {"x": "x" * 17000}, None, 414),
        ("/invoices", {}, "many-headers", 431),
    ],
)
def test_every_header_a_response_carries_is_described_on_it(
    client, factory, document, path, params, key, status
):
    business = factory.business()
    factory.business()
    for day in (1, 2):
        factory.invoice(business["id"], issue_date=date(2026, 1, day))
    factory.service(business["id"])
    factory.slot(business["id"], starts_at=datetime(2026, 7, 1, 9))
    headers = {
        None: {},
        "bad": bearer("vb_aaaaaaaa_" + "b" * 32),
        "all": bearer(factory.key()),
        "services": bearer(factory.key(scopes=["services:read"])),
        "many-headers": {f"X-Extra-{n}": "1" for n in range(120)},
    }[key]
    query = {**route_params(path, business["id"]), **params} if key else params
    # The query in the URL itself: the test client's RAW_URI then holds all of it.
    response = client.get(f"{PREFIX}{path}?{urlencode(query)}", headers=headers)
    assert response.status_code == status
    if path in ("/businesses", "/invoices") and status == 200:
        assert "Link" in response.headers
    _assert_headers_described(document, path, response)
    if status >= 400:
        problem = {"$ref": "#/components/schemas/Problem", "components": document["components"]}
        OAS30Validator(problem).validate(response.get_json())


def test_headers_of_a_429_are_described_on_it(make_app, factory, document):
    client = make_app(RATE_LIMIT="1 per minute").test_client()
    token = factory.key()
    client.get(url("/businesses"), headers=bearer(token))
    response = client.get(url("/businesses"), headers=bearer(token))
    assert response.status_code == 429
    _assert_headers_described(document, "/businesses", response)
