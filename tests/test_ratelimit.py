"""Per-key rate limit: moving window, headers, what counts and what does not."""

from __future__ import annotations

import math
import time

import pytest

from .factories import bearer
from .helpers import assert_problem, get, url

LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


def test_a_429_carries_the_rate_limit_headers_with_nothing_remaining(make_app, factory):
    client = make_app(RATE_LIMIT="2 per 2 seconds").test_client()
    token = factory.key()
    get(client, token, "/businesses")
    get(client, token, "/businesses")
    response = get(client, token, "/businesses")
    assert response.status_code == 429
    assert response.headers["X-RateLimit-Limit"] == "2"
    assert response.headers["X-RateLimit-Remaining"] == "0"


def test_authenticated_responses_count_down_the_remaining_requests(make_app, factory):
    client = make_app(RATE_LIMIT="3 per 2 seconds").test_client()
    token = factory.key()
    seen = []
    for _ in range(3):
        response = get(client, token, "/businesses")
        assert response.headers["X-RateLimit-Limit"] == "3"
        seen.append(response.headers["X-RateLimit-Remaining"])
    assert seen == ["2", "1", "0"]


def test_reset_is_the_unix_time_when_a_slot_frees(make_app, factory):
    client = make_app(RATE_LIMIT="3 per 2 seconds").test_client()
    token = factory.key()
    before = time.time()
    response = get(client, token, "/businesses")
    after = time.time()
    # The only request leaves the 2 s window 2 s after it was made.
    assert (
        math.ceil(before + 2) <= int(response.headers["X-RateLimit-Reset"]) <= math.ceil(after + 2)
    )


def test_retry_after_matches_when_the_oldest_request_leaves_the_window(make_app, factory):
    client = make_app(RATE_LIMIT="1 per 2 seconds").test_client()
    token = factory.key()
    get(client, token, "/businesses")
    blocked = get(client, token, "/businesses")
    assert blocked.status_code == 429
    wait = int(blocked.headers["Retry-After"])
    assert wait in (1, 2)
    time.sleep(wait + 0.05)
    assert get(client, token, "/businesses").status_code == 200


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/businesses", {}, 200),
        ("/businesses", {"limit": "0"}, 400),
        ("/services", {"business_id": "0"}, 403),
        ("/invoices", {"business_id": "0"}, 404),
        ("/no-such-route", {}, 404),
    ],
)
def test_retry_after_is_only_on_429s(make_app, factory, path, params, status):
    client = make_app(RATE_LIMIT="10 per 2 seconds").test_client()
    token = factory.key(scopes=["businesses:read", "invoices:read"])
    response = get(client, token, path, **params)
    assert response.status_code == status
    assert "Retry-After" not in response.headers
    for name in LIMIT_HEADERS:
        assert name in response.headers


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/businesses", {"limit": "0"}, 400),
        ("/services", {"business_id": "0"}, 403),
        ("/invoices", {"business_id": "0"}, 404),
        ("/no-such-route", {}, 404),
    ],
)
def test_failed_authenticated_requests_count(make_app, factory, path, params, status):
    client = make_app(RATE_LIMIT="2 per 10 seconds").test_client()
    token = factory.key(scopes=["businesses:read", "invoices:read"])
    for _ in range(2):
        assert get(client, token, path, **params).status_code == status
    assert_problem(get(client, token, "/businesses"), 429, "rate_limited")


def test_a_wrong_method_with_a_valid_key_counts(make_app, factory):
    client = make_app(RATE_LIMIT="1 per 10 seconds").test_client()
    token = factory.key()
    assert client.post(url("/businesses"), headers=bearer(token)).status_code == 405
    assert get(client, token, "/businesses").status_code == 429


def test_head_requests_count(make_app, factory):
    client = make_app(RATE_LIMIT="1 per 10 seconds").test_client()
    token = factory.key()
    assert client.head(url("/businesses"), headers=bearer(token)).status_code == 200
    assert get(client, token, "/businesses").status_code == 429


def test_a_429_does_not_count(make_app, factory):
    client = make_app(RATE_LIMIT="2 per 2 seconds").test_client()
    token = factory.key()
    start = time.monotonic()
    assert [get(client, token, "/businesses").status_code for _ in range(2)] == [200, 200]
    sleep_until(start + 1.0)
    assert [get(client, token, "/businesses").status_code for _ in range(3)] == [429, 429, 429]
    # The two accepted requests have left the window; the refused ones, made a second
    # later, would still fill it had they been counted.
    sleep_until(start + 2.4)
    assert [get(client, token, "/businesses").status_code for _ in range(2)] == [200, 200]


def test_the_window_moves_one_request_at_a_time(make_app, factory):
    client = make_app(RATE_LIMIT="3 per 2 seconds").test_client()
    token = factory.key()
    start = time.monotonic()
    assert get(client, token, "/businesses").status_code == 200
    sleep_until(start + 1.0)
    assert get(client, token, "/businesses").status_code == 200
    assert get(client, token, "/businesses").status_code == 200
    assert get(client, token, "/businesses").status_code == 429
    # The first request has aged out; the two made at +1.0 s are still in the window, so
    # exactly one slot is free. A fixed window of 2 s would have freed all three.
    sleep_until(start + 2.4)
    assert get(client, token, "/businesses").status_code == 200
    assert get(client, token, "/businesses").status_code == 429


def test_limits_are_per_key(make_app, factory):
    client = make_app(RATE_LIMIT="2 per 10 seconds").test_client()
    first, second = factory.key(), factory.key()
    for _ in range(2):
        get(client, first, "/businesses")
    assert get(client, first, "/businesses").status_code == 429
    response = get(client, second, "/businesses")
    assert response.status_code == 200
    assert response.headers["X-RateLimit-Remaining"] == "1"


@pytest.mark.parametrize("path", ["/schema", "/health"])
def test_public_routes_are_not_limited(make_app, factory, path):
    client = make_app(RATE_LIMIT="1 per 10 seconds").test_client()
    token = factory.key()
    get(client, token, "/businesses")
    assert get(client, token, "/businesses").status_code == 429
    for _ in range(5):
        response = client.get(url(path), headers=bearer(token))
        assert response.status_code == 200
        assert "X-RateLimit-Limit" not in response.headers


@pytest.mark.parametrize("path", ["/schema", "/health"])
def test_public_routes_do_not_use_up_a_keys_limit(make_app, factory, path):
    client = make_app(RATE_LIMIT="1 per 10 seconds").test_client()
    token = factory.key()
    for _ in range(3):
        client.get(url(path), headers=bearer(token))
    assert get(client, token, "/businesses").status_code == 200


def test_unauthenticated_responses_carry_no_rate_limit_headers(make_app):
    client = make_app(RATE_LIMIT="1 per 10 seconds").test_client()
    response = client.get(url("/businesses"))
    assert response.status_code == 401
    for name in LIMIT_HEADERS:
        assert name not in response.headers


@pytest.mark.parametrize(("method", "path"), [("GET", "/no-such-route"), ("POST", "/businesses")])
def test_a_key_over_its_limit_gets_429_on_unmatched_routes_too(make_app, factory, method, path):
    client = make_app(RATE_LIMIT="1 per 10 seconds").test_client()
    token = factory.key()
    assert get(client, token, "/businesses").status_code == 200
    response = client.open(url(path), method=method, headers=bearer(token))
    assert_problem(response, 429, "rate_limited")
    assert client.open(url(path), method=method).status_code in (404, 405)
