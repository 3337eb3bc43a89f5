"""Log lines written out in batches: one write a tenth of a second, not one a request.

A write to stderr is a system call, and in a threaded worker a system call lets the
other threads take the interpreter. Under wrk, /services without any log line did
1.18x the requests of the same code writing one line each; with the lines batched
(and built without json.dumps), 1.09x (docs/benchmarks.md, seventh round). Lines given
to a LineBatch go out together, in order, at most DELAY_SECONDS later, from one
background thread per process; a warning or an error goes out at once, with every
line before it. On a normal exit (gunicorn's worker included) the rest is written.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import sys
import threading
import time
import weakref
from typing import TextIO

# At most this long between a line and its write; each batch costs one wake-up.
DELAY_SECONDS = 0.1
# Beyond this many characters waiting, the writer of the next line writes them all
# itself: a stalled stream (a full pipe) then slows requests down, as a plain write
# would, instead of filling memory.
MAX_PENDING_CHARS = 1 << 20


class LineBatch:
    """Text for one stream, written out in batches by a background thread."""

    def __init__(self, target: TextIO) -> None:
        self.target = target
        self._parts: list[str] = []
        self._pending_chars = 0
        self._lock = threading.Lock()  # the parts
        self._write_lock = threading.Lock()  # one batch at a time, in order
        self._wake = threading.Event()
        self._thread_started = False
        _batches.add(self)

    def write(self, text: str) -> None:
        """Queue text; it is written within DELAY_SECONDS."""
        with self._lock:
            self._parts.append(text)
            self._pending_chars += len(text)
            over = self._pending_chars > MAX_PENDING_CHARS
            if not self._thread_started:
                self._start_thread()
        if over:
            self.flush()
        elif not self._wake.is_set():
            self._wake.set()

    def flush(self) -> None:
        """Write everything queued now, in the caller's thread."""
        with self._write_lock:
            with self._lock:
                parts, self._parts, self._pending_chars = self._parts, [], 0
            if parts:
                self._write("".join(parts))

    def retarget(self, target: TextIO) -> None:
        """Write to another stream from now on (what was queued goes to the old one)."""
        self.flush()
        self.target = target

    def _write(self, text: str) -> None:
        # A stream that fails (closed, broken pipe) loses the batch, as StreamHandler
        # loses its line: a request never fails for its log line.
        with contextlib.suppress(OSError, ValueError):
            self.target.write(text)
            self.target.flush()

    def after_fork(self) -> None:
        """In a forked child: no writer thread yet, fresh locks, nothing queued (what
        the parent queued, the parent writes)."""
        self._parts, self._pending_chars = [], 0
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._thread_started = False

    def _start_thread(self) -> None:
        self._thread_started = True
        self._wake.clear()
        thread = threading.Thread(target=self._run, name="agentapi-log-batch", daemon=True)
        thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            # Let the batch fill, then clear before taking it: a line queued after
            # the clear wakes the next round.
            time.sleep(DELAY_SECONDS)
            self._wake.clear()
            self.flush()


_batches: weakref.WeakSet[LineBatch] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    # A forked child (a gunicorn worker) has none of the parent's threads, and a lock
    # the parent's writer held at the fork would stay held: each batch starts afresh.
    for batch in list(_batches):
        batch.after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)


class BatchedHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A StreamHandler whose lines go out through a LineBatch; a warning or worse at once."""

    def __init__(self, batch: LineBatch) -> None:
        super().__init__(batch)
        self.batch = batch

    def emit(self, record: logging.LogRecord) -> None:
        """Queue the formatted record; flush the queue for a warning or worse."""
        try:
            self.batch.write(self.format(record) + self.terminator)
            if record.levelno >= logging.WARNING:
                self.batch.flush()
        except Exception:
            self.handleError(record)

    def flush(self) -> None:
        """Write everything queued now."""
        self.batch.flush()


# One per process, whichever app (or test) configured logging last: its stream.
stderr_batch = LineBatch(sys.stderr)
atexit.register(stderr_batch.flush)
