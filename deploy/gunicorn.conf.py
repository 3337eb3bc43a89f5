"""gunicorn settings for the Agent API: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Environment (the systemd unit's EnvironmentFile, or the shell):
  AGENTAPI_BIND     127.0.0.1:8000 (default), or unix:/run/agentapi/agentapi.sock
  AGENTAPI_WORKERS  worker processes (redis:// storage only; default: one per core)
  AGENTAPI_THREADS  threads per worker process (default 4)
  AGENTAPI_RATELIMIT_STORAGE_URI decides the number of processes. memory:// keeps the
  counts in one process, so exactly one (threaded) process serves; redis:// shares
  them, so one threaded process per core serves. Workers are gthread in both: a
  streamed export outlives a sync worker's timeout (docs/deploy.md).
The checks in on_starting run on the final settings, command-line flags included.
"""

import contextlib
import json
import logging
import os
import socket
import sys
import time
import uuid

import gunicorn.http.parser
import gunicorn.util
from gunicorn.http.message import Request

from agentapi import gunicorn_response
from agentapi.errors import TITLES
from agentapi.gunicorn_accept import accept_only_with_a_free_thread
from agentapi.headers import MAX_HEADER_FIELD_BYTES, MAX_HEADER_FIELDS, MAX_TARGET_BYTES


def _count(name: str, default: int) -> int:
    """A positive whole number from the environment, or a one-line refusal."""
    raw = os.environ.get(name, "").strip() or str(default)
    if not raw.isdigit() or int(raw) < 1:
        sys.exit(f"agentapi: {name} must be a whole number of at least 1, got {raw!r}")
    return int(raw)


_storage = os.environ.get("AGENTAPI_RATELIMIT_STORAGE_URI", "memory://")
_shared_limits = not _storage.startswith("memory://")

bind = [os.environ.get("AGENTAPI_BIND", "127.0.0.1:8000")]
# gthread for both storages: a sync worker heartbeats only between requests, so the
# arbiter kills it once one response outlives `timeout`, and an export streams for as
# long as it takes. Each streaming export holds one thread for its whole length.
worker_class = "gthread"
threads = _count("AGENTAPI_THREADS", 4)
if _shared_limits:
    workers = _count("AGENTAPI_WORKERS", os.cpu_count() or 1)
else:
    workers = _count("AGENTAPI_WORKERS", 1)
# No recycling: with memory:// a recycled worker would forget every key's count, and
# under either storage it would cut off the exports it streams after graceful_timeout.
max_requests = 0
max_requests_jitter = 0

# A worker silent for this long is killed and replaced (a statement is cut off after
# AGENTAPI_STATEMENT_TIMEOUT, 5 s by default, long before). gthread workers heartbeat
# from their main thread, so a long export does not count as silence. On HUP or
# SIGTERM, workers finish the requests in hand for up to graceful_timeout seconds.
timeout = 30
graceful_timeout = 20
keepalive = 5

# A unix socket gunicorn binds itself is srw-rw---- (gunicorn's default umask of 0
# made it srwxrwxrwx: any local user could connect and, with AGENTAPI_TRUSTED_PROXIES,
# name its own client address). Under systemd, agentapi.socket creates the socket
# for the web server's group instead (deploy/systemd/agentapi.socket).
umask = 0o117

# No runtime control socket (gunicornc): it could add workers behind the memory://
# check below, and its default path ($HOME/.gunicorn) is shared by every instance of
# a user and not writable for the service user. Reload with HUP (systemctl reload).
control_socket_disable = True

# Request limits. The app enforces the contract's caps (agentapi/headers.py: a 16 KB
# URL, 100 header fields, 8 KB each) and names the parameter in its problem+json; a
# bound here sits a little above each cap, so that the app answers up to its cap and
# beyond, and gunicorn refuses only what is far over it, early and cheaply (its
# parser copies the whole buffer per read: cost grows with the square of the size).
# write_problem below answers those refusals in the same format.
limit_request_line = MAX_TARGET_BYTES + 1024
limit_request_fields = MAX_HEADER_FIELDS + 20
limit_request_field_size = 2 * MAX_HEADER_FIELD_BYTES
# All header lines together: the contract's 100 fields of 8 KB, plus room.
HEAD_BYTES = MAX_HEADER_FIELDS * MAX_HEADER_FIELD_BYTES + 64 * 1024
# Seconds a client has to send a request's line and headers, from its first read.
# Without it, a client that sends one byte and stops holds a thread (gthread) or a
# whole worker (sync) until it disconnects; behind nginx the head arrives at once.
REQUEST_HEAD_TIMEOUT = 3.0


class BoundedRequest(Request):
    """gunicorn's request parser, with the URL limit above and a deadline for the head."""

    def parse(self, unreader):
        """Parse the head within REQUEST_HEAD_TIMEOUT and HEAD_BYTES."""
        # gunicorn caps limit_request_line at 8190 bytes, below the contract's 16 KB.
        if self.cfg.limit_request_line > 0:
            self.limit_request_line = self.cfg.limit_request_line
            self._fast_limit_request_line = self.cfg.limit_request_line
        self.max_buffer_headers = min(self.max_buffer_headers, HEAD_BYTES)
        self._deadline = time.monotonic() + REQUEST_HEAD_TIMEOUT
        # A gthread worker hands a connection to a thread only once it is readable
        # (or its next bytes are buffered), so the head's first read returns at once:
        # it goes without a timeout. Most heads arrive whole in it, and a socket with a
        # timeout costs two system calls to set and restore it and a poll() before
        # each read, each a moment at which the worker's other threads take over.
        self._first_read = self.cfg.worker_class_str == "gthread"
        self._prior_timeout: float | None = None
        self._timed = False
        try:
            return super().parse(unreader)
        finally:
            sock = getattr(unreader, "sock", None)
            if self._timed and sock is not None:
                with contextlib.suppress(OSError):
                    sock.settimeout(self._prior_timeout)

    def read_into(self, unreader, buf, stop=False):
        """One read, given only the time left to the head's deadline."""
        if self._first_read:
            self._first_read = False
            super().read_into(unreader, buf, stop)
            return
        sock = getattr(unreader, "sock", None)
        remaining = self._deadline - time.monotonic()
        try:
            if sock is not None:
                if remaining <= 0:
                    raise TimeoutError
                if not self._timed:
                    self._prior_timeout = sock.gettimeout()
                    self._timed = True
                sock.settimeout(remaining)
            super().read_into(unreader, buf, stop)
        except TimeoutError:
            self._time_out(sock, bool(buf))

    def _time_out(self, sock, started: bool) -> None:
        """Close a connection whose head did not arrive in time: a 408 if it had begun."""
        if sock is None:
            raise StopIteration("request head not received in time")
        if started:
            logging.getLogger("gunicorn.error").warning(
                "Closing a request from %s: its head did not arrive within %s s",
                self.peer_addr[0] if isinstance(self.peer_addr, tuple) else "unix socket",
                REQUEST_HEAD_TIMEOUT,
            )
            with contextlib.suppress(OSError):
                write_problem(sock, 408, "Request Timeout", "")
        # Shut both ways now: gunicorn's graceful close would otherwise wait up to 2 s
        # more for this client to hang up (on the gthread worker's main loop, even).
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        # The worker treats StopIteration as "close this connection", quietly.
        raise StopIteration("request head not received in time")


# Every worker class (sync, gthread) builds its requests through this parser class.
gunicorn.http.parser.RequestParser.mesg_class = BoundedRequest

# A response's head goes out in the same write as its first body bytes (one system
# call, not two, for a short page): agentapi/gunicorn_response.py.
gunicorn_response.install()

_PROBLEM_PARAMETERS = {
    414: ("query", f"the URL is longer than {MAX_TARGET_BYTES} bytes"),
    431: (
        "headers",
        f"more than {MAX_HEADER_FIELDS} header fields, or one longer than "
        f"{MAX_HEADER_FIELD_BYTES} bytes",
    ),
    408: ("request", f"the request was not sent within {REQUEST_HEAD_TIMEOUT:g} s"),
}


def write_problem(sock, status_int, reason, mesg):
    """gunicorn's answer to a request it cannot parse, as problem+json instead of HTML."""
    request_id = uuid.uuid4().hex
    code = "invalid_parameter" if status_int < 500 else "internal_error"
    parameter, message = _PROBLEM_PARAMETERS.get(
        status_int, ("request", f"{reason.lower()}; the request could not be read")
    )
    body = {
        "type": f"urn:invoicescript:agentapi:problem:{code}",
        "title": TITLES[code],  # the app's title of the code, as every problem has
        "status": status_int,
        "detail": f"{parameter}: {message}." if code == "invalid_parameter" else reason,
        "code": code,
        "request_id": request_id,
    }
    if code == "invalid_parameter":
        body["errors"] = [{"parameter": parameter, "message": message}]
    data = json.dumps(body, separators=(",", ":")).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/problem+json\r\nContent-Length: {len(data)}\r\n"
        f"X-Request-ID: {request_id}\r\nCache-Control: no-store\r\n\r\n"
    )
    gunicorn.util.write_nonblock(sock, head.encode("latin-1") + data)


# Requests that cannot be parsed at all (a raw non-ASCII byte in the request line,
# a bare LF...) never reach the app, and nginx passes such request lines through as
# they came. gunicorn has no setting for its error page; its one writer is replaced.
gunicorn.util.write_error = write_problem

# Forwarded headers are the app's business (AGENTAPI_TRUSTED_PROXIES, ProxyFix).
# gunicorn's own handling would trust any unix-socket peer and answers an HTML 400
# when X-Forwarded-Proto and X-Forwarded-Ssl disagree, which a client can provoke.
secure_scheme_headers = {}
forwarder_headers = ""
# With both of those empty, whom gunicorn trusts to set them changes nothing; "*" only
# spares each request the peer address check (ipaddress parsing, about 1.5 % of a
# /services request in the worker). It also governs cleartext HTTP/2, which this
# service does not enable (gunicorn's http_protocols stays "h1").
forwarded_allow_ips = "*"

# No access line of gunicorn's: the app writes each request's one line, as JSON on
# stderr (agentapi/logs.py: request id, key prefix, real client address, method, path
# without the query string, status, duration; never a token). A second line per
# request from gunicorn said the same again, and cost about 40 us of a worker's CPU
# (docs/benchmarks.md, sixth round). gunicorn's own messages still go to stderr.
accesslog = None
errorlog = "-"


def on_starting(server):
    """Refuse settings under which the limit would not be exact or clients unknown."""
    cfg = server.cfg
    if not _shared_limits and cfg.workers != 1:
        sys.exit(
            f"agentapi: {cfg.workers} workers with AGENTAPI_RATELIMIT_STORAGE_URI=memory:// "
            "would give each key that many times its rate limit. Fix: run one worker "
            "(AGENTAPI_WORKERS=1, raise AGENTAPI_THREADS instead) or share the counts in "
            "Redis (AGENTAPI_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0)."
        )
    proxies = os.environ.get("AGENTAPI_TRUSTED_PROXIES", "0").strip() or "0"
    if any(str(a).startswith("unix:") for a in cfg.bind) and proxies == "0":
        sys.exit(
            "agentapi: on a unix socket the client's address only arrives in "
            "X-Forwarded-For. Fix: set AGENTAPI_TRUSTED_PROXIES=1 (nginx or the PHP "
            "proxy in front), or bind to 127.0.0.1:8000."
        )


def post_worker_init(worker):
    """A worker takes new connections only while a thread is free to serve one
    (agentapi/gunicorn_accept.py): meanwhile another worker takes them."""
    accept_only_with_a_free_thread(worker)
