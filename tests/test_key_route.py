"""GET /key, the IETF RateLimit fields, and /health's two checks."""

from __future__ import annotations

import math
import re
import time

from .factories import bearer
from .helpers import assert_problem, url


def test_key_describes_the_key_and_its_limit_after_this_request(make_app, factory):
    client = make_app(RATE_LIMIT="5 per minute").test_client()
    business = factory.business()
    token = factory.key(scopes=["invoices:read"], businesses=(business["id"],), name="report")
    client.get(url("/invoices"), query_string={"business_id": business["id"]},
               headers=bearer(token))  # fmt: skip
    answer = client.get(url("/key"), headers=bearer(token))
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["prefix"] == token.split("_")[1]
    assert body["name"] == "report"
    assert body["scopes"] == ["invoices:read"]
    assert body["businesses"] == [business["id"]]
    assert body["created_at"].endswith("Z") and body["expires_at"] is None
    assert body["rate_limit"]["limit"] == 5
    assert body["rate_limit"]["remaining"] == 3
    assert body["rate_limit"]["used"] == 2
    assert body["rate_limit"]["reset"] == int(answer.headers["X-RateLimit-Reset"])
    assert "key_hash" not in body and token not in answer.get_data(as_text=True)


def test_key_of_an_unrestricted_key_reads_every_business(client, token):
    assert client.get(url("/key"), headers=bearer(token)).get_json()["businesses"] is None


def test_key_needs_a_key_but_no_scope(client, factory):
    assert_problem(client.get(url("/key")), 401, "unauthorized")
    token = factory.key(scopes=["services:read"])
    assert client.get(url("/key"), headers=bearer(token)).status_code == 200
    assert_problem(client.get(url("/key?x=1"), headers=bearer(token)), 400, "invalid_parameter")


def test_counted_answers_carry_the_ietf_ratelimit_fields(make_app, factory):
    client = make_app(RATE_LIMIT="2 per minute").test_client()
    token = factory.key()
    first = client.get(url("/businesses"), headers=bearer(token))
    assert first.headers["RateLimit-Policy"] == '"default";q=2;w=60'
    assert first.headers["RateLimit"] == '"default";r=1;t=0'
    client.get(url("/businesses"), headers=bearer(token))
    refused = client.get(url("/businesses"), headers=bearer(token))
    assert_problem(refused, 429, "rate_limited")
    match = re.fullmatch(r'"default";r=0;t=([0-9]+)', refused.headers["RateLimit"])
    assert match is not None
    until = int(match.group(1))
    assert 1 <= until <= 60
    assert abs(until - int(refused.headers["Retry-After"])) <= 1
    expected_reset = math.ceil(time.time()) + until
    assert abs(int(refused.headers["X-RateLimit-Reset"]) - expected_reset) <= 2


def test_public_answers_carry_no_rate_limit_fields(client, token):
    answer = client.get(url("/schema"), headers=bearer(token))
    assert "RateLimit" not in answer.headers and "X-RateLimit-Limit" not in answer.headers


def test_health_reports_the_database_and_the_limit_storage(client):
    answer = client.get(url("/health"))
    assert answer.get_json() == {"status": "ok", "database": "ok", "rate_limit_storage": "ok"}


def test_health_is_503_naming_a_limit_storage_that_does_not_answer(make_app):
    client = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0").test_client()
    answer = client.get(url("/health"))
    body = assert_problem(answer, 503, "service_unavailable")
    assert body["checks"] == {"database": "ok", "rate_limit_storage": "unavailable"}
    assert answer.headers["Retry-After"] == "5"


def test_health_checks_at_most_once_a_second_per_process(app):
    client = app.test_client()
    database = app.extensions["agentapi.db"]
    client.get(url("/health"))
    before = database.statements_run
    for _ in range(50):
        assert client.get(url("/health")).status_code == 200
    assert database.statements_run - before <= 1
