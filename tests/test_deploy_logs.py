"""What reaches the service's and nginx's logs: one line per request, no token, no forgery."""

from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .deploy_support import (
    NGINX,
    app_log_line,
    free_port,
    raw_request,
    request,
    start_gunicorn,
    start_nginx,
    wait_until,
)
from .helpers import PREFIX, assert_problem, url

assert NGINX, "nginx is not installed: `make test` installs it (tools/system-deps.sh)"

TOKEN = "vb_abcdefgh_" + "S3cr3tS3cr3tS3cr3tS3cr3tS3cr3t12"
SECRET = TOKEN[12:]
# A whole forged log line, after an encoded CR LF in the path.
FORGED = (
    "%7B%22logger%22:%20%22agentapi.access%22,%20%22request_id%22:%20%22forged%22,"
    "%20%22client%22:%20%22203.0.113.66%22%7D"
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory, database_url):
    """gunicorn on TCP (reached directly, and by nginx as its one trusted proxy)."""
    tmp = tmp_path_factory.mktemp("logs")
    gunicorn = start_gunicorn(tmp, database_url, BIND=f"127.0.0.1:{free_port()}")
    nginx = start_nginx(tmp / "nginx", f"127.0.0.1:{gunicorn.target}")
    yield gunicorn, nginx, tmp / "nginx"
    nginx.stop()
    gunicorn.stop()


def service_lines(stack, request_id: str) -> list[str]:
    """The lines of the service's log (stdout and stderr) that carry this request id."""
    gunicorn = stack[0]

    def lines():
        return [x for x in gunicorn.log_text().splitlines() if request_id in x]

    wait_until(lines, 5, "the request's log line", gunicorn.log)
    return lines()


def nginx_logs(stack) -> str:
    """Everything nginx has logged: its access logs and its error log."""
    folder: Path = stack[2]
    return "".join(p.read_text(errors="replace") for p in folder.glob("*.log"))


@pytest.mark.parametrize("through", ["gunicorn", "nginx"])
def test_an_encoded_newline_in_the_path_cannot_forge_a_service_log_line(stack, through):
    gunicorn, nginx, _ = stack
    request_id = uuid.uuid4().hex
    head = f"GET {PREFIX}/health%0d%0a{FORGED}%0a HTTP/1.1\r\nX-Request-ID: {request_id}"
    target = gunicorn.target if through == "gunicorn" else nginx.target
    assert raw_request(target, head.encode()).status == 404
    # One line for the request, gunicorn's included: the path inside it, escaped.
    (line,) = service_lines(stack, request_id)
    record = app_log_line(gunicorn, request_id)
    assert record["path"].startswith(f"{PREFIX}/health\r\n{{")
    assert "\\r\\n" in line and "\r" not in line
    assert '"request_id": "forged"' not in gunicorn.log_text().replace(line, "")


def test_an_encoded_newline_in_the_path_cannot_forge_a_nginx_log_line(stack):
    request_id = uuid.uuid4().hex
    head = f"GET {PREFIX}/health%0d%0aFORGED-LINE HTTP/1.1\r\nX-Request-ID: {request_id}"
    assert raw_request(stack[1].target, head.encode()).status == 404
    wait_until(lambda: request_id in nginx_logs(stack), 5, "nginx's access line")
    (line,) = [x for x in nginx_logs(stack).splitlines() if request_id in x]
    assert "/health\\x0D\\x0AFORGED-LINE" in line
    assert not [x for x in nginx_logs(stack).splitlines() if x.startswith("FORGED-LINE")]


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        (url(f"/invoices/{TOKEN}"), {}),
        (url(f"/a/{TOKEN}/b/{TOKEN[:-1]}x"), {}),
        (url(f"/invoices?business_id={TOKEN}"), {}),
        (url("/health"), {"X-Request-ID": TOKEN}),
        (url(f"/invoices?business_id={'A' * 20000}&t={TOKEN}"), {}),
    ],
    ids=["path", "two_in_path", "query", "request_id", "refused_by_nginx"],
)
def test_no_token_reaches_nginx_logs(stack, path, headers):
    lines = nginx_logs(stack).count("\n")
    request(stack[1].target, path, headers)
    wait_until(lambda: nginx_logs(stack).count("\n") > lines, 5, "nginx's access line")
    logs = nginx_logs(stack)
    assert SECRET not in logs
    assert not re.search(r"vb_[a-z0-9]{8}_[A-Za-z0-9]{5}", logs)


def test_a_16_kb_url_passes_nginx_and_longer_is_a_414_that_says_16384(stack):
    path = url("/invoices?business_id=")
    reply = request(stack[1].target, path + "A" * (16384 - len(path)))
    assert reply.status == 401  # the service's answer: the URL itself was accepted
    reply = request(stack[1].target, path + "A" * 17000)
    body = assert_problem(reply, 414, "invalid_parameter")
    assert body["errors"][0]["message"] == "the URL is longer than 16384 bytes"


def test_nginx_limits_requests_per_address_with_a_json_429(stack):
    def health(_=None):
        return request(stack[1].target, url("/health"), source="127.0.0.77")

    assert [health().status for _ in range(50)] == [200] * 50  # within the burst
    # Faster than 20 a second, however busy the machine: several at once.
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(health, range(200)))
    refused = [reply for reply in replies if reply.status == 429]
    assert refused, sorted({reply.status for reply in replies})
    reply = refused[0]
    assert_problem(reply, 429, "rate_limited")
    assert reply.headers["Retry-After"] == "1"
    assert {reply.status for reply in replies} == {200, 429}
    # Another address is not affected.
    assert request(stack[1].target, url("/health"), source="127.0.0.78").status == 200
