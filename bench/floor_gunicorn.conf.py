"""gunicorn settings of the floor app: the service's worker model, gunicorn's defaults else.

The floor stands for the bare app as anyone would serve it, so it does not get the
service's deploy/gunicorn.conf.py: no request-head deadline, no problem+json error
pages (and the bare app writes no log line; the service writes one per request).
It keeps the worker model the service runs with (gthread,
AGENTAPI_WORKERS processes of AGENTAPI_THREADS threads, the same keep-alive), so the
ratio compares the apps, not two worker models. Until 2026-12-01 the floor ran with the
service's config, and the access line it paid there (about 0.1 ms a request) hid part
of the service's own cost from the ratios.
"""

import os

bind = [os.environ["AGENTAPI_BIND"]]
worker_class = "gthread"
workers = int(os.environ.get("AGENTAPI_WORKERS", "2"))
threads = int(os.environ.get("AGENTAPI_THREADS", "4"))
keepalive = 5
