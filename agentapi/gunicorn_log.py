"""gunicorn's access line: only the atoms its format names, each made loggable.

gunicorn's Logger.access builds every atom it knows for every request (each request
and response header, each environ entry, the time as text) and copies them into a
SafeAtoms, all before the format picks the eight it prints. With every string made
loggable as well, that was about 150 us of a worker's CPU per request, more than the
app's own pipeline steps. LoggableAtoms hands the format the atoms it asks for, as
SafeAtoms would have given them: looked up without regard to case for {header}i,
{header}o and {variable}e, "-" when absent, double quotes escaped, and every string
first passed through `loggable` (token secrets cut, unprintable characters escaped).
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterator, Mapping
from typing import Any

from gunicorn.glogging import Logger, SafeAtoms  # type: ignore[import-untyped]

from .logs import write_line
from .tokens import redact

# Control characters (a path's %0d%0a decodes to CR LF), DEL, C1 and the Unicode line
# separators, and the backslash itself, so that an escaped line reads unambiguously.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\\]")


def _escape_char(match: re.Match[str]) -> str:
    """One unprintable character as \\xNN (or \\uNNNN), a backslash as two."""
    char = match.group()
    if char == "\\":
        return "\\\\"
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def loggable(text: str) -> str:
    """Text bound for a log line: token secrets cut, unprintable characters escaped."""
    return _UNPRINTABLE.sub(_escape_char, redact(text))


def _safe(value: Any) -> Any:
    """An atom as the line shows it: strings loggable, with double quotes escaped."""
    if isinstance(value, str):
        return loggable(value).replace('"', '\\"')
    return value


def _find(pairs: Any, name: str) -> Any:
    """The last value of a header (or environ entry) whose lowercased name is name,
    as gunicorn's atoms would hold it; None when there is none."""
    found = None
    for key, value in pairs:
        if key.lower() == name:
            found = value
    return found


class LoggableAtoms(Mapping[str, Any]):
    """The atoms of one request, each computed when the format asks for it."""

    _SIMPLE = frozenset("hmUsbBMDTLq")

    def __init__(
        self, logger: Logger, resp: Any, req: Any, environ: dict[str, Any], request_time: Any
    ):
        self._logger = logger
        self._resp = resp
        self._req = req
        self._environ = environ
        self._request_time = request_time
        self._all: SafeAtoms | None = None

    def __bool__(self) -> bool:
        # logging takes a lone truthy Mapping argument as the format's named values.
        return True

    def __getitem__(self, key: str) -> Any:
        if key.startswith("{") and len(key) > 3 and key[-2] == "}":
            name, kind = key[1:-2].lower(), key[-1]
            if kind == "o":
                value = _find(self._resp.headers, name)
            elif kind == "i":
                value = _find(getattr(self._req, "headers", ()), name)
            elif kind == "e":
                value = self._environ.get(name)
                if value is None:
                    value = _find(self._environ.items(), name)
            else:
                return self._everything()[key]
            return "-" if value is None else _safe(value)
        if key in self._SIMPLE:
            return _safe(self._simple(key))
        return self._everything()[key]

    def _simple(self, key: str) -> Any:
        """The atoms gunicorn computes cheaply, computed the same way."""
        environ, request_time = self._environ, self._request_time
        if key == "h":
            return environ.get("REMOTE_ADDR", "-")
        if key == "m":
            return environ.get("REQUEST_METHOD")
        if key == "U":
            return environ.get("PATH_INFO")
        if key == "q":
            return environ.get("QUERY_STRING")
        if key == "s":
            status = self._resp.status
            return status.split(None, 1)[0] if isinstance(status, str) else status
        if key in "bB":
            sent = getattr(self._resp, "sent", None)
            if key == "B":
                return sent
            return sent is not None and str(sent) or "-"
        if key == "T":
            return request_time.seconds
        if key == "D":
            return request_time.seconds * 1000000 + request_time.microseconds
        if key == "M":
            return request_time.seconds * 1000 + int(request_time.microseconds / 1000)
        return f"{request_time.seconds}.{request_time.microseconds:06d}"  # L

    def _everything(self) -> SafeAtoms:
        """gunicorn's own atoms, made loggable: for what the format names beyond the above."""
        if self._all is None:
            atoms = Logger.atoms(self._logger, self._resp, self._req, self._environ,
                                 self._request_time)  # fmt: skip
            self._all = SafeAtoms(
                {k: loggable(v) if isinstance(v, str) else v for k, v in atoms.items()}
            )
        return self._all

    def __iter__(self) -> Iterator[str]:
        return iter(self._everything())

    def __len__(self) -> int:
        return len(self._everything())


class AccessLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger: one line per request whatever the request carried, no token."""

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        """The access line, from the atoms the format names (LoggableAtoms), written
        straight to a plain stream handler (logs.write_line) where it has one."""
        if not self.access_log_enabled:
            return
        access_log: logging.Logger = self.access_log
        fmt: str = self.cfg.access_log_format
        atoms = LoggableAtoms(self, resp, req, environ, request_time)
        try:
            write_line(
                access_log,
                lambda: fmt % atoms,
                lambda: access_log.makeRecord(
                    access_log.name, logging.INFO, "", 0, fmt, (atoms,), None
                ),
                _message_only,
            )
        except Exception:
            self.error(traceback.format_exc())


def _message_only(handler: logging.Handler) -> bool:
    """Whether the handler writes a record as its message and nothing else (gunicorn's
    access format), so that the line can be written as it is."""
    formatter = handler.formatter
    return type(formatter) is logging.Formatter and formatter._fmt == "%(message)s"
