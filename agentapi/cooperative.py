"""What a gevent worker (deploy/gunicorn.conf.py) needs done its own way.

gunicorn's gevent worker patches threading before it loads the app. threading's
semaphore is then still threading's own Python code, built on a Condition: a
statement that waited for a pooled database connection took about a fifth more of
the worker's CPU per request than with gevent's semaphore (docs/benchmarks.md,
eighth round).
"""

from __future__ import annotations

import threading
from typing import Any

import gevent.lock
import gevent.monkey


def bounded_semaphore(value: int) -> Any:
    """A BoundedSemaphore for the threading in force: gevent's once it is patched."""
    if gevent.monkey.is_module_patched("threading"):
        return gevent.lock.BoundedSemaphore(value)
    return threading.BoundedSemaphore(value)
