"""Structured logs: one JSON line per request, JSON for every other record too."""

from __future__ import annotations

import json
import logging
import sys
import time

from flask import Response, g, request

from .tokens import redact  # a token that reaches a log line by any road is cut


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record, its extra 'fields' and any exception trace.

        Redacted once, as a whole line: a token is ASCII letters, digits and '_',
        which JSON text carries unescaped, so whatever field brought it is cut."""
        created = record.created
        line: dict[str, object] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
            + f".{int(created * 1000) % 1000:03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["error_type"] = record.exc_info[0].__name__ if record.exc_info[0] else None
            line["stack"] = self.formatException(record.exc_info)
        return redact(json.dumps(line, default=str))


def configure(level: str) -> None:
    """Send the service's logs, as JSON lines, to stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("agentapi", "flask-limiter"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False


access_log = logging.getLogger("agentapi.access")


def log_request(response: Response) -> Response:
    """Pipeline step, last of all: the request's one structured line."""
    key = g.get("api_key")
    fields = {
        "request_id": g.get("request_id"),
        "method": request.method,
        "path": redact(request.path),
        "status": response.status_code,
        "duration_ms": round(
            (time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 2
        ),
        "key_prefix": key.prefix if key is not None else None,
        "client": request.remote_addr,
    }
    if g.get("error_type"):
        fields["error_type"] = g.error_type
    if access_log.isEnabledFor(logging.INFO):
        # Straight to the handlers: Logger.info would first walk the stack for the
        # caller's file and line, which no line of ours shows.
        record = access_log.makeRecord(
            access_log.name, logging.INFO, "", 0, "request", (), None, extra={"fields": fields}
        )
        access_log.handle(record)
    return response
