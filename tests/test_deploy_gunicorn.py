"""deploy/gunicorn.conf.py: the worker model it allows, its limits, reload, and refusals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from .deploy_support import (
    free_port,
    gunicorn_env,
    raw_request,
    request,
    run_gunicorn,
    start_gunicorn,
    wait_until,
    worker_pids,
)
from .helpers import assert_problem, url


def refusal(tmp_path, database_url, *extra, **settings) -> str:
    """Start gunicorn that must refuse to start; its exit output."""
    log = tmp_path / "refused.log"
    process = run_gunicorn(gunicorn_env(database_url, **settings), log, *extra)
    try:
        code = process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise AssertionError("gunicorn started although it should have refused") from None
    assert code != 0
    return log.read_text()


def test_memory_storage_with_several_workers_is_refused_naming_the_fix(tmp_path, database_url):
    out = refusal(tmp_path, database_url, BIND=f"127.0.0.1:{free_port()}", WORKERS="2")
    assert "AGENTAPI_WORKERS=1" in out
    assert "AGENTAPI_RATELIMIT_STORAGE_URI=redis://" in out


def test_memory_storage_refuses_workers_given_on_the_command_line(tmp_path, database_url):
    out = refusal(tmp_path, database_url, "--workers", "3", BIND=f"127.0.0.1:{free_port()}")
    assert "3 workers with AGENTAPI_RATELIMIT_STORAGE_URI=memory://" in out


def test_unix_socket_without_trusted_proxy_is_refused(tmp_path, database_url):
    out = refusal(tmp_path, database_url, BIND=f"unix:{tmp_path / 'api.sock'}")
    assert "AGENTAPI_TRUSTED_PROXIES=1" in out


@pytest.fixture(scope="module")
def direct(tmp_path_factory, database_url):
    """The default model: memory:// storage, one threaded worker, on TCP."""
    tmp = tmp_path_factory.mktemp("gunicorn")
    server = start_gunicorn(tmp, database_url, BIND=f"127.0.0.1:{free_port()}", TRUSTED_PROXIES="0")
    yield server
    server.stop()


def test_memory_storage_runs_one_threaded_worker(direct):
    assert "Using worker: gthread" in direct.log_text()
    assert len(worker_pids(direct)) == 1


def test_overlong_url_is_a_problem_json_414_not_gunicorns_page(direct):
    reply = request(direct.target, url(f"/invoices?business_id={'A' * 17000}"))
    assert assert_problem(reply, 414, "invalid_parameter")["errors"][0]["parameter"] == "query"


def test_long_url_within_the_cap_reaches_the_app(direct):
    # 9000 bytes: over gunicorn's default 4094 and nginx's default 8 KB, under 16 KB.
    reply = request(direct.target, url(f"/invoices?business_id={'A' * 9000}"))
    assert_problem(reply, 401, "unauthorized")


def test_too_many_headers_is_a_problem_json_431(direct):
    headers = {f"X-Extra-{n}": "1" for n in range(150)}
    reply = request(direct.target, url("/health"), headers)
    assert assert_problem(reply, 431, "invalid_parameter")["errors"][0]["parameter"] == "headers"


def test_oversized_header_is_a_problem_json_431_naming_it(direct):
    reply = request(direct.target, url("/health"), {"X-Padding": "p" * 10000})
    assert assert_problem(reply, 431, "invalid_parameter")["errors"][0]["parameter"] == "X-Padding"


@pytest.mark.parametrize(
    "head",
    [b"GET /api/agent/v1/health?x=\xff HTTP/1.1", b"GET /api/agent/v1/health HTTP/1.1\r\nA\nB: c"],
    ids=["raw_byte_in_url", "bare_lf"],
)
def test_unparseable_request_is_a_problem_json_400_not_gunicorns_page(direct, head):
    reply = raw_request(direct.target, head)
    assert_problem(reply, 400, "invalid_parameter")


def test_conflicting_scheme_headers_do_not_trip_gunicorn(direct):
    headers = {"X-Forwarded-Proto": "http", "X-Forwarded-Ssl": "on"}
    assert request(direct.target, url("/health"), headers).status == 200


def test_hup_replaces_workers_without_dropping_service(direct):
    before = worker_pids(direct)
    direct.process.send_signal(signal.SIGHUP)
    wait_until(lambda: worker_pids(direct) and not (worker_pids(direct) & before), 20, "reload")
    assert request(direct.target, url("/health")).status == 200


def test_plain_gunicorn_in_the_repository_uses_the_shipped_settings():
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--print-config", "wsgi:app"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "AGENTAPI_RATELIMIT_STORAGE_URI": "memory://"},
    )
    assert result.returncode == 0, result.stderr[-500:]
    settings = dict(
        (name.strip(), value.strip())
        for name, _, value in (line.partition("=") for line in result.stdout.splitlines())
    )
    # gunicorn's own default is 4094, answered with its HTML 414 page; the shipped
    # limit lets the contract's 16 KB URL through to the app, and no more than 1 KB over.
    assert 16384 < int(settings["limit_request_line"]) <= 16384 + 1024
    assert settings["worker_class"] == "gthread"
