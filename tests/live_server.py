"""A real gunicorn serving the app on a free loopback port, its logs in a file.

A thin wrapper over deploy_support's launcher, for tests that want a base URL and a
context manager rather than a unix socket behind a proxy.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path

from .deploy_support import (
    ROOT,
    Server,
    free_port,
    gunicorn_env,
    run_gunicorn,
    wait_until,
    worker_pids,
)
from .helpers import url

__all__ = ["ROOT", "LiveServer", "free_port"]


class LiveServer:
    """gunicorn -c deploy/gunicorn.conf.py wsgi:app, started and stopped by a test."""

    def __init__(self, log_path: Path, *, DATABASE_URL: str, **settings: str) -> None:  # noqa: N803
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = gunicorn_env(DATABASE_URL, BIND=f"127.0.0.1:{self.port}", **settings)
        self.server: Server | None = None

    @property
    def process(self):
        """The gunicorn master process."""
        assert self.server is not None
        return self.server.process

    def url(self, path: str) -> str:
        """The full URL of a path under the API prefix."""
        return self.base_url + url(path)

    def start(self, timeout: float = 15.0) -> LiveServer:
        """Start gunicorn and wait until it answers the public schema route."""
        self.server = Server(run_gunicorn(self.env, self.log_path), self.log_path, str(self.port))

        def ready() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited: {self.server.log_text()[-2000:]}")
            with urllib.request.urlopen(self.url("/schema"), timeout=1):
                return True

        try:
            wait_until(ready, timeout, "gunicorn", self.log_path)
        except AssertionError:
            self.stop()
            raise
        return self

    def worker_pids(self) -> set[int]:
        """Process ids of the arbiter's worker children."""
        assert self.server is not None
        return worker_pids(self.server)

    def stop(self) -> None:
        """Stop gunicorn gracefully, then for good."""
        if self.server is not None:
            self.server.stop()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
