"""Direct access to gunicorn: bounded request sizes and slow clients, in every shipped model."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from .deploy_support import (
    free_port,
    parse_response,
    request,
    start_gunicorn,
    start_redis,
    worker_pids,
)
from .helpers import assert_problem, url

# gunicorn's parser copies its whole buffer per read: before the limits were bounded,
# 4 MB cost about 1.5 s of worker CPU. A bounded head costs a few milliseconds.
MAX_WORKER_CPU_SECONDS = 0.5
FOUR_MB = 4 * 1024 * 1024


@pytest.fixture(scope="module", params=["gthread_memory", "gthread_redis"])
def model(request, tmp_path_factory, database_url):
    """gunicorn on TCP as shipped: memory:// (one threaded worker, as `make demo`) or
    redis:// (two threaded workers)."""
    tmp = tmp_path_factory.mktemp(request.param)
    settings = {"BIND": f"127.0.0.1:{free_port()}", "TRUSTED_PROXIES": "0"}
    redis = None
    if request.param == "gthread_redis":
        redis = start_redis(tmp)
        settings.update(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{redis.target}/0", WORKERS="2")
    server = start_gunicorn(tmp, database_url, **settings)
    yield server
    server.stop()
    if redis is not None:
        redis.stop()


def worker_cpu(server) -> float:
    """CPU seconds used so far by all of a gunicorn master's workers."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in worker_pids(server):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def send_and_read(port: str, data: bytes) -> bytes:
    """Send data (stopping quietly if the server shuts the door) and read the answer."""
    with socket.create_connection(("127.0.0.1", int(port)), timeout=30) as sock:
        answer = bytearray()

        def read() -> None:
            with contextlib.suppress(OSError):
                while chunk := sock.recv(65536):
                    answer.extend(chunk)

        reader = threading.Thread(target=read)
        reader.start()
        with contextlib.suppress(OSError):
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        reader.join(30)
        return bytes(answer)


def assert_refusal_naming(raw: bytes, status: int, parameter: str) -> None:
    """The raw answer is a problem naming the parameter."""
    body = assert_problem(parse_response(raw), status, "invalid_parameter")
    assert body["errors"][0]["parameter"] == parameter


@pytest.mark.parametrize(
    ("head", "status", "parameter"),
    [
        (b"GET /api/agent/v1/health?x=" + b"a" * FOUR_MB + b" HTTP/1.1\r\n\r\n", 414, "query"),
        (
            b"GET /api/agent/v1/health HTTP/1.1\r\nX-Big: " + b"a" * FOUR_MB + b"\r\n\r\n",
            431,
            "headers",
        ),
        (
            b"GET /api/agent/v1/health HTTP/1.1\r\n" + b"X-Many: 1\r\n" * 200_000 + b"\r\n",
            431,
            "headers",
        ),
    ],
    ids=["4mb_request_line", "4mb_header", "200000_header_fields"],
)
def test_a_huge_request_head_is_refused_cheaply_in_problem_json(model, head, status, parameter):
    before = worker_cpu(model)
    answer = send_and_read(model.target, head)
    spent = worker_cpu(model) - before
    assert spent < MAX_WORKER_CPU_SECONDS, f"{spent:.2f} s of worker CPU"
    assert_refusal_naming(answer, status, parameter)


def test_a_url_of_exactly_16_kb_reaches_the_app(model):
    path = url("/invoices?business_id=")
    reply = request(model.target, path + "A" * (16384 - len(path)))
    assert_problem(reply, 401, "unauthorized")  # the app's answer: no token; no size refusal


def test_a_url_far_over_16_kb_is_a_problem_json_414_naming_query(model):
    reply = request(model.target, url(f"/invoices?business_id={'A' * 40000}"))
    body = assert_problem(reply, 414, "invalid_parameter")
    assert body["errors"][0]["parameter"] == "query"


def test_clients_that_send_one_byte_and_stop_do_not_block_the_service(model):
    stalled = []
    for _ in range(4):
        sock = socket.create_connection(("127.0.0.1", int(model.target)), timeout=30)
        sock.sendall(b"G")
        stalled.append(sock)
    try:
        time.sleep(0.2)  # let the workers pick them up
        started = time.monotonic()
        reply = request(model.target, url("/health"), timeout=20)
        waited = time.monotonic() - started
        assert reply.status == 200
        # 3 s per stalled request head; two threaded workers take the four at once.
        assert waited < 10, f"/health waited {waited:.1f} s behind four stalled clients"
        for sock in stalled:
            # Closed by the server (with a 408 problem when it can still be read).
            sock.settimeout(10)
            data = b""
            with contextlib.suppress(ConnectionResetError):
                while chunk := sock.recv(65536):  # a timeout here: never closed
                    data += chunk
            if data:
                assert_refusal_naming(data, 408, "request")
    finally:
        for sock in stalled:
            sock.close()
