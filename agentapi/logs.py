"""Structured logs: one JSON line per request, JSON for every other record too."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from typing import Any

from flask import Response, g, request

from .tokens import redact  # a token that reaches a log line by any road is cut


def json_line(created: float, level: str, logger: str, message: str, fields: Any) -> str:
    """One log line as JSON text, redacted once as a whole: a token is ASCII letters,
    digits and '_', which JSON text carries unescaped, so whatever field brought it is
    cut. Values json cannot write are written as their str()."""
    line: dict[str, object] = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
        + f".{int(created * 1000) % 1000:03d}Z",
        "level": level,
        "logger": logger,
        "message": message,
    }
    line.update(fields)
    return redact(json.dumps(line, default=str))


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record, its extra 'fields' and any exception trace."""
        fields = dict(getattr(record, "fields", {}))
        if record.exc_info:
            fields["error_type"] = record.exc_info[0].__name__ if record.exc_info[0] else None
            fields["stack"] = self.formatException(record.exc_info)
        return json_line(
            record.created, record.levelname.lower(), record.name, record.getMessage(), fields
        )


def write_line(
    logger: logging.Logger,
    text: Callable[[], str],
    record: Callable[[], logging.LogRecord],
    plain: Callable[[logging.Handler], bool],
) -> None:
    """Give one INFO line to every handler the logger reaches, as Logger.info would.

    A LogRecord, the caller lookup, the handler's filters and Formatter.format cost more
    than the line itself. A plain StreamHandler (no filters, and a formatter for which
    plain(handler) says the line is text() as it stands) gets text() written straight
    to its stream, under its lock. Any other handler on the way gets record(), as
    Logger.handle would give it; so does the logger's own filter, when it has one."""
    if logger.disabled or not logger.isEnabledFor(logging.INFO):
        return
    if logger.filters:
        logger.handle(record())
        return
    line = ""
    current: logging.Logger | None = logger
    while current is not None:
        for handler in current.handlers:
            if handler.level > logging.INFO:
                continue
            if type(handler) is logging.StreamHandler and not handler.filters and plain(handler):
                line = line or text()
                handler.acquire()
                try:
                    handler.stream.write(line + handler.terminator)
                    handler.stream.flush()
                except Exception:
                    # As StreamHandler.emit: a line that cannot be written (a closed
                    # or broken stream) is reported there, and the request goes on.
                    handler.handleError(record())
                finally:
                    handler.release()
            else:
                handler.handle(record())
        current = current.parent if current.propagate else None


class AccessLine:
    """Writes the access logger's JSON lines (write_line: straight to the stream handlers
    that have a JsonFormatter)."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger

    def write(self, fields: dict[str, object]) -> None:
        """Log one INFO line with these fields, if INFO is enabled."""
        write_line(
            self.logger,
            lambda: json_line(time.time(), "info", self.logger.name, "request", fields),
            lambda: self._record(fields),
            lambda handler: isinstance(handler.formatter, JsonFormatter),
        )

    def _record(self, fields: dict[str, object]) -> logging.LogRecord:
        logger = self.logger
        return logger.makeRecord(
            logger.name, logging.INFO, "", 0, "request", (), None, extra={"fields": fields}
        )


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
access_line = AccessLine(access_log)


def log_request(response: Response) -> Response:
    """Pipeline step, last of all: the request's one structured line."""
    state = g._get_current_object()
    environ = request.environ
    key = getattr(state, "api_key", None)
    started = getattr(state, "started", None)
    fields: dict[str, object] = {
        "request_id": getattr(state, "request_id", None),
        "method": request.method,
        # Cut here too: a handler added after `configure` gets these fields as they are.
        "path": redact(request.path),
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else 0.0,
        "key_prefix": key.prefix if key is not None else None,
        "client": environ.get("REMOTE_ADDR"),
    }
    error_type = getattr(state, "error_type", None)
    if error_type:
        fields["error_type"] = error_type
    access_line.write(fields)
    return response
