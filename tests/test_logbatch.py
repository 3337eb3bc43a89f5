"""Log lines go out in batches, in order, soon; warnings at once; the rest at exit."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import threading
import time

import pytest

from agentapi import logbatch
from agentapi.logbatch import BatchedHandler, LineBatch

from .deploy_support import wait_until


class Recording(io.StringIO):
    """A stream that counts its writes."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def test_lines_from_many_threads_arrive_in_order_in_few_writes_within_the_delay():
    target = Recording()
    batch = LineBatch(target)

    def writer(n: int) -> None:
        for i in range(200):
            batch.write(f"{n}:{i}\n")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    written_at = time.monotonic()
    wait_until(lambda: target.getvalue().count("\n") == 800, 5, "every line written", None)
    assert time.monotonic() - written_at < logbatch.DELAY_SECONDS + 0.5
    lines = target.getvalue().splitlines()
    for n in range(4):  # each thread's lines in the order it wrote them
        assert [x for x in lines if x.startswith(f"{n}:")] == [f"{n}:{i}" for i in range(200)]
    assert target.writes < 20  # not one write a line


def test_a_warning_goes_out_at_once_with_the_lines_before_it(monkeypatch):
    monkeypatch.setattr(logbatch, "DELAY_SECONDS", 30)  # no batch meanwhile
    target = Recording()
    handler = BatchedHandler(LineBatch(target))
    logger = logging.getLogger("agentapi.test-batch")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        logger.warning("first")  # starts the batch's thread, written at once
        logger.info("queued")
        assert "queued" not in target.getvalue()  # still waiting for its batch
        logger.error("stop")
        assert target.getvalue().splitlines() == ["first", "queued", "stop"]
    finally:
        logger.removeHandler(handler)


def test_past_the_pending_cap_the_writer_writes_itself(monkeypatch):
    monkeypatch.setattr(logbatch, "MAX_PENDING_CHARS", 100)
    monkeypatch.setattr(logbatch, "DELAY_SECONDS", 30)  # no batch meanwhile
    target = Recording()
    batch = LineBatch(target)
    batch.write("a" * 60 + "\n")
    assert target.getvalue() == ""
    batch.write("b" * 60 + "\n")  # over the cap: no waiting for the thread
    assert target.getvalue() == "a" * 60 + "\n" + "b" * 60 + "\n"


def test_a_broken_stream_loses_its_batch_but_never_raises():
    class Broken:
        def write(self, text: str) -> None:
            raise BrokenPipeError("stderr is gone")

        def flush(self) -> None:
            raise BrokenPipeError("stderr is gone")

    batch = LineBatch(Broken())  # type: ignore[arg-type]
    batch.write("lost\n")
    batch.flush()
    working = Recording()
    batch.retarget(working)
    batch.write("kept\n")
    batch.flush()
    assert working.getvalue() == "kept\n"


@pytest.mark.parametrize("how", ["returns", "sys.exit"])
def test_queued_lines_are_written_when_the_process_exits(how):
    end = "" if how == "returns" else "; import sys; sys.exit(3)"
    script = (
        "import logging; from agentapi import logs; logs.configure('INFO'); "
        "logging.getLogger('agentapi.test').info('last words')" + end
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
    )
    assert '"message": "last words"' in done.stderr


def test_a_forked_child_writes_its_lines_with_a_writer_thread_of_its_own(tmp_path):
    path = tmp_path / "out.log"
    with path.open("w") as target:
        batch = LineBatch(target)
        batch.write("parent\n")  # the parent's writer thread is running now
        batch.flush()
        pid = os.fork()
        if pid == 0:  # as gunicorn forks a worker
            batch.write("child\n")
            time.sleep(logbatch.DELAY_SECONDS + 1)
            os._exit(0)  # no exit handlers: only the child's writer thread can write it
        os.waitpid(pid, 0)
    assert path.read_text() == "parent\nchild\n"
