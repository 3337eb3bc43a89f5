"""gunicorn settings for the Agent API: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Environment: AGENTAPI_BIND (127.0.0.1:8000, or unix:/run/agentapi/agentapi.sock),
AGENTAPI_WORKERS, AGENTAPI_THREADS, and AGENTAPI_RATELIMIT_STORAGE_URI, which decides
the worker model: memory:// counts live in one process, so one process (threaded);
redis:// shares counts, so several sync workers.
"""

import os
import sys

_storage = os.environ.get("AGENTAPI_RATELIMIT_STORAGE_URI", "memory://")
_shared_limits = not _storage.startswith("memory://")

bind = [os.environ.get("AGENTAPI_BIND", "127.0.0.1:8000")]
if _shared_limits:
    workers = int(os.environ.get("AGENTAPI_WORKERS", str(os.cpu_count() or 1)))
    worker_class = "sync"
    threads = 1
else:
    workers = int(os.environ.get("AGENTAPI_WORKERS", "1"))
    worker_class = "gthread"
    threads = int(os.environ.get("AGENTAPI_THREADS", "4"))
    if workers != 1:
        sys.exit(
            "agentapi: AGENTAPI_RATELIMIT_STORAGE_URI=memory:// keeps limits in one process; "
            "set AGENTAPI_WORKERS=1 or use redis:// storage"
        )

timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 10000
max_requests_jitter = 1000
