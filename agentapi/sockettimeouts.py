"""The database socket's time limits, kept by the kernel instead of by Python.

PyMySQL limits each read and write with a Python socket timeout. A socket with a
timeout polls before every recv and send: two system calls where one would do, and in
a threaded worker each is a moment at which the other threads take the interpreter.
With this and the request head's untimed first read, a /services request makes 99
system calls instead of 137 under strace; the throughput gain was within the noise
of the host it was measured on (docs/benchmarks.md, seventh round). Here the socket
stays blocking and the kernel keeps the same limits (SO_RCVTIMEO, SO_SNDTIMEO): a
read or write that waits longer fails as a timed-out one did, with the same PyMySQL
errors (2013 on a read, 2006 on a write). TLS connections keep Python's timeouts:
an SSL socket does not take a kernel timeout cleanly.
"""

from __future__ import annotations

import errno
import socket
import struct
from typing import TYPE_CHECKING

import pymysql.connections
import pymysql.cursors
from pymysql import err
from pymysql.constants import CR

if TYPE_CHECKING:
    BaseConnection = pymysql.connections.Connection[pymysql.cursors.DictCursor]
else:
    BaseConnection = pymysql.connections.Connection


class KernelTimeouts(BaseConnection):
    """A PyMySQL connection whose waits can be limited by the kernel (limit_waits)."""

    # PyMySQL's own (its stubs do not know them): the limits it sets before a read or
    # a write, and the one set now.
    _read_timeout: float | None
    _write_timeout: float | None
    _current_timeout: float | None

    def limit_waits(self, seconds: float) -> None:
        """From now on, each read and each write waits at most seconds."""
        whole = int(seconds)
        value = struct.pack("ll", whole, int((seconds - whole) * 1_000_000))
        sock = self._sock  # type: ignore[attr-defined]
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)
        sock.settimeout(None)
        # PyMySQL sets a Python timeout before a read or write whose limit differs
        # from the current one: with none, it sets none.
        self._read_timeout = self._write_timeout = None
        self._current_timeout = None

    def _read_bytes(self, num_bytes: int) -> bytes:
        """PyMySQL's read of num_bytes, for a socket the kernel times out as well: its
        file then returns None, which PyMySQL would take for data."""
        while True:
            try:
                data = self._rfile.read(num_bytes)  # type: ignore[attr-defined]
                break
            except OSError as exc:
                if exc.errno == errno.EINTR:
                    continue
                self._force_close()  # type: ignore[attr-defined]
                raise err.OperationalError(
                    CR.CR_SERVER_LOST, f"Lost connection to MySQL server during query ({exc})"
                ) from exc
            except BaseException:
                self._force_close()  # type: ignore[attr-defined]
                raise
        if data is None:
            self._force_close()  # type: ignore[attr-defined]
            raise err.OperationalError(
                CR.CR_SERVER_LOST, "Lost connection to MySQL server during query (timed out)"
            )
        if len(data) < num_bytes:
            self._force_close()  # type: ignore[attr-defined]
            raise err.OperationalError(
                CR.CR_SERVER_LOST, "Lost connection to MySQL server during query"
            )
        data_bytes: bytes = data
        return data_bytes
