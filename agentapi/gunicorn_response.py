"""gunicorn's HTTP/1 response, its head sent in the same write as the first body bytes.

gunicorn writes a response's head with one sendall and each body chunk with another:
a short page (the /services list is 3 KB) costs two system calls, two releases of
the GIL and two segments on the wire. OneWriteResponse keeps the head until the body's
first bytes and sends both at once; a response without a body (304, HEAD) or a
chunked one sends the head on its own, as before, as does a file sent with sendfile.
Installed by deploy/gunicorn.conf.py for the HTTP/1 workers' responses.

Each response's Date header is also written once a second, not once a response:
gunicorn formats it with email.utils.formatdate, 2 % of a /services request's time in
the worker (docs/benchmarks.md, ninth round).
"""

from __future__ import annotations

import email.utils
import time
from typing import Any

import gunicorn.http.wsgi  # type: ignore[import-untyped]
from gunicorn import util


class OneWriteResponse(gunicorn.http.wsgi.Response):  # type: ignore[misc]
    """gunicorn's Response, whose head waits for the first body bytes."""

    _head = b""  # the head, built and not yet written
    headers_sent: bool  # gunicorn's: the head is built (here: not necessarily written)

    def send_headers(self) -> None:
        """Build the head as gunicorn does, and keep it for the first write."""
        if self.headers_sent:
            return
        tosend = self.default_headers()
        tosend.extend([f"{k}: {v}\r\n" for k, v in self.headers])
        self._head = util.to_bytestring("{}\r\n".format("".join(tosend)), "latin-1")
        self.headers_sent = True

    def _flush_head(self) -> None:
        """Write the kept head, if there is one."""
        head, self._head = self._head, b""
        if head:
            util.write(self.sock, head)

    def _emit_body(self, data: bytes) -> None:
        """The first body bytes go out with the head, in one write."""
        if self._head and not self.chunked:
            head, self._head = self._head, b""
            util.write(self.sock, head + data)
            return
        self._flush_head()
        super()._emit_body(data)

    def sendfile(self, respiter: Any) -> bool:
        """gunicorn's sendfile, after the head (it writes to the socket itself)."""
        self.send_headers()
        self._flush_head()
        sent: bool = super().sendfile(respiter)
        return sent

    def close(self) -> None:
        """A response that wrote no body still sends its head."""
        self.send_headers()
        self._flush_head()
        super().close()


_formatted_date: tuple[int, str] = (-1, "")


def http_date(timestamp: float | None = None) -> str:
    """gunicorn's util.http_date (an IMF-fixdate, RFC 9110), the current second's text
    made once a second."""
    global _formatted_date
    if timestamp is not None:
        return email.utils.formatdate(timestamp, usegmt=True)
    second = int(time.time())
    cached_second, text = _formatted_date
    if second != cached_second:
        text = email.utils.formatdate(second, usegmt=True)
        _formatted_date = (second, text)
    return text


def install() -> None:
    """Make gunicorn build its HTTP/1 responses as OneWriteResponse, dated by http_date."""
    gunicorn.http.wsgi.Response = OneWriteResponse
    util.http_date = http_date
