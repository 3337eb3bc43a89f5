"""Structured logs: one JSON line per request, JSON for every other record too."""

from __future__ import annotations

import json
import logging
import math
import sys
import time
from collections.abc import Callable
from typing import Any

from flask import Response, g, request

from .logbatch import BatchedHandler, stderr_batch
from .tokens import redact  # a token that reaches a log line by any road is cut

# Handlers whose emit is "format, write to the stream": write_line writes for them.
_STREAM_HANDLERS = (logging.StreamHandler, BatchedHandler)


# A str as a JSON string literal, non-ASCII \u-escaped: json.dumps's own writer (C).
_quote: Callable[[str], str] = json.encoder.encode_basestring_ascii
_second_text: tuple[int, str] = (0, "1970-01-01T00:00:00")


def time_text(created: float) -> str:
    """A timestamp as '2026-12-01T16:26:03.123Z' (UTC, milliseconds); the text up to
    the second is made once a second."""
    global _second_text
    second = int(created)
    cached_second, text = _second_text
    if second != cached_second:
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _second_text = (second, text)
    return f"{text}.{int(created * 1000) % 1000:03d}Z"


def json_line(created: float, level: str, logger: str, message: str, fields: Any) -> str:
    """One log line as JSON text, redacted once as a whole: a token is ASCII letters,
    digits and '_', which JSON text carries unescaped, so whatever field brought it is
    cut. Values json cannot write are written as their str()."""
    line: dict[str, object] = {
        "time": time_text(created),
        "level": level,
        "logger": logger,
        "message": message,
    }
    line.update(fields)
    return redact(json.dumps(line, default=str))


def _json_value(value: object) -> str:
    """A field's value as json.dumps writes it (default=str for anything else)."""
    if type(value) is str:
        return _quote(value)
    if value is None:
        return "null"
    if type(value) is int:
        return int.__repr__(value)
    if type(value) is float and math.isfinite(value):
        return float.__repr__(value)
    return json.dumps(value, default=str)


def access_text(created: float, logger: str, fields: dict[str, object]) -> str:
    """An access line: the text json_line writes for it, made piece by piece (a
    request's line costs a json.dumps with a fresh encoder otherwise)."""
    parts = [
        '{"time": "',
        time_text(created),
        '", "level": "info", "logger": ',
        _quote(logger),
        ', "message": "request"',
    ]
    for name, value in fields.items():
        parts += (", ", _quote(name), ": ", _json_value(value))
    parts.append("}")
    return redact("".join(parts))


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
    than the line itself. A plain StreamHandler or the service's BatchedHandler (no
    filters, and a formatter for which plain(handler) says the line is text() as it
    stands) gets text() written straight to its stream, under its lock (the batched
    one queues it). Any other handler on the way gets record(), as Logger.handle would
    give it; so does the logger's own filter, when it has one."""
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
            kind = type(handler)
            if (
                isinstance(handler, logging.StreamHandler)
                and kind in _STREAM_HANDLERS
                and not handler.filters
                and plain(handler)
            ):
                line = line or text()
                handler.acquire()
                try:
                    handler.stream.write(line + handler.terminator)
                    if kind is logging.StreamHandler:
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
            lambda: access_text(time.time(), self.logger.name, fields),
            lambda: self._record(fields),
            lambda handler: isinstance(handler.formatter, JsonFormatter),
        )

    def _record(self, fields: dict[str, object]) -> logging.LogRecord:
        logger = self.logger
        return logger.makeRecord(
            logger.name, logging.INFO, "", 0, "request", (), None, extra={"fields": fields}
        )


def configure(level: str) -> None:
    """Send the service's logs, as JSON lines, to stderr, in batches (agentapi/logbatch.py)."""
    stderr_batch.retarget(sys.stderr)
    handler = BatchedHandler(stderr_batch)
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


def flush() -> None:
    """Write out every queued line now (tests that read stderr right after a request)."""
    stderr_batch.flush()
