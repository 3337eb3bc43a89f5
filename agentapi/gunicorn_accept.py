"""A gthread worker takes a new connection only while one of its threads is free.

Every gthread worker watches the one listening socket, and whichever wakes first
accepts. A client that opens several connections at once and keeps them (a dashboard
or a PHP proxy with keep-alive, a load test) therefore often lands all of them on one
worker: one process, one GIL, about half of two cores for as long as those
connections live, while the other worker idles. Measured with 16 keep-alive
connections and two workers of four threads: 11 of 25 one-second runs of /services
went to one worker, at about half the rate of the others (docs/benchmarks.md). A
connection accepted by a worker whose threads are all busy (say, with exports) also
waits in that worker's queue although another worker could serve it at once.

So a worker stops accepting while all its threads are busy, and starts again when one
is free, or for one connection every HOLD_SECONDS while they stay busy: a new
connection waits in the kernel's queue of the shared socket, where the first worker
with a free thread takes it, instead of in one worker's queue. Requests on connections
a worker already holds are served as before. A worker with a socket of its own
(SO_REUSEPORT) would spread connections too, but a reload would then reset the
connections waiting in an old worker's queue.
"""

from __future__ import annotations

import time
from typing import Any

from gunicorn.workers.gthread import ThreadWorker  # type: ignore[import-untyped]

# A busy worker takes a new connection again once this long has passed since it stopped,
# at its loop's next turn: at once under load (each finished request turns the loop),
# within gunicorn's one-second poll when its threads are all stuck. A free worker
# usually takes the connection within a millisecond meanwhile.
HOLD_SECONDS = 0.005


def accept_only_with_a_free_thread(worker: Any) -> None:
    """Make a gthread worker accept only while a thread is free (from post_worker_init,
    before its loop starts). Other worker classes are left as they are.

    Each connection handed to the thread pool is busy until gunicorn's finish_request;
    both run on the worker's main thread, as does the loop that asks set_accept_enabled
    each turn whether to watch the listening socket. A worker whose threads stay busy
    (its own keep-alive clients never let up, or exports) still takes one new
    connection every HOLD_SECONDS, so that no client waits on the others for long."""
    if not isinstance(worker, ThreadWorker):
        return
    threads = worker.cfg.threads
    accept = worker.accept
    enqueue_req = worker.enqueue_req
    finish_request = worker.finish_request
    set_accept_enabled = worker.set_accept_enabled
    busy = 0
    held_since: float | None = None  # when this worker last stopped accepting, busy

    def may_accept(enabled: bool) -> bool:
        nonlocal held_since
        if not enabled or busy < threads:
            held_since = None
            return enabled
        now = time.monotonic()
        if held_since is None:
            held_since = now
        return now - held_since >= HOLD_SECONDS

    def accept_one(listener: Any) -> None:
        nonlocal held_since
        accept(listener)
        if busy >= threads:
            held_since = time.monotonic()
            set_accept_enabled(False)  # now, not at the loop's next turn

    def enqueue(conn: Any) -> None:
        nonlocal busy
        enqueue_req(conn)
        busy += 1

    def finish(conn: Any, future: Any) -> None:
        nonlocal busy
        busy -= 1
        finish_request(conn, future)  # may hand the connection on again (enqueue)

    def set_accepting(enabled: bool) -> None:
        set_accept_enabled(may_accept(enabled))

    worker.accept = accept_one
    worker.enqueue_req = enqueue
    worker.finish_request = finish
    worker.set_accept_enabled = set_accepting
