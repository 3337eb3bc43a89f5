"""agentapi/gunicorn_response.py: one write for a short answer, the same bytes as before."""

from __future__ import annotations

import email.utils
import socket

import pytest
from gunicorn.config import Config
from gunicorn.http.parser import RequestParser
from gunicorn.http.wsgi import FileWrapper

from agentapi import gunicorn_response
from agentapi.gunicorn_response import OneWriteResponse

# gunicorn's own class (deploy/gunicorn.conf.py, once loaded, installs ours in its place).
Response = OneWriteResponse.__bases__[0]


class CountingSocket:
    """A real socket that counts the writes made on it."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.writes: list[bytes] = []

    def sendall(self, data: bytes) -> None:
        self.writes.append(bytes(data))
        self.sock.sendall(data)

    def sendfile(self, *args, **kwargs):
        self.writes.append(b"<sendfile>")
        return self.sock.sendfile(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.sock, name)


def request(head: bytes):
    parser = RequestParser(Config(), iter([head]), ("127.0.0.1", 5000))
    return next(parser)


def answer(response_class, head: bytes, status: str, headers, body_parts, file=None):
    """The bytes the response put on the wire, and its writes."""
    ours, theirs = socket.socketpair()
    counting = CountingSocket(ours)
    resp = response_class(request(head), counting, Config())
    resp.start_response(status, headers)
    if file is not None:
        resp.write_file(FileWrapper(file))
    for part in body_parts:
        resp.write(part)
    resp.close()
    ours.close()
    received = b""
    while chunk := theirs.recv(65536):
        received += chunk
    theirs.close()
    # The Date header differs between two answers made a second apart.
    lines = [x for x in received.split(b"\r\n") if not x.startswith(b"Date: ")]
    return b"\r\n".join(lines), counting.writes


GET = b"GET /api/agent/v1/services HTTP/1.1\r\nHost: localhost\r\n\r\n"
HEAD = b"HEAD /api/agent/v1/services HTTP/1.1\r\nHost: localhost\r\n\r\n"
BODY = b'{"data":[],"has_more":false,"next_cursor":null}'
JSON = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def test_a_short_answer_is_one_write_of_the_same_bytes():
    ours, writes = answer(OneWriteResponse, GET, "200 OK", JSON, [BODY])
    theirs, their_writes = answer(Response, GET, "200 OK", JSON, [BODY])
    assert ours == theirs and ours.endswith(b"\r\n\r\n" + BODY)
    assert len(writes) == 1 and len(their_writes) == 2


@pytest.mark.parametrize(
    ("head", "status", "body"),
    [(HEAD, "200 OK", [BODY]), (GET, "304 Not Modified", []), (GET, "200 OK", [])],
    ids=["head", "not_modified", "empty"],
)
def test_an_answer_without_body_bytes_still_sends_its_head(head, status, body):
    headers = [("ETag", 'W/"x"')] if status.startswith("304") else JSON
    if not body and status == "200 OK":
        headers = [("Content-Type", "application/json"), ("Content-Length", "0")]
    ours, writes = answer(OneWriteResponse, head, status, headers, body)
    theirs, _ = answer(Response, head, status, headers, body)
    assert ours == theirs and ours.startswith(f"HTTP/1.1 {status}".encode())
    assert len(writes) == 1


def test_a_streamed_answer_is_chunked_as_before():
    parts = [b"line one\n", b"", b"line two\n"]
    headers = [("Content-Type", "application/x-ndjson")]
    ours, writes = answer(OneWriteResponse, GET, "200 OK", headers, parts)
    theirs, _ = answer(Response, GET, "200 OK", headers, parts)
    assert ours == theirs
    assert b"Transfer-Encoding: chunked" in ours and ours.endswith(b"0\r\n\r\n")
    assert writes[0].startswith(b"HTTP/1.1 200") and writes[0].endswith(b"\r\n\r\n")


def test_a_file_goes_after_its_head(tmp_path):
    path = tmp_path / "page.html"
    path.write_bytes(b"<html>" + b"x" * 5000 + b"</html>")
    headers = [("Content-Type", "text/html"), ("Content-Length", str(path.stat().st_size))]
    with path.open("rb") as one, path.open("rb") as two:
        ours, writes = answer(OneWriteResponse, GET, "200 OK", headers, [], file=one)
        theirs, _ = answer(Response, GET, "200 OK", headers, [], file=two)
    assert ours == theirs and ours.endswith(b"</html>")
    assert writes[0].startswith(b"HTTP/1.1 200") and writes[1:] == [b"<sendfile>"]


def test_the_date_is_gunicorn_s_text_for_the_current_second(monkeypatch):
    now = [1_764_600_000.25]
    monkeypatch.setattr(gunicorn_response.time, "time", lambda: now[0])
    assert gunicorn_response.http_date() == "Mon, 01 Dec 2025 14:40:00 GMT"
    now[0] += 0.7  # the same second: the same text
    assert gunicorn_response.http_date() == "Mon, 01 Dec 2025 14:40:00 GMT"
    now[0] += 0.1  # the next one
    assert gunicorn_response.http_date() == "Mon, 01 Dec 2025 14:40:01 GMT"
    assert gunicorn_response.http_date() == email.utils.formatdate(now[0], usegmt=True)
    assert gunicorn_response.http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT"
