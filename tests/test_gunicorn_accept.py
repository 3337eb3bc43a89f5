"""agentapi/gunicorn_accept.py's rule, on a gthread worker whose loop is driven by hand:
when it watches the listening socket, and how long a busy worker holds off."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from gunicorn.workers.gthread import ThreadWorker

from agentapi import gunicorn_accept


class DrivenWorker(ThreadWorker):
    """gunicorn's gthread worker without its loop: the calls the rule wraps are recorded."""

    def __init__(self, threads: int) -> None:  # gunicorn's own needs an arbiter
        self.cfg = SimpleNamespace(threads=threads)
        self.watching = False
        self.conns = 0

    def set_accept_enabled(self, enabled: bool) -> None:
        self.watching = enabled

    def enqueue_req(self, conn) -> None:
        pass

    def finish_request(self, conn, fs) -> None:
        pass

    def accept(self, listener) -> None:
        self.conns += 1
        self.enqueue_req(f"conn{self.conns}")


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(gunicorn_accept.time, "monotonic", lambda: now[0])
    return now


def driven(threads: int) -> DrivenWorker:
    worker = DrivenWorker(threads)
    gunicorn_accept.accept_only_with_a_free_thread(worker)
    worker.set_accept_enabled(True)  # the loop's first turn
    return worker


def test_a_worker_stops_watching_once_every_thread_is_busy_and_resumes_when_one_is_free(clock):
    worker = driven(threads=2)
    assert worker.watching
    worker.accept("listener")
    assert worker.watching  # one thread still free
    worker.accept("listener")
    assert not worker.watching  # at once, not at the loop's next turn
    worker.set_accept_enabled(True)  # the loop's next turn, both threads busy
    assert not worker.watching
    worker.finish_request("conn1", None)
    worker.set_accept_enabled(True)
    assert worker.watching


def test_requests_on_held_connections_count_as_busy_threads(clock):
    worker = driven(threads=2)
    worker.accept("listener")
    worker.enqueue_req("conn1")  # its keep-alive client's next request, queued
    worker.set_accept_enabled(True)
    assert not worker.watching


def test_a_busy_worker_still_takes_one_connection_every_hold(clock):
    worker = driven(threads=1)
    worker.accept("listener")
    worker.enqueue_req("conn1")  # the threads stay busy from here on
    worker.set_accept_enabled(True)
    assert not worker.watching
    clock[0] += gunicorn_accept.HOLD_SECONDS / 2
    worker.set_accept_enabled(True)
    assert not worker.watching
    clock[0] += gunicorn_accept.HOLD_SECONDS / 2
    worker.set_accept_enabled(True)
    assert worker.watching  # a connection waiting this long is taken here
    worker.accept("listener")
    assert not worker.watching  # and the hold starts again
    worker.set_accept_enabled(True)
    assert not worker.watching


def test_the_loop_turning_accepting_off_is_obeyed(clock):
    worker = driven(threads=4)
    worker.set_accept_enabled(False)  # gunicorn at worker_connections, or stopping
    assert not worker.watching


def test_other_worker_classes_are_left_alone():
    worker = SimpleNamespace(accept=object(), set_accept_enabled=object())
    before = dict(vars(worker))
    gunicorn_accept.accept_only_with_a_free_thread(worker)
    assert vars(worker) == before
