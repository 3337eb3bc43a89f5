"""gunicorn settings for the Agent API: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Environment (the systemd unit's EnvironmentFile, or the shell):
  AGENTAPI_BIND     127.0.0.1:8000 (default), or unix:/run/agentapi/agentapi.sock
  AGENTAPI_WORKERS  worker processes (redis:// storage only; default: one per core)
  AGENTAPI_THREADS  threads of the single process with memory:// storage (default 4)
  AGENTAPI_RATELIMIT_STORAGE_URI decides the worker model. memory:// keeps the
  counts in one process, so exactly one (threaded) process serves; redis:// shares
  them, so several sync workers serve (about twice one threaded worker on 2 cores).
The checks in on_starting run on the final settings, command-line flags included.
"""

import json
import os
import sys
import uuid

import gunicorn.util
from gunicorn.glogging import Logger

from agentapi.logs import redact


def _count(name: str, default: int) -> int:
    """A positive whole number from the environment, or a one-line refusal."""
    raw = os.environ.get(name, "").strip() or str(default)
    if not raw.isdigit() or int(raw) < 1:
        sys.exit(f"agentapi: {name} must be a whole number of at least 1, got {raw!r}")
    return int(raw)


_storage = os.environ.get("AGENTAPI_RATELIMIT_STORAGE_URI", "memory://")
_shared_limits = not _storage.startswith("memory://")

bind = [os.environ.get("AGENTAPI_BIND", "127.0.0.1:8000")]
if _shared_limits:
    workers = _count("AGENTAPI_WORKERS", os.cpu_count() or 1)
    worker_class = "sync"
    threads = 1
    # Recycle workers now and then (guards against slow leaks); the jitter keeps
    # them from all restarting at once. The counts live in Redis, so nothing is lost.
    max_requests = 10000
    max_requests_jitter = 1000
else:
    workers = _count("AGENTAPI_WORKERS", 1)
    worker_class = "gthread"
    threads = _count("AGENTAPI_THREADS", 4)
    # A recycled worker would forget every key's count: no recycling with memory://.
    max_requests = 0
    max_requests_jitter = 0

# A worker silent for this long is killed and replaced (a statement is cut off after
# AGENTAPI_STATEMENT_TIMEOUT, 5 s by default, long before). On HUP or SIGTERM, workers
# finish the requests in hand for up to graceful_timeout seconds.
timeout = 30
graceful_timeout = 20
keepalive = 5

# No runtime control socket (gunicornc): it could add workers behind the memory://
# check below, and its default path ($HOME/.gunicorn) is shared by every instance of
# a user and not writable for the service user. Reload with HUP (systemctl reload).
control_socket_disable = True

# gunicorn answers requests over its limits itself, with an HTML 400/414/431 page.
# Lift them, so that every request reaches the app, which enforces its own caps
# (agentapi/headers.py) and answers them as problem+json. nginx or Apache in front
# cap requests long before these sizes.
limit_request_line = 0  # unlimited
limit_request_fields = 32768  # gunicorn's maximum
limit_request_field_size = 1024 * 1024


def write_problem(sock, status_int, reason, mesg):
    """gunicorn's answer to a request it cannot parse, as problem+json instead of HTML."""
    request_id = uuid.uuid4().hex
    code = "invalid_parameter" if status_int < 500 else "internal_error"
    body = {
        "type": f"urn:invoicescript:agentapi:problem:{code}",
        "title": reason,
        "status": status_int,
        "detail": f"request: {reason.lower()}; the request could not be read.",
        "code": code,
        "request_id": request_id,
    }
    if code == "invalid_parameter":
        body["errors"] = [{"parameter": "request", "message": reason.lower()}]
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

# One access line per request on stdout: request id, key prefix, real client address
# (after ProxyFix), method, path without the query string; never the Authorization
# header. The app writes its own JSON line per request on stderr, with the same id.
accesslog = "-"
errorlog = "-"
access_log_format = (
    "request_id=%({x-request-id}o)s key=%({agentapi.key_prefix}e)s client=%(h)s "
    '"%(m)s %(U)s" status=%(s)s bytes=%(b)s ms=%(M)s'
)


class AccessLogger(Logger):
    """gunicorn's logger, cutting any token secret from the path it logs."""

    def atoms(self, resp, req, environ, request_time):
        """The format's atoms, with the path redacted."""
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = redact(atoms.get("U") or "")
        return atoms


logger_class = AccessLogger


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
