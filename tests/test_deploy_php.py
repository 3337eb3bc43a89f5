"""deploy/php/agent-proxy.php under `php -S`, in front of a real gunicorn."""

from __future__ import annotations

import socket
import subprocess
import threading
import time

import pytest

from .deploy_support import (
    ERROR_CASES,
    PHP,
    ROOT,
    TENANT,
    Tap,
    app_log_line,
    error_case,
    free_port,
    get_through_front,
    new_request_id,
    request,
    start_gunicorn,
    start_php,
)
from .factories import bearer
from .helpers import assert_problem, url

# The headers the proxy promises to return unchanged.
PASSED = [
    "Content-Type",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
    "WWW-Authenticate",
    "Link",
    "X-Request-ID",
    "Cache-Control",
]

assert PHP, "php-cli is not installed: `make test` installs it (tools/system-deps.sh)"


@pytest.fixture(scope="module")
def stack(tmp_path_factory, database_url):
    """gunicorn (TCP, 1 trusted proxy) <- tap <- php -S agent-proxy.php."""
    tmp = tmp_path_factory.mktemp("php")
    port = free_port()
    gunicorn = start_gunicorn(
        tmp, database_url, BIND=f"127.0.0.1:{port}", RATE_LIMIT="5 per minute"
    )
    tap = Tap(str(port)).start()
    php = start_php(tmp, f"http://127.0.0.1:{tap.port}")
    yield gunicorn, tap, php
    php.stop()
    tap.close()
    gunicorn.stop()


def assert_passed_through(stack, reply, request_id):
    """Status, body and the promised headers equal what gunicorn answered the proxy."""
    upstream = stack[1].find(request_id)
    assert reply.status == upstream.status
    assert reply.body == upstream.body
    for name in PASSED:
        assert reply.headers.get(name) == upstream.header(name), name
    assert reply.headers["X-Request-ID"] == request_id


def test_lists_invoices_through_the_proxy(stack, factory):
    business = factory.business(id=TENANT)
    for _ in range(3):
        factory.invoice(business["id"])
    token = factory.key()
    request_id = new_request_id()
    path = url(f"/invoices?business_id={TENANT}&limit=2")
    reply = get_through_front(stack, path, token, **{"X-Request-ID": request_id})
    assert reply.status == 200
    assert len(reply.json()["data"]) == 2
    assert reply.headers["Link"].endswith('rel="next"')
    assert_passed_through(stack, reply, request_id)


@pytest.mark.parametrize(
    ("case", "status"),
    ERROR_CASES,
)
def test_errors_pass_through_unchanged(stack, factory, case, status):
    token, business = error_case(factory, case)
    request_id = new_request_id()
    reply = get_through_front(
        stack, url(f"/invoices?business_id={business}"), token, **{"X-Request-ID": request_id}
    )
    assert reply.status == status
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert_passed_through(stack, reply, request_id)


def test_rate_limited_answer_passes_through(stack, factory):
    factory.business(id=TENANT)
    token = factory.key()
    path = url(f"/invoices?business_id={TENANT}")
    assert [get_through_front(stack, path, token).status for _ in range(5)] == [200] * 5
    request_id = new_request_id()
    reply = get_through_front(stack, path, token, **{"X-Request-ID": request_id})
    assert reply.status == 429
    assert reply.headers["Retry-After"]
    assert_passed_through(stack, reply, request_id)


def test_authorization_reaches_the_service(stack, factory):
    factory.business(id=TENANT)
    token = factory.key()
    request_id = new_request_id()
    reply = get_through_front(stack, url("/businesses"), token, **{"X-Request-ID": request_id})
    assert reply.status == 200
    assert app_log_line(stack[0], request_id)["key_prefix"] == token[3:11]


@pytest.mark.parametrize("variable", ["REDIRECT_HTTP_AUTHORIZATION", "HTTP_AUTHORIZATION"])
def test_authorization_is_recovered_where_the_server_moved_it(variable):
    script = (
        "define('AGENT_PROXY_LIBRARY', true);"
        f"require '{ROOT / 'deploy/php/agent-proxy.php'}';"
        f"echo agent_proxy_authorization(['{variable}' => 'Bearer vb_token']);"
    )
    result = subprocess.run(
        [PHP, "-r", script], capture_output=True, text=True, check=True, timeout=10
    )
    assert result.stdout == "Bearer vb_token"


def test_forwarded_for_carries_the_client_not_a_forged_value(stack):
    request_id = new_request_id()
    headers = {"X-Request-ID": request_id, "X-Forwarded-For": "6.6.6.6"}
    reply = request(stack[2].target, url("/health"), headers, source="127.0.0.6")
    assert reply.status == 200
    assert app_log_line(stack[0], request_id)["client"] == "127.0.0.6"


def test_forwards_over_a_unix_socket(tmp_path, database_url, factory):
    gunicorn = start_gunicorn(tmp_path, database_url)
    php = start_php(tmp_path / "php", f"unix:{gunicorn.target}")
    try:
        factory.business(id=TENANT)
        token = factory.key()
        reply = request(php.target, url("/businesses"), bearer(token))
        assert reply.status == 200
        assert [b["id"] for b in reply.json()["data"]] == [TENANT]
    finally:
        php.stop()
        gunicorn.stop()


def test_service_down_is_a_json_502(tmp_path):
    php = start_php(tmp_path, f"http://127.0.0.1:{free_port()}")
    try:
        reply = request(php.target, url("/health"), {"X-Request-ID": "down-1"})
    finally:
        php.stop()
    assert assert_problem(reply, 502, "service_unavailable")["request_id"] == "down-1"


def test_slow_service_is_a_json_504(tmp_path):
    # A listener that accepts and never answers: a service stuck on a request.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    held = []
    threading.Thread(target=lambda: held.append(silent.accept()), daemon=True).start()
    php = start_php(
        tmp_path, f"http://127.0.0.1:{silent.getsockname()[1]}", AGENT_PROXY_TIMEOUT="1"
    )
    try:
        reply = request(php.target, url("/health"))
    finally:
        php.stop()
        silent.close()
    assert_problem(reply, 504, "service_unavailable")


def test_paths_outside_the_api_are_not_forwarded(stack):
    reply = request(stack[2].target, "/admin/settings.php")
    assert_problem(reply, 404, "not_found")


@pytest.mark.parametrize(
    "path",
    [
        "/api/agent/../../secret",
        url("/../../../secret"),
        "/api/agent/./v1/health",
        url("/%2e%2e/%2E%2E/%2e%2e/secret"),
        url("/..%2fsecret"),
        url("/..%2F..%2F..%2Fsecret"),
        url("/..%5c..%5csecret"),
        url("/..\\..\\..\\secret"),
        url("/health/..?x=1"),
    ],
)
def test_dot_segments_and_encoded_slashes_are_refused_before_forwarding(stack, factory, path):
    token = factory.key()
    request_id = new_request_id()
    reply = get_through_front(stack, path, token, **{"X-Request-ID": request_id})
    body = assert_problem(reply, 400, "invalid_parameter")
    assert body["errors"][0]["parameter"] == "path"
    assert body["request_id"] == request_id
    # Nothing reached the service: not the path, not the key.
    time.sleep(0.3)  # a line, were one queued, would be out by now (agentapi/logbatch.py)
    assert request_id not in stack[0].log_text()


def test_a_query_string_with_dots_and_encoded_slashes_is_forwarded(stack):
    request_id = new_request_id()
    reply = get_through_front(
        stack, url("/health?next=../..%2Fa%2e"), **{"X-Request-ID": request_id}
    )
    assert_passed_through(stack, reply, request_id)


def test_the_proxy_runs_without_notices_or_deprecations(tmp_path, stack):
    """Every code path of a request, with every notice PHP has switched on and shown."""
    php = start_php(tmp_path, f"http://127.0.0.1:{stack[1].port}", PHP_INI_SCAN_DIR=f":{tmp_path}")
    (tmp_path / "strict.ini").write_text("error_reporting=-1\ndisplay_errors=stderr\n")
    try:
        for path in [url("/health"), "/elsewhere", url("/../x"), url("/nothing")]:
            request(php.target, path, {"Authorization": "Bearer vb_abcdefgh_x"})
    finally:
        php.stop()
    log = php.log_text()
    for word in ("Deprecated", "Notice", "Warning", "Fatal"):
        assert word not in log, log
    # curl_close is a no-op since PHP 8.0 and deprecated in 8.5: called only before 8.0.
    source = (ROOT / "deploy/php/agent-proxy.php").read_text()
    assert "if (PHP_VERSION_ID < 80000) {\n        curl_close($curl);" in source
    assert source.count("curl_close(") == 1
