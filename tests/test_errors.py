"""Every error code of the contract, always application/problem+json, never a leak."""

from __future__ import annotations

import pytest

from .factories import bearer
from .helpers import BUSINESS_ROUTES, ROUTES, assert_problem, url

ALL_PATHS = [path for path, _ in ROUTES.values()]


def test_unauthorized(client):
    assert_problem(client.get(url("/invoices")), 401, "unauthorized")


def test_invalid_token(client):
    response = client.get(url("/invoices"), headers=bearer("vb_aaaaaaaa_" + "b" * 32))
    assert_problem(response, 401, "invalid_token")


def test_invalid_parameter_names_the_parameter(client, token):
    response = client.get(url("/businesses"), query_string={"limit": "x"}, headers=bearer(token))
    body = assert_problem(response, 400, "invalid_parameter")
    assert body["errors"] == [{"parameter": "limit", "message": body["errors"][0]["message"]}]
    assert body["errors"][0]["message"]


def test_only_400s_carry_an_errors_list(client, token):
    response = client.get(
        url("/invoices"), query_string={"business_id": "A"}, headers=bearer(token)
    )
    assert "errors" not in assert_problem(response, 404, "not_found")


@pytest.mark.parametrize("path", BUSINESS_ROUTES)
def test_not_found_for_an_unknown_business(client, token, path):
    response = client.get(url(path), query_string={"business_id": "0" * 26}, headers=bearer(token))
    assert_problem(response, 404, "not_found")


@pytest.mark.parametrize(
    "path", ["/api/agent/v1/nothing", "/", "/api/agent/v2/invoices", "/x.html"]
)
def test_unknown_paths_are_problem_json(client, path):
    assert_problem(client.get(path), 404, "not_found")


def test_unknown_path_with_a_valid_key_is_404_too(client, token):
    assert_problem(client.get(url("/nothing"), headers=bearer(token)), 404, "not_found")


def test_method_not_allowed_without_a_key_is_still_405(client):
    assert_problem(client.post(url("/invoices")), 405, "method_not_allowed")


@pytest.fixture
def unreachable_client(make_app):
    return make_app(DATABASE_URL="mysql://root@127.0.0.1:1/agentapi_none").test_client()


@pytest.mark.parametrize("path", [*ALL_PATHS, "/health"])
def test_service_unavailable_when_the_database_is_unreachable(unreachable_client, path):
    response = unreachable_client.get(
        url(path),
        query_string={} if path in ("/businesses", "/health") else {"business_id": "A"},
        headers=bearer("vb_aaaaaaaa_" + "b" * 32),
    )
    body = assert_problem(response, 503, "service_unavailable")
    assert int(response.headers["Retry-After"]) >= 1
    assert "127.0.0.1" not in body["detail"]
    assert "2003" not in response.get_data(as_text=True)


def test_schema_is_served_while_the_database_is_unreachable(unreachable_client):
    assert unreachable_client.get(url("/schema")).status_code == 200


SECRET_TEXT = "SELECT key_hash FROM api_keys WHERE prefix = 'leak'"


@pytest.fixture
def exploding_client(make_app):
    app = make_app()

    def explode():
        raise RuntimeError(SECRET_TEXT)

    explode.public = True
    app.add_url_rule(url("/explode"), "explode", explode)
    return app.test_client()


def test_internal_error_for_an_unexpected_exception(exploding_client):
    response = exploding_client.get(url("/explode"))
    assert_problem(response, 500, "internal_error")


def test_internal_error_leaks_no_trace_or_sql(exploding_client):
    text = exploding_client.get(url("/explode")).get_data(as_text=True)
    for leak in ("Traceback", "RuntimeError", "SELECT", "key_hash", "explode", ".py"):
        assert leak not in text


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", "/invoices", {}, 401),
        ("GET", "/nothing", {}, 404),
        ("POST", "/invoices", {}, 405),
        ("GET", "/businesses?limit=0", "key", 400),
    ],
)
def test_every_error_has_all_problem_fields(client, token, method, path, headers, status):
    response = client.open(
        url(path), method=method, headers=bearer(token) if headers == "key" else headers
    )
    code = {
        400: "invalid_parameter",
        401: "unauthorized",
        404: "not_found",
        405: "method_not_allowed",
    }
    body = assert_problem(response, status, code[status])
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["status"] == status


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [("/invoices", {}, 401), ("/nothing", {}, 404), ("/businesses?limit=0", "key", 400)],
)
def test_head_errors_have_the_status_and_headers_but_no_body(client, token, path, headers, status):
    response = client.head(url(path), headers=bearer(token) if headers == "key" else headers)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.get_data() == b""
    assert "X-Request-ID" in response.headers
