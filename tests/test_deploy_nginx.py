"""nginx (deploy/nginx/agentapi.conf) in front of a real gunicorn on a unix socket."""

from __future__ import annotations

import gzip
import json
import subprocess
import time

import pytest

from .deploy_support import (
    ERROR_CASES,
    NGINX,
    TENANT,
    Tap,
    app_log_line,
    error_case,
    get_through_front,
    new_request_id,
    raw_request,
    request,
    start_gunicorn,
    start_nginx,
    wait_until,
)
from .helpers import PREFIX, assert_problem, url

# Headers nginx sets itself instead of relaying gunicorn's.
NGINX_OWN = {"server", "date", "connection", "keep-alive", "transfer-encoding"}

assert NGINX, "nginx is not installed: `make test` installs it (tools/system-deps.sh)"


@pytest.fixture(scope="module")
def stack(tmp_path_factory, database_url):
    """gunicorn (unix socket, 1 trusted proxy) <- tap <- nginx, as docs/deploy.md sets up."""
    tmp = tmp_path_factory.mktemp("nginx")
    gunicorn = start_gunicorn(
        tmp, database_url, RATE_LIMIT="5 per minute", AUTH_FAILURE_LIMIT="3 per minute"
    )
    tap = Tap(gunicorn.target).start()
    nginx = start_nginx(tmp / "nginx", f"127.0.0.1:{tap.port}")
    yield gunicorn, tap, nginx
    nginx.stop()
    tap.close()
    gunicorn.stop()


def assert_relayed_intact(stack, reply, request_id):
    """Status, body and every header gunicorn sent reach the client unchanged."""
    _, tap, _ = stack
    upstream = tap.find(request_id)
    assert reply.status == upstream.status
    assert reply.body == upstream.body
    for name, value in upstream.headers:
        if name.lower() not in NGINX_OWN:
            assert reply.headers.get_all(name) == [value], name


def test_readme_curl_example_returns_invoices(stack, factory):
    business = factory.business(id=TENANT)
    invoice = factory.invoice(business["id"])
    token = factory.key()
    port = stack[2].target
    # The product page's example, with only the host replaced.
    result = subprocess.run(
        [
            "curl",
            "-s",
            f"http://127.0.0.1:{port}" + url(f"/invoices?business_id={TENANT}"),
            "-H",
            f"Authorization: Bearer {token}",
        ],
        capture_output=True,
        check=True,
        timeout=10,
    )
    body = json.loads(result.stdout)
    assert [item["id"] for item in body["data"]] == [invoice["id"]]


@pytest.mark.parametrize(
    ("case", "status"),
    ERROR_CASES,
)
def test_error_bodies_and_headers_arrive_intact(stack, factory, case, status):
    token, business = error_case(factory, case)
    request_id = new_request_id()
    source = {"no_token": "127.0.0.11", "bad_token": "127.0.0.12"}.get(case, "127.0.0.1")
    reply = get_through_front(
        stack,
        url(f"/invoices?business_id={business}"),
        token,
        source=source,
        **{"X-Request-ID": request_id},
    )
    assert reply.status == status
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert reply.json()["request_id"] == request_id
    assert_relayed_intact(stack, reply, request_id)


def test_rate_limited_answer_arrives_intact(stack, factory):
    factory.business(id=TENANT)
    token = factory.key()
    statuses = [
        get_through_front(stack, url(f"/invoices?business_id={TENANT}"), token).status
        for _ in range(5)
    ]
    assert statuses == [200] * 5
    request_id = new_request_id()
    path = url(f"/invoices?business_id={TENANT}")
    reply = get_through_front(stack, path, token, **{"X-Request-ID": request_id})
    assert_problem(reply, 429, "rate_limited")
    assert int(reply.headers["Retry-After"]) >= 1
    assert reply.headers["X-RateLimit-Remaining"] == "0"
    assert_relayed_intact(stack, reply, request_id)


def test_app_sees_the_real_client_address(stack, factory):
    request_id = new_request_id()
    reply = get_through_front(
        stack, url("/health"), source="127.0.0.2", **{"X-Request-ID": request_id}
    )
    assert reply.status == 200
    assert app_log_line(stack[0], request_id)["client"] == "127.0.0.2"


def test_forged_forwarded_for_is_ignored(stack, factory):
    request_id = new_request_id()
    headers = {"X-Request-ID": request_id, "X-Forwarded-For": "203.0.113.9"}
    reply = get_through_front(stack, url("/health"), source="127.0.0.3", **headers)
    assert reply.status == 200
    assert app_log_line(stack[0], request_id)["client"] == "127.0.0.3"


def test_auth_failure_limit_counts_per_real_client(stack, factory):
    bad = "vb_abcdefgh_" + "y" * 32
    path = url(f"/invoices?business_id={TENANT}")
    # Forged X-Forwarded-For values do not spread one client's failures around.
    statuses = [
        get_through_front(
            stack, path, bad, source="127.0.0.4", **{"X-Forwarded-For": f"198.51.100.{n}"}
        ).status
        for n in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    assert get_through_front(stack, path, bad, source="127.0.0.5").status == 401


def test_one_log_line_per_request_with_key_prefix_and_client_but_no_token(stack, factory):
    factory.business(id=TENANT)
    token = factory.key()
    request_id = new_request_id()
    reply = get_through_front(
        stack, url(f"/invoices?business_id={TENANT}&limit=1"), token, **{"X-Request-ID": request_id}
    )
    assert reply.status == 200

    def lines():
        return [x for x in stack[0].log_text().splitlines() if request_id in x]

    wait_until(lines, 5, "the request's log line", stack[0].log)
    time.sleep(0.2)  # a second line, were one written, would be out by now
    (line,) = lines()  # gunicorn writes none of its own
    record = app_log_line(stack[0], request_id)
    assert record["key_prefix"] == token[3:11]
    assert record["client"] == "127.0.0.1"  # the address nginx saw, not nginx's
    assert record["path"] == f"{PREFIX}/invoices"
    assert token[12:] not in stack[0].log_text()


def test_json_is_gzipped_for_clients_that_ask(stack, factory):
    business = factory.business(id=TENANT)
    for _ in range(20):
        factory.invoice(business["id"])
    token = factory.key()
    reply = get_through_front(
        stack, url(f"/invoices?business_id={TENANT}"), token, **{"Accept-Encoding": "gzip"}
    )
    assert reply.status == 200
    assert reply.headers["Content-Encoding"] == "gzip"
    assert len(json.loads(gzip.decompress(reply.body))["data"]) == 20


@pytest.mark.parametrize("method", ["POST", "DELETE", "PUT"])
def test_other_methods_are_refused_as_problem_json(stack, method):
    _, _, nginx = stack
    reply = request(nginx.target, url("/invoices"), method=method)
    assert_problem(reply, 405, "method_not_allowed")
    assert reply.headers["Allow"] == "GET, HEAD"


def test_overlong_url_is_answered_as_problem_json(stack):
    reply = get_through_front(stack, url(f"/invoices?business_id={'A' * 17000}"))
    body = assert_problem(reply, 414, "invalid_parameter")
    assert body["errors"][0]["parameter"] == "query"


def test_an_8_kb_parameter_reaches_the_service_and_is_named(stack, factory):
    reply = get_through_front(stack, url(f"/invoices?business_id={'A' * 8192}"), factory.key())
    assert reply.status == 400
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert reply.json()["errors"][0]["parameter"] == "business_id"


def test_oversized_header_is_answered_as_problem_json(stack):
    reply = get_through_front(stack, url("/health"), **{"X-Padding": "p" * 17000})
    assert_problem(reply, 400, "invalid_parameter")


def test_unparseable_request_line_passed_on_by_nginx_is_answered_in_json(stack):
    reply = raw_request(stack[2].target, b"GET /api/agent/v1/health?x=\xff HTTP/1.1")
    assert_problem(reply, 400, "invalid_parameter")


def test_gunicorn_banner_does_not_reach_the_client(stack):
    reply = get_through_front(stack, url("/health"))
    assert reply.headers["Server"] == "nginx"


def test_gunicorn_stopped_gives_json_503(tmp_path, database_url):
    gunicorn = start_gunicorn(tmp_path, database_url)
    nginx = start_nginx(tmp_path / "nginx", f"unix:{gunicorn.target}")
    try:
        assert request(nginx.target, url("/health")).status == 200
        gunicorn.stop()
        request_id = new_request_id()
        reply = request(nginx.target, url("/health"), {"X-Request-ID": request_id})
        body = assert_problem(reply, 503, "service_unavailable")
        assert reply.headers["Retry-After"] == "5"
        assert body["request_id"] == request_id == reply.headers["X-Request-ID"]
    finally:
        nginx.stop()
        gunicorn.stop()


def test_a_body_over_1_kib_is_answered_as_problem_json(stack):
    _, _, nginx = stack
    head = b"GET /api/agent/v1/health HTTP/1.1\r\nContent-Length: 2048"
    reply = raw_request(nginx.target, head)  # nginx refuses on the length alone
    body = assert_problem(reply, 413, "invalid_parameter")
    assert body["errors"][0]["parameter"] == "body"
