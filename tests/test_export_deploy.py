"""The export through every shipped setup: gunicorn (both storages), nginx, the PHP proxy.

Each export here is a few tens of thousands of rows: more than the socket buffers
between the servers and the client hold, so a client that stops reading really holds
the stream open, and a database killed mid-export really cuts it off.
"""

from __future__ import annotations

import http.client
import json
import time
from pathlib import Path

import pytest

from agentapi.config import parse_database_url
from agentapi.db import Database
from agentapi.sqlfiles import load_queries

from .deploy_support import (
    TENANT,
    UnixHTTPConnection,
    free_port,
    request,
    start_gunicorn,
    start_nginx,
    start_php,
    start_redis,
)
from .factories import Factory, bearer
from .helpers import assert_problem, url
from .private_mariadb import PrivateMariaDB
from .test_export import fill_invoices

ROWS = 30_000  # about 15 MB of NDJSON
EXPORT = url(f"/invoices/export?business_id={TENANT}")


def connect(target: str, timeout: float = 30) -> http.client.HTTPConnection:
    if target.startswith("/"):
        return UnixHTTPConnection(target, timeout)
    return http.client.HTTPConnection("127.0.0.1", int(target), timeout=timeout)


def start_export(target: str, token: str, path: str = EXPORT):
    """Send the request and read the head: (connection, response), body not read yet."""
    conn = connect(target)
    conn.request("GET", path, headers=bearer(token))
    return conn, conn.getresponse()


def whole_export(
    target: str, token: str, path: str = EXPORT
) -> tuple[http.client.HTTPResponse, bytes]:
    conn, response = start_export(target, token, path)
    try:
        return response, response.read()
    finally:
        conn.close()


def check_complete(body: bytes, rows: int = ROWS) -> None:
    lines = body.split(b"\n")
    assert lines[-1] == b""
    assert len(lines) - 1 == rows
    ids = [json.loads(line)["id"] for line in lines[:-1]]
    assert len(set(ids)) == rows


@pytest.fixture
def tenant(factory, sql_conn):
    factory.business(id=TENANT)
    fill_invoices(sql_conn, TENANT, ROWS)
    return factory.key()


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory, database_url):
    tmp = tmp_path_factory.mktemp("export-gunicorn")
    server = start_gunicorn(tmp, database_url, RATE_LIMIT="1000 per minute")
    yield server
    server.stop()


def test_a_long_export_streams_whole_through_gunicorn(gunicorn, tenant):
    response, body = whole_export(gunicorn.target, tenant)
    assert response.status == 200
    assert response.getheader("Transfer-Encoding") == "chunked"
    check_complete(body)


def test_the_statement_time_limit_does_not_cut_off_a_slow_export(tmp_path, database_url, tenant):
    # Each chunk is its own statement: an export that takes many times the limit,
    # because its client reads slowly, still arrives whole.
    server = start_gunicorn(tmp_path, database_url, STATEMENT_TIMEOUT="0.5")
    try:
        conn, response = start_export(server.target, tenant)
        started = time.monotonic()
        body = b""
        while piece := response.read(1_000_000):
            body += piece
            time.sleep(0.15)
        conn.close()
        assert time.monotonic() - started > 1.5
        check_complete(body)
    finally:
        server.stop()


def test_first_bytes_arrive_within_a_second(gunicorn, tenant):
    started = time.monotonic()
    conn, response = start_export(gunicorn.target, tenant)
    first = response.readline()
    elapsed = time.monotonic() - started
    conn.close()
    json.loads(first)
    assert elapsed < 1.0


def test_through_nginx_the_stream_is_never_spooled_to_disk(tmp_path, gunicorn, tenant):
    nginx = start_nginx(tmp_path / "nginx", f"unix:{gunicorn.target}")
    try:
        response, body = whole_export(nginx.target, tenant)
        assert response.status == 200
        assert response.getheader("Content-Type") == "application/x-ndjson"
        assert response.getheader("Content-Disposition").startswith("attachment; filename=")
        check_complete(body)
    finally:
        nginx.stop()
    log = nginx.log_text()
    assert "buffered to a temporary file" not in log, log[-2000:]
    assert not any((tmp_path / "nginx" / "proxy").rglob("*"))


def test_through_the_php_proxy_an_export_larger_than_its_memory_streams(tmp_path, gunicorn, tenant):
    # 15 MB through a PHP whose memory_limit is 8 MB: only a stream gets through.
    php = start_php(tmp_path, f"unix:{gunicorn.target}", "-d", "memory_limit=8M")
    try:
        response, body = whole_export(php.target, tenant)
    finally:
        php.stop()
    assert response.status == 200, body[-2000:]
    assert response.getheader("Content-Type") == "application/x-ndjson"
    assert response.getheader("Content-Disposition").startswith("attachment; filename=")
    check_complete(body)
    assert "Fatal" not in php.log_text()


def test_redis_setup_runs_threaded_workers_and_one_export_per_key_across_hosts(
    tmp_path, database_url, tenant
):
    redis = start_redis(tmp_path)
    settings = {
        "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{redis.target}/0",
        "WORKERS": "2",
        "RATE_LIMIT": "1000 per minute",
    }
    hosts = [
        start_gunicorn(
            tmp_path, database_url, name=f"host{n}", BIND=f"127.0.0.1:{free_port()}", **settings
        )
        for n in (1, 2)
    ]
    try:
        for host in hosts:
            assert "Using worker: gthread" in host.log_text()
        conn, running = start_export(hosts[0].target, tenant)
        assert running.status == 200
        running.readline()  # under way, and held open: this client reads no further
        refused = request(hosts[1].target, EXPORT, bearer(tenant))
        assert_problem(refused, 429, "rate_limited")
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        rest = running.read()
        conn.close()
        check_complete(running_first_line_plus(rest))
        # Ended: the next export of the key runs, on either host.
        response, body = whole_export(hosts[1].target, tenant)
        assert response.status == 200
        check_complete(body)
    finally:
        for host in hosts:
            host.stop()
        redis.stop()


def running_first_line_plus(rest: bytes) -> bytes:
    """The body of an export whose first line was already read: a placeholder line."""
    return b'{"id":"first"}\n' + rest


# A database that goes away mid-export: the answer must be cut off, never completed.


@pytest.fixture
def private(mariadb):
    """The private server up, with the tenant and ROWS invoices; a key's token."""
    if mariadb.process.poll() is not None:
        mariadb.start()
    factory = Factory(Database(parse_database_url("DATABASE_URL", mariadb.url), load_queries()))
    conn = mariadb.root("agentapi_private")
    with conn.cursor() as cursor:
        cursor.execute("DELETE FROM invoices")
    if not factory.db.run("get_business", {"business_id": TENANT}):
        factory.business(id=TENANT)
    fill_invoices(conn, TENANT, ROWS)
    conn.close()
    return factory.key()


def cut_off_mid_export(target: str, token: str, mariadb: PrivateMariaDB) -> None:
    """Start an export, kill the database after the first bytes, expect an incomplete body."""
    conn, response = start_export(target, token)
    assert response.status == 200
    json.loads(response.readline())
    mariadb.process.kill()
    mariadb.process.wait()
    with pytest.raises(http.client.IncompleteRead):
        response.read()
    conn.close()


def test_database_lost_mid_export_cuts_the_transfer_off(tmp_path: Path, mariadb, private):
    server = start_gunicorn(tmp_path, mariadb.url, BIND=f"127.0.0.1:{free_port()}")
    try:
        cut_off_mid_export(server.target, private, mariadb)
        assert "export cut off" in server.log_text()
    finally:
        server.stop()


def test_database_lost_mid_export_cuts_the_transfer_off_through_php(
    tmp_path: Path, mariadb, private
):
    server = start_gunicorn(tmp_path, mariadb.url, BIND=f"127.0.0.1:{free_port()}")
    php = start_php(tmp_path, f"http://127.0.0.1:{server.target}")
    try:
        cut_off_mid_export(php.target, private, mariadb)
    finally:
        php.stop()
        server.stop()


def test_database_lost_mid_export_cuts_the_transfer_off_through_nginx(
    tmp_path: Path, mariadb, private
):
    server = start_gunicorn(tmp_path, mariadb.url)
    nginx = start_nginx(tmp_path / "nginx", f"unix:{server.target}")
    try:
        cut_off_mid_export(nginx.target, private, mariadb)
    finally:
        nginx.stop()
        server.stop()
