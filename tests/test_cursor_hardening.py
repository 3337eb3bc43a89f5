"""A decoded cursor is untrusted input: validly signed but malformed payloads are 400s."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime

import pytest

from agentapi.pagination import SIGNATURE_BYTES

from .factories import bearer
from .helpers import assert_problem, url

SECRET = "0123456789abcdef" * 4


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def forge(payload: object, route: str, filters: dict) -> str:
    """A cursor signed with the known secret, holding any payload."""
    if isinstance(payload, dict) and payload.get("b") == "bind":
        canonical = json.dumps([route, filters], sort_keys=True, default=str, separators=(",", ":"))
        payload = {**payload, "b": hashlib.sha256(canonical.encode()).hexdigest()[:16]}
    raw = json.dumps(payload).encode()
    signature = hmac.new(SECRET.encode(), raw, hashlib.sha256).digest()[:SIGNATURE_BYTES]
    return f"{_b64(raw)}.{_b64(signature)}"


@pytest.fixture
def signed_client(make_app):
    return make_app(CURSOR_SECRET=SECRET, RATE_LIMIT="10000 per minute").test_client()


@pytest.mark.parametrize(
    "path, filters, payload",
    [
        ("/businesses", {}, ["not", "an", "object"]),
        ("/businesses", {}, "text"),
        ("/businesses", {}, {"b": "bind", "p": [7]}),
        ("/businesses", {}, {"b": "bind", "p": ["lower-case id"]}),
        ("/services", {"active": None}, {"b": "bind", "p": ["\ud800", "01"]}),
        ("/services", {"active": None}, {"b": "bind", "p": ["x" * 201, "01"]}),
        (
            "/availability",
            {"from": None, "to": None, "service_id": None},
            {"b": "bind", "p": ["2026-01-01T00:00:00.000000", "not-a-date", "x", "01"]},
        ),
        (
            "/invoices",
            {
                "status": None,
                "issued_from": None,
                "issued_to": None,
                "updated_since": None,
                "sort": "-issue_date",
            },  # fmt: skip
            {"b": "bind", "p": ["2026-13-45", "01"]},
        ),
    ],
)
def test_a_validly_signed_malformed_cursor_is_a_400(
    signed_client, token, business, path, filters, payload
):
    bound = {**filters} if path == "/businesses" else {"business_id": business["id"], **filters}
    cursor = forge(payload, path.strip("/"), bound)
    query = {"cursor": cursor}
    if path != "/businesses":
        query["business_id"] = business["id"]
    answer = signed_client.get(url(path), query_string=query, headers=bearer(token))
    body = assert_problem(answer, 400, "invalid_parameter")
    assert body["errors"][0]["parameter"] == "cursor"


def test_an_availability_cursor_cannot_widen_the_window(signed_client, token, factory, business):
    factory.slot(business["id"], starts_at=datetime(2500, 1, 1, 10))
    filters = {"business_id": business["id"], "from": None, "to": None, "service_id": None}
    cursor = forge(
        {
            "b": "bind",
            "p": [
                "1000-01-01T00:00:00.000000",
                "9999-12-31T00:00:00.000000",
                "1000-01-01T00:00:00.000000",
                "",
            ],
        },  # fmt: skip
        "availability",
        filters,
    )
    answer = signed_client.get(
        url("/availability"),
        query_string={"business_id": business["id"], "cursor": cursor},
        headers=bearer(token),
    )
    assert_problem(answer, 400, "invalid_parameter")


def test_a_long_non_ascii_name_gives_a_cursor_the_next_page_accepts(
    client, token, factory, business
):
    for n in range(3):
        factory.service(business["id"], name="\U0001f600" * 199 + str(n))
    first = client.get(
        url("/services"), query_string={"business_id": business["id"], "limit": 1},
        headers=bearer(token),
    ).get_json()  # fmt: skip
    second = client.get(
        url("/services"),
        query_string={"business_id": business["id"], "limit": 1, "cursor": first["next_cursor"]},
        headers=bearer(token),
    )
    assert second.status_code == 200
    assert second.get_json()["data"][0]["name"].endswith("1")
