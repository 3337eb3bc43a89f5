"""Logs: one structured JSON line per request; errors add their type and trace, in the log only."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

import pytest

from agentapi import logs

from .factories import bearer
from .helpers import assert_problem, url
from .live_server import LiveServer

REQUEST_FIELDS = {
    "time",
    "level",
    "logger",
    "message",
    "request_id",
    "method",
    "path",
    "status",
    "duration_ms",
    "key_prefix",
    "client",
}


def log_lines(capsys) -> list[dict]:
    """Every line the app wrote to stderr, each parsed as JSON (fails if one is not)."""
    logs.flush()  # lines go out in batches (agentapi/logbatch.py)
    return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.strip()]


def access_lines(capsys) -> list[dict]:
    return [line for line in log_lines(capsys) if line["logger"] == "agentapi.access"]


def test_each_request_logs_exactly_one_line_with_its_request_id(make_app, factory, capsys):
    client = make_app().test_client()
    token = factory.key()
    responses = [
        client.get(url("/businesses"), headers=bearer(token)),
        client.get(url("/businesses")),
        client.get(url("/nope")),
        client.post(url("/schema")),
    ]
    lines = access_lines(capsys)
    assert [line["request_id"] for line in lines] == [r.headers["X-Request-ID"] for r in responses]
    assert [line["status"] for line in lines] == [200, 401, 404, 405]


def test_request_line_has_every_field(make_app, factory, capsys):
    client = make_app().test_client()
    token = factory.key()
    client.get(
        url("/businesses?limit=5"),
        headers={**bearer(token), "X-Request-ID": "trace-1"},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    (line,) = access_lines(capsys)
    assert set(line) == REQUEST_FIELDS
    assert line["request_id"] == "trace-1"
    assert line["method"] == "GET" and line["path"] == url("/businesses")
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["key_prefix"] == token[3:11]
    assert line["client"] == "192.0.2.7"
    assert line["time"].endswith("Z")


def test_a_handler_added_to_the_service_logger_gets_the_access_record_too(
    make_app, factory, capsys
):
    # The line goes straight to the stream handler set up by configure; a handler an
    # operator adds (here one that keeps records) still gets a record with the fields.
    client = make_app().test_client()
    token = factory.key()
    kept: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            kept.append(record)

    quiet = Keep(level=logging.WARNING)
    keep = Keep()
    service_logger = logging.getLogger("agentapi")
    service_logger.addHandler(keep)
    service_logger.addHandler(quiet)
    try:
        client.get(url("/businesses"), headers={**bearer(token), "X-Request-ID": "kept-1"})
        client.get(url(f"/nowhere/{token}"), headers={"X-Request-ID": "kept-2"})
    finally:
        service_logger.removeHandler(keep)
        service_logger.removeHandler(quiet)
    record, stray = [r for r in kept if r.name == "agentapi.access"]
    assert record.levelno == logging.INFO and record.getMessage() == "request"
    assert record.fields["request_id"] == "kept-1" and record.fields["status"] == 200
    # Its fields are cut as the JSON line is: a token in the path loses its secret.
    assert stray.fields["request_id"] == "kept-2" and token[12:] not in stray.fields["path"]
    assert [line["request_id"] for line in access_lines(capsys)] == ["kept-1", "kept-2"]


def test_a_log_stream_that_fails_does_not_fail_the_request(make_app, factory, monkeypatch):
    client = make_app().test_client()
    token = factory.key()

    class Broken:
        def write(self, text: str) -> None:
            raise BrokenPipeError("stderr is gone")

        def flush(self) -> None:
            raise BrokenPipeError("stderr is gone")

    [handler] = logging.getLogger("agentapi").handlers
    monkeypatch.setattr(handler, "stream", Broken())
    monkeypatch.setattr(logging, "raiseExceptions", False)  # no report on the broken stream
    response = client.get(url("/businesses"), headers=bearer(token))
    assert response.status_code == 200 and response.get_json()["data"] == []


def test_unauthenticated_request_logs_no_key_prefix(make_app, capsys):
    make_app().test_client().get(url("/businesses"))
    (line,) = access_lines(capsys)
    assert line["key_prefix"] is None and line["status"] == 401


def test_client_is_the_forwarded_address_only_behind_a_trusted_proxy(make_app, capsys):
    headers = {"X-Forwarded-For": "198.51.100.9"}
    environ = {"REMOTE_ADDR": "127.0.0.1"}
    make_app().test_client().get(url("/schema"), headers=headers, environ_base=environ)
    make_app(TRUSTED_PROXIES="1").test_client().get(
        url("/schema"), headers=headers, environ_base=environ
    )
    assert [line["client"] for line in access_lines(capsys)] == ["127.0.0.1", "198.51.100.9"]


def test_unexpected_error_logs_type_and_trace_and_answers_without_them(make_app, factory, capsys):
    app = make_app()

    def broken():
        raise ValueError("internal detail 4711")

    broken.required_scope = None
    app.add_url_rule(url("/test-broken"), "test_broken", broken)
    response = app.test_client().get(url("/test-broken"), headers=bearer(factory.key()))
    assert_problem(response, 500, "internal_error")
    body = response.get_data(as_text=True)
    assert "ValueError" not in body and "4711" not in body and "Traceback" not in body
    lines = log_lines(capsys)
    (error,) = [line for line in lines if line["level"] == "error"]
    assert error["error_type"] == "ValueError"
    assert error["stack"].startswith("Traceback") and "internal detail 4711" in error["stack"]
    (access,) = [line for line in lines if line["logger"] == "agentapi.access"]
    assert access["status"] == 500 and access["error_type"] == "ValueError"
    assert access["request_id"] == response.get_json()["request_id"]


def test_odd_paths_still_log_one_valid_json_line(make_app, capsys):
    client = make_app().test_client()
    client.get(url('/"quoted"\\%0A\u00e9\u2028'))
    (line,) = access_lines(capsys)
    assert line["status"] == 404
    assert "\n" not in json.dumps(line)


def test_gunicorn_writes_one_json_line_per_request(database_url, factory, tmp_path):
    token = factory.key()
    log = tmp_path / "gunicorn.log"
    with LiveServer(log, DATABASE_URL=database_url) as server:
        for path, headers in [("/businesses", bearer(token)), ("/businesses", {})] * 3:
            try:
                urllib.request.urlopen(
                    urllib.request.Request(server.url(path), headers=headers), timeout=5
                ).close()
            except urllib.error.HTTPError as exc:
                exc.close()
    requests = [
        json.loads(line)
        for line in log.read_text().splitlines()
        if '"logger": "agentapi.access"' in line
    ]
    schema_probes = [r for r in requests if r["path"] == url("/schema")]
    rest = [r for r in requests if r["path"] != url("/schema")]
    assert schema_probes  # the readiness probe of LiveServer.start
    assert [(r["status"], r["key_prefix"]) for r in rest] == [
        (200, token[3:11]),
        (401, None),
    ] * 3


@pytest.mark.parametrize(
    "fields",
    [
        {"request_id": "r", "method": "GET", "path": "/a", "status": 200, "duration_ms": 1.25,
         "key_prefix": None, "client": "127.0.0.1"},
        {"path": '/"q"\\\n\u00e9\u2028\ud800', "status": 404, "duration_ms": 0.0,
         "error_type": "X"},
        {"odd": [1, 2], "flag": True, "nan": float("nan"), "big": 10**30, "when": object()},
        {"path": "/x/vb_abcdefgh_" + "s" * 32, "client": "vb_abcdefgh_" + "s" * 32},
    ],
)  # fmt: skip
def test_the_access_line_is_the_json_line_of_its_fields(fields):
    created = 1764606363.0456
    assert logs.access_text(created, "agentapi.access", fields) == logs.json_line(
        created, "info", "agentapi.access", "request", fields
    )
    assert "s" * 32 not in logs.access_text(created, "agentapi.access", fields)
