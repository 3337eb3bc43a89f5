"""Abuse: failed-auth limits, uniform 401s, leaks, tenant isolation, bad input, methods, headers."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import urllib.error
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest

from agentapi import auth

from .conftest import sql
from .factories import ALL_SCOPES, bearer
from .helpers import assert_problem, get, get_json_ok, route_params, url, without_request_id
from .live_server import LiveServer

ROUTES_WITH_BUSINESS = ("/invoices", "/services", "/availability")
ALL_ROUTES = ("/businesses", *ROUTES_WITH_BUSINESS, "/schema", "/health")
REPORTS = ("/invoices/summary", "/invoices/aging")
UNKNOWN_PREFIX_TOKEN = "vb_zzzzzzzz_" + "A" * 32


# --- failed authentication is limited per client address -------------------------------


def bad(client, address="127.0.0.1", path="/businesses", token=UNKNOWN_PREFIX_TOKEN):
    return client.get(url(path), headers=bearer(token), environ_base={"REMOTE_ADDR": address})


def test_failed_authentications_are_limited_per_client_address(make_app):
    client = make_app(AUTH_FAILURE_LIMIT="5 per minute").test_client()
    assert [bad(client).status_code for _ in range(5)] == [401] * 5
    response = bad(client)
    assert_problem(response, 429, "rate_limited")
    assert 1 <= int(response.headers["Retry-After"]) <= 61
    # Retry-After follows the configured window.
    short = make_app(AUTH_FAILURE_LIMIT="1 per 2 seconds").test_client()
    assert bad(short).status_code == 401
    response = bad(short)
    assert_problem(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) in (1, 2)


def test_default_failure_limit_is_30_per_minute(make_app):
    client = make_app().test_client()
    assert [bad(client).status_code for _ in range(30)] == [401] * 30
    assert bad(client).status_code == 429


def test_failures_from_one_address_do_not_limit_another(make_app):
    client = make_app(AUTH_FAILURE_LIMIT="3 per minute").test_client()
    for _ in range(4):
        bad(client, "10.0.0.1")
    assert bad(client, "10.0.0.1").status_code == 429
    assert bad(client, "10.0.0.2").status_code == 401


def test_over_the_limit_guessed_tokens_reach_the_key_table_a_trickle_only(make_app):
    app = make_app(AUTH_FAILURE_LIMIT="3 per minute")
    client = app.test_client()
    for _ in range(3):
        bad(client)
    database = app.extensions["agentapi.db"]
    before = database.statements_run
    started = time.monotonic()
    statuses = {bad(client, token=f"vb_{n:08d}_" + "B" * 32).status_code for n in range(40)}
    elapsed = time.monotonic() - started
    assert statuses == {429}
    # BLOCKED_LOOKUP_LIMIT is 10 per second: one lookup statement each, at most, plus
    # one read of the key prefixes per second (agentapi/auth.py, KeyPrefixes).
    assert database.statements_run - before <= (10 + 1) * (1 + int(elapsed))


def test_a_new_valid_key_works_from_an_address_over_its_failure_limit(make_app, factory):
    client = make_app(AUTH_FAILURE_LIMIT="3 per minute", RATE_LIMIT="1000 per minute").test_client()
    for _ in range(5):
        bad(client)
    assert bad(client).status_code == 429
    fresh = factory.key()  # never used in this process
    assert client.get(url("/businesses"), headers=bearer(fresh)).status_code == 200
    assert bad(client).status_code == 429


def test_failed_lookups_on_unknown_routes_count_against_the_address(make_app):
    client = make_app(AUTH_FAILURE_LIMIT="3 per minute").test_client()
    assert [bad(client, path="/nope").status_code for _ in range(3)] == [404] * 3
    assert bad(client).status_code == 429


def test_a_valid_key_is_not_held_up_by_failures_from_its_address(make_app, factory):
    token = factory.key()
    client = make_app(AUTH_FAILURE_LIMIT="3 per minute", RATE_LIMIT="1000 per minute").test_client()
    assert client.get(url("/businesses"), headers=bearer(token)).status_code == 200
    for _ in range(5):
        bad(client)
    assert bad(client).status_code == 429
    assert client.get(url("/businesses"), headers=bearer(token)).status_code == 200


def test_successful_requests_never_count_as_failures(make_app, factory):
    token = factory.key()
    client = make_app(AUTH_FAILURE_LIMIT="3 per minute", RATE_LIMIT="1000 per minute").test_client()
    statuses = {
        client.get(url("/businesses"), headers=bearer(token)).status_code for _ in range(50)
    }
    assert statuses == {200}
    assert bad(client).status_code == 401


@pytest.mark.parametrize(
    ("where", "build"),
    [
        ("query string", lambda t: ({}, {"access_token": t})),
        ("basic scheme", lambda t: ({"Authorization": f"Basic {t}"}, {})),
        ("bare header", lambda t: ({"Authorization": t}, {})),
        ("other header", lambda t: ({"X-API-Key": t}, {})),
    ],
)
def test_token_is_accepted_only_as_a_bearer_header(client, factory, where, build):
    headers, query = build(factory.key())
    response = client.get(url("/businesses"), headers=headers, query_string=query)
    assert_problem(response, 401, "unauthorized")


# --- every bad token looks the same -------------------------------------------------------


@pytest.fixture
def bad_tokens(factory, sql_conn):
    """One token of each kind that must fail, keyed by what is wrong with it."""
    real = factory.key()
    expired = factory.key(expires_in_days=1)
    revoked = factory.key()
    sql(
        sql_conn,
        "UPDATE api_keys SET expires_at = UTC_TIMESTAMP() - INTERVAL 1 SECOND WHERE prefix = %s",
        expired[3:11],
    )
    sql(
        sql_conn,
        "UPDATE api_keys SET revoked_at = UTC_TIMESTAMP() WHERE prefix = %s",
        revoked[3:11],
    )
    return {
        "unknown prefix": UNKNOWN_PREFIX_TOKEN,
        "wrong secret": real[:12] + ("A" if real[12] != "A" else "B") + real[13:],
        "wrong last secret character": real[:-1] + ("A" if real[-1] != "A" else "B"),
        "malformed": "not-a-token",
        "malformed short secret": real[:-1],
        "uppercase prefix": "vb_" + real[3:11].upper() + real[11:],
        "expired": expired,
        "revoked": revoked,
    }


def test_unknown_wrong_expired_and_revoked_tokens_get_the_same_401(client, bad_tokens):
    """Malformed, unknown, wrong, expired and revoked: one answer, to the header."""
    seen = {}
    for kind, token in bad_tokens.items():
        response = get(client, token, "/businesses")
        body = assert_problem(response, 401, "invalid_token")
        assert response.headers["WWW-Authenticate"] == (
            'Bearer realm="agentapi", error="invalid_token"'
        ), kind
        body.pop("request_id")
        headers = {k: v for k, v in response.headers.items() if k != "X-Request-ID"}
        seen[kind] = (response.status_code, body, headers)
    first = seen["unknown prefix"]
    assert first[0] == 401 and first[1]["code"] == "invalid_token"
    for kind, answer in seen.items():
        assert answer == first, kind


def test_unknown_prefix_and_wrong_secret_both_compare_full_hashes(client, bad_tokens, monkeypatch):
    calls = []
    real_compare = hmac.compare_digest

    def recording_compare(a, b):
        calls.append((len(a), len(b)))
        return real_compare(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", recording_compare)
    for kind in ("unknown prefix", "wrong secret"):
        client.get(url("/businesses"), headers=bearer(bad_tokens[kind]))
    assert calls == [(64, 64), (64, 64)]


# --- no secret in any log line or response ------------------------------------------------


def _fetch(url, headers):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_tokens_hashes_and_database_password_never_reach_logs_or_responses(mariadb, tmp_path):
    from agentapi.config import parse_database_url
    from agentapi.db import Database
    from agentapi.sqlfiles import load_queries

    from .factories import Factory

    factory = Factory(Database(parse_database_url("DATABASE_URL", mariadb.url), load_queries()))
    business = factory.business()
    factory.invoice(business["id"])
    valid = factory.key()
    wrong = valid[:12] + ("A" if valid[12] != "A" else "B") + valid[13:]
    unknown = "vb_qqqqqqqq_" + "C" * 32
    tokens = [valid, wrong, unknown]
    log = tmp_path / "gunicorn.log"
    server = LiveServer(log, DATABASE_URL=mariadb.url, LOG_LEVEL="DEBUG")
    answers = []
    with server:
        invoices = server.url(f"/invoices?business_id={business['id']}")
        for token in tokens:
            answers.append(_fetch(invoices, bearer(token)))
            answers.append(_fetch(server.url("/businesses"), bearer(token)))
            answers.append(_fetch(f"{invoices}&token={token}", bearer(valid)))
            answers.append(_fetch(server.url(f"/{token}"), bearer(token)))
            answers.append(_fetch(invoices, {**bearer(token), "X-Request-ID": token}))
            answers.append(_fetch(invoices, {"Authorization": f"Basic {token}"}))
        mariadb.stop()  # errors, with their stack traces, are logged too
        answers.append(_fetch(invoices, bearer(valid)))
        answers.append(_fetch(server.url("/health"), {}))
        mariadb.start()
        answers.append(_fetch(invoices, bearer(valid)))
    text = log.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    # The run was real: valid requests, failures and database errors were all logged.
    statuses = {line.get("status") for line in lines if line.get("message") == "request"}
    assert {200, 400, 401, 404, 503} <= statuses
    assert any(line.get("key_prefix") == valid[3:11] for line in lines)
    assert any("stack" in line for line in lines)
    responses = "\n".join(
        f"{status} {headers!r} {body.decode('utf-8', 'replace')}"
        for status, headers, body in answers
    )
    secrets = {mariadb.password}
    for token in tokens:
        secrets |= {token, token[12:], hashlib.sha256(token.encode()).hexdigest()}
    for secret in secrets:
        assert secret not in text, "a secret reached the log"
        assert secret not in responses, "a secret reached a response"
    # No framework or version banner: gunicorn names itself, without a version.
    banners = {headers.get("Server", "") for _, headers, _ in answers}
    assert all(not re.search(r"[0-9/]|werkzeug|python|flask", b, re.I) for b in banners), banners
    assert not any("X-Powered-By" in headers for _, headers, _ in answers)


# --- a key restricted to business A never reads business B --------------------------------


def _business_b_leaks(response, world) -> bool:
    """Whether any of B's data (beyond the id the client sent) is in the response."""
    text = response.get_data(as_text=True)
    return any(
        secret in text for secret in ("svc B", "tpl B", "B-0", "B-1", world["B"]["service"]["id"])
    ) or '"name": "B"' in text.replace('":"', '": "')


@pytest.mark.parametrize("route", ROUTES_WITH_BUSINESS)
def test_restricted_key_gets_404_for_another_business(client, two_businesses, route):
    """The 404 for another business reads as one for a business that never existed,
    its detail too (but for the id)."""
    world = two_businesses
    b_id = world["B"]["business"]["id"]
    response = get(client, world["restricted"], route, business_id=b_id)
    other = assert_problem(response, 404, "not_found")
    other = {**without_request_id(other), "detail": other["detail"].replace(b_id, "<id>")}
    for missing_id in ("0NOSUCHBUSINESS", "0" * 26):
        missing = get(client, world["restricted"], route, business_id=missing_id)
        never = assert_problem(missing, 404, "not_found")
        never = {**without_request_id(never), "detail": never["detail"].replace(missing_id, "<id>")}
        assert other == never, missing_id


def test_restricted_key_lists_only_its_own_businesses(client, two_businesses):
    world = two_businesses
    seen, cursor = [], None
    while True:
        query = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        response = client.get(
            url("/businesses"), query_string=query, headers=bearer(world["restricted"])
        )
        assert response.status_code == 200
        body = response.get_json()
        seen += [b["id"] for b in body["data"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == [world["A"]["business"]["id"]]
    whole = get_json_ok(client, world["restricted"], "/businesses")
    assert [b["id"] for b in whole["data"]] == [world["A"]["business"]["id"]]


@pytest.mark.parametrize("route", ROUTES_WITH_BUSINESS)
def test_cursor_from_another_keys_page_opens_no_other_business(client, two_businesses, route):
    world = two_businesses
    b_id, a_id = world["B"]["business"]["id"], world["A"]["business"]["id"]
    page = client.get(
        url(route),
        query_string={"business_id": b_id, "limit": 1},
        headers=bearer(world["unrestricted"]),
    ).get_json()
    cursor = page["next_cursor"]
    assert cursor
    with_b = client.get(
        url(route),
        query_string={"business_id": b_id, "limit": 1, "cursor": cursor},
        headers=bearer(world["restricted"]),
    )
    assert with_b.status_code == 404
    with_a = client.get(
        url(route),
        query_string={"business_id": a_id, "limit": 1, "cursor": cursor},
        headers=bearer(world["restricted"]),
    )
    assert assert_problem(with_a, 400, "invalid_parameter")["errors"][0]["parameter"] == "cursor"
    assert not _business_b_leaks(with_b, world) and not _business_b_leaks(with_a, world)


def test_business_cursor_from_an_unrestricted_key_opens_no_other_business(client, two_businesses):
    world = two_businesses
    first = client.get(
        url("/businesses"), query_string={"limit": 1}, headers=bearer(world["unrestricted"])
    ).get_json()
    response = client.get(
        url("/businesses"),
        query_string={"limit": 1, "cursor": first["next_cursor"]},
        headers=bearer(world["restricted"]),
    )
    assert response.status_code == 200
    assert not _business_b_leaks(response, world)


def test_service_id_of_another_business_reveals_nothing(client, two_businesses):
    world = two_businesses
    response = client.get(
        url("/availability"),
        query_string={
            "business_id": world["A"]["business"]["id"],
            "service_id": world["B"]["service"]["id"],
        },
        headers=bearer(world["restricted"]),
    )
    assert response.status_code == 200
    assert response.get_json()["data"] == []
    assert not _business_b_leaks(response, world)


# --- the bad-input catalogue ---------------------------------------------------------------

PARAMETERS = {
    "/businesses": ("limit", "cursor"),
    "/invoices": (
        "business_id",
        "status",
        "issued_from",
        "issued_to",
        "updated_since",
        "sort",
        "include",
        "limit",
        "cursor",
    ),
    "/services": ("business_id", "active", "limit", "cursor"),
    "/availability": ("business_id", "from", "to", "service_id", "limit", "cursor"),
}
BAD_VALUES = {
    "sql quote": "' OR '1'='1",
    "sql statement": "1; DROP TABLE invoices; --",
    "sql comment": "01HTENANT0000000000000000'--",
    "nul byte": "\x00",
    "nul inside": "2026-01-01\x00",
    "very long": "A" * 5000,
    "huge number": "9" * 40,
    "negative": "-1",
    "zero": "0",
    "float": "1.5",
    "leap day": "2024-02-29",
    "not a leap day": "2023-02-29",
    "month 13": "2026-13-01",
    "zero date": "0000-00-00",
    "year 1": "0001-01-01",
    "year 9999": "9999-12-31",
    "max offset": "2026-01-01T00:00:00+23:59",
    "past the end": "9999-12-31T23:59:59-23:59",
    "before the start": "0001-01-01T00:00:00+23:59",
    "dst gap": "2026-03-29T02:30:00+01:00",
    "hour 24": "2026-01-01T24:00:00Z",
    "leap second": "2016-12-31T23:59:60Z",
    "nanoseconds": "2026-01-01T12:00:00.123456789Z",
    "no offset": "2026-01-01T12:00:00",
    "unicode digits": "٢٠٢٦-٠١-٠١",
    "emoji": "😀",
    "empty": "",
    "spaces": "   ",
    "newline": "sent\r\nX-Injected: 1",
}


@pytest.fixture
def tenant(factory):
    """A business east of UTC (so dates near year 1 underflow) with a key."""
    business = factory.business(timezone="Pacific/Kiritimati")
    factory.invoice(business["id"], issue_date=date(2024, 2, 29))
    factory.service(business["id"])
    factory.slot(
        business["id"], starts_at=datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=3)
    )
    return business["id"], factory.key()


def _check_answer(response, parameter):
    """None if the answer is a 4xx naming the parameter or a well-formed list, else why not."""
    if response.status_code == 200:
        body = response.get_json()
        if set(body) != {"data", "has_more", "next_cursor"}:
            return f"200 without a list envelope: {body}"
        return None
    if response.status_code not in (400, 404) or response.mimetype != "application/problem+json":
        return f"{response.status_code} {response.mimetype}: {response.data[:200]!r}"
    if parameter == "business_id" and response.status_code == 404:
        return None  # a well-formed id of no business the key may read
    named = [e["parameter"] for e in response.get_json()["errors"]]
    return None if named == [parameter] else f"400 naming {named}"


@pytest.mark.parametrize(
    ("route", "parameter"), [(r, p) for r, params in PARAMETERS.items() for p in params]
)
def test_bad_values_get_a_400_naming_the_parameter_or_a_correct_list(
    client, tenant, route, parameter
):
    business_id, token = tenant
    failures = {}
    for label, value in BAD_VALUES.items():
        query = {} if route == "/businesses" else {"business_id": business_id}
        query[parameter] = value
        response = client.get(url(route), query_string=urlencode(query), headers=bearer(token))
        why = _check_answer(response, parameter)
        if why:
            failures[label] = why
        assert "X-Injected" not in response.headers
    raw = (
        f"{parameter}=%FF%FE%00"
        if route == "/businesses"
        else f"business_id={business_id}&{parameter}=%FF%FE"
    )
    why = _check_answer(client.get(url(route), query_string=raw, headers=bearer(token)), parameter)
    if why:
        failures["invalid utf-8"] = why
    assert not failures


@pytest.mark.parametrize(
    ("route", "parameter"), [(r, p) for r, params in PARAMETERS.items() for p in params]
)
def test_repeated_parameters_are_a_400_naming_them(client, tenant, route, parameter):
    business_id, token = tenant
    pairs = (
        []
        if route == "/businesses" or parameter == "business_id"
        else [("business_id", business_id)]
    )
    pairs += [(parameter, "1"), (parameter, "2")]
    response = client.get(url(route), query_string=urlencode(pairs), headers=bearer(token))
    assert assert_problem(response, 400, "invalid_parameter")["errors"] == [
        {"parameter": parameter, "message": "must be given at most once"}
    ]


def test_leap_day_filter_finds_the_leap_day_invoice(client, tenant):
    business_id, token = tenant
    query = {"business_id": business_id, "issued_from": "2024-02-29", "issued_to": "2024-02-29"}
    response = client.get(url("/invoices"), query_string=query, headers=bearer(token))
    assert [i["issue_date"] for i in response.get_json()["data"]] == ["2024-02-29"]


@pytest.mark.parametrize(
    ("value", "found"),
    [("9999-12-31T23:59:59-23:59", 0), ("0001-01-01T00:00:00+23:59", 1)],
    ids=["after the calendar", "before the calendar"],
)
def test_updated_since_past_the_calendar_edge_is_a_correct_list(client, tenant, value, found):
    business_id, token = tenant
    query = {"business_id": business_id, "updated_since": value}
    response = client.get(url("/invoices"), query_string=query, headers=bearer(token))
    assert response.status_code == 200
    assert len(response.get_json()["data"]) == found


def test_impossible_date_is_a_400_naming_it(client, tenant):
    business_id, token = tenant
    query = {"business_id": business_id, "issued_to": "2023-02-29"}
    response = client.get(url("/invoices"), query_string=query, headers=bearer(token))
    assert assert_problem(response, 400, "invalid_parameter")["errors"][0] == {
        "parameter": "issued_to",
        "message": "is not a real calendar date",
    }


@pytest.mark.parametrize("route", PARAMETERS)
def test_8_kb_query_string_is_answered_in_json(client, tenant, route):
    business_id, token = tenant
    query = {} if route == "/businesses" else {"business_id": business_id}
    query["cursor"] = "x" * 8192
    response = client.get(url(route), query_string=urlencode(query), headers=bearer(token))
    assert assert_problem(response, 400, "invalid_parameter")["errors"][0]["parameter"] == "cursor"


@pytest.mark.parametrize("route", PARAMETERS)
def test_100_parameters_are_a_400_naming_an_unknown_one(client, tenant, route):
    business_id, token = tenant
    pairs = [] if route == "/businesses" else [("business_id", business_id)]
    pairs += [(f"p{n}", str(n)) for n in range(100)]
    response = client.get(url(route), query_string=urlencode(pairs), headers=bearer(token))
    assert assert_problem(response, 400, "invalid_parameter")["errors"][0]["parameter"] == "p0"


# --- methods ----------------------------------------------------------------------------


@pytest.mark.parametrize("route", ALL_ROUTES)
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "TRACE", "CONNECT"])
def test_methods_other_than_get_and_head_get_405_with_allow(client, factory, route, method):
    response = client.open(url(route), method=method, headers=bearer(factory.key()))
    body = assert_problem(response, 405, "method_not_allowed")
    assert {m.strip() for m in response.headers["Allow"].split(",")} == {"GET", "HEAD", "OPTIONS"}
    assert "GET" in body["detail"]


@pytest.mark.parametrize("route", ALL_ROUTES)
def test_options_is_answered_without_data(client, route):
    response = client.options(url(route))  # without a key, as a CORS preflight comes
    assert response.status_code == 200
    assert response.data == b""
    assert {m.strip() for m in response.headers["Allow"].split(",")} == {"GET", "HEAD", "OPTIONS"}


@pytest.mark.parametrize("route", [*ROUTES_WITH_BUSINESS, "/businesses", *REPORTS])
def test_head_answers_headers_only(client, tenant, route):
    """HEAD answers as GET does on every data route, headers only."""
    business_id, token = tenant
    params = route_params(route, business_id)
    got = get(client, token, route, **params)
    head = client.head(url(route), query_string=params, headers=bearer(token))
    assert head.status_code == got.status_code == 200
    assert head.data == b""
    assert head.headers["Content-Type"] == got.headers["Content-Type"] == "application/json"
    assert head.headers["Cache-Control"] == "no-store"
    assert head.headers["X-RateLimit-Limit"] and "X-RateLimit-Remaining" in head.headers


# --- headers on every response ----------------------------------------------------------


def _sample_responses(client, factory, token, business_id):
    """One response of every kind the service gives, by its status (and what it is)."""
    key = bearer(token)
    narrow = bearer(factory.key(scopes=["invoices:read"]))
    return {
        "200 list": client.get(
            url("/services"), query_string={"business_id": business_id}, headers=key
        ),
        "200 schema": client.get(url("/schema")),
        "200 health": client.get(url("/health")),
        "400": client.get(url("/services"), query_string={"business_id": "x!"}, headers=key),
        "401 none": client.get(url("/services")),
        "401 bad": client.get(url("/services"), headers=bearer(UNKNOWN_PREFIX_TOKEN)),
        "403": client.get(
            url("/services"), query_string={"business_id": business_id}, headers=narrow
        ),
        "404 route": client.get(url("/nope"), headers=key),
        "404 business": client.get(
            url("/services"), query_string={"business_id": "0NONE"}, headers=key
        ),
        "405": client.post(url("/services"), headers=key),
        "200 options": client.options(url("/services")),
    }


def test_every_response_carries_nosniff_and_no_banner(client, factory, tenant):
    for kind, response in _sample_responses(client, factory, tenant[1], tenant[0]).items():
        assert response.headers["X-Content-Type-Options"] == "nosniff", kind
        assert "Server" not in response.headers and "X-Powered-By" not in response.headers, kind


def test_every_authenticated_answer_is_no_store(client, factory, tenant):
    for kind, response in _sample_responses(client, factory, tenant[1], tenant[0]).items():
        assert response.status_code == int(kind[:3]), kind
        if kind != "200 schema":
            assert response.headers["Cache-Control"] == "no-store", kind


def test_no_cors_headers_unless_configured(client, tenant):
    business_id, token = tenant
    response = client.get(
        url("/services"),
        query_string={"business_id": business_id},
        headers={**bearer(token), "Origin": "https://evil.example"},
    )
    assert response.status_code == 200
    assert not [h for h, _ in response.headers if h.lower().startswith("access-control-")]


def test_cors_headers_only_for_a_configured_origin(make_app, tenant):
    business_id, token = tenant
    client = make_app(CORS_ORIGINS="https://dash.example").test_client()
    query = {"business_id": business_id}
    allowed = get(client, token, "/services", headers={"Origin": "https://dash.example"}, **query)
    other = get(client, token, "/services", headers={"Origin": "https://evil.example"}, **query)
    assert allowed.status_code == other.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://dash.example"
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    assert not [h for h, _ in other.headers if h.lower().startswith("access-control-")]


# --- scopes, the per-key limit, stored data -------------------------------------------------


@pytest.mark.parametrize(
    ("route", "scope"),
    [
        ("/businesses", "businesses:read"),
        ("/invoices", "invoices:read"),
        ("/services", "services:read"),
        ("/availability", "availability:read"),
        ("/invoices/summary", "invoices:read"),
        ("/invoices/aging", "invoices:read"),
    ],
)
def test_key_without_the_route_scope_gets_403(client, factory, tenant, route, scope):
    """A key with every other scope, or with any one other scope, gets the same 403.

    The scope is checked before the parameters: a malformed business id is still a 403.
    A key with that scope alone reads the route.
    """
    business_id, _ = tenant
    others = [s for s in ALL_SCOPES if s != scope]
    for scopes in [others, *([s] for s in others)]:
        token = factory.key(scopes)
        for query in (route_params(route, business_id), {"business_id": "A"}):
            response = get(client, token, route, **query)
            body = assert_problem(response, 403, "insufficient_scope")
            assert body["required_scope"] == scope, scopes
            assert "data" not in body
            assert response.headers["WWW-Authenticate"] == (
                f'Bearer error="insufficient_scope", scope="{scope}"'
            )
    alone = factory.key([scope])
    assert get(client, alone, route, **route_params(route, business_id)).status_code == 200


def test_key_over_its_rate_limit_gets_429(make_app, factory):
    client = make_app(RATE_LIMIT="3 per 2 seconds").test_client()
    token = factory.key()
    assert [get(client, token, "/businesses").status_code for _ in range(3)] == [200] * 3
    response = get(client, token, "/businesses")
    body = assert_problem(response, 429, "rate_limited")
    assert 1 <= int(response.headers["Retry-After"]) <= 2
    assert body["detail"]
    assert get(client, factory.key(), "/businesses").status_code == 200


def test_stored_markup_is_returned_as_json_data_only(client, factory):
    markup = '<script>alert("x")</script>'
    factory.business(name=markup)
    response = client.get(url("/businesses"), headers=bearer(factory.key()))
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.get_json()["data"][0]["name"] == markup


def test_every_test_the_threat_model_cites_exists():
    root = Path(__file__).resolve().parent.parent
    text = (root / "docs" / "security.md").read_text(encoding="utf-8")
    cited = set(re.findall(r"`(tests/[a-z_]+\.py)::(test_[a-z0-9_]+)`", text))
    assert len(cited) >= 40
    for path, name in sorted(cited):
        source = (root / path).read_text(encoding="utf-8")
        assert re.search(rf"^def {name}\(", source, re.M), f"{path}::{name} does not exist"


def test_a_valid_key_is_not_refused_while_others_flood_its_address(make_app, factory):
    # Review finding 4: others' bad tokens used up the lookup trickle, and a valid key
    # from the same address (a NAT, an office, the PHP host) got 429s.
    token = factory.key()  # made before the flood, never used in this process
    client = make_app(AUTH_FAILURE_LIMIT="3 per minute", RATE_LIMIT="1000 per minute").test_client()
    for n in range(60):  # far past the failure limit and the 10-a-second trickle
        assert bad(client, token=f"vb_{n:08d}_" + "C" * 32).status_code in (401, 429)
    assert bad(client).status_code == 429
    for _ in range(5):
        answer = client.get(url("/businesses"), headers=bearer(token))
        assert answer.status_code == 200
