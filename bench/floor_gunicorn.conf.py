"""gunicorn settings of the floor app: gthread workers, gunicorn's defaults else.

The floor stands for the bare app as anyone would serve it, so it does not get the
service's deploy/gunicorn.conf.py: no request-head deadline, no problem+json error
pages (and the bare app writes no log line; the service writes one per request).
It is served the way a bare Flask app with a PyMySQL connection per thread is: gthread,
AGENTAPI_WORKERS processes of AGENTAPI_THREADS (default 4) threads, the service's
keep-alive; the worker model the service ran with when issue 14 set its targets. The
service has since moved to gevent workers (deploy/gunicorn.conf.py): the issue leaves
the worker model open, and the floor's stays what the bare app's natural deployment
is. Until 2026-12-01 the floor ran with the service's config, and the access line it
paid there (about 0.1 ms a request) hid part of the service's own cost from the ratios.
"""

import os

bind = [os.environ["AGENTAPI_BIND"]]
worker_class = "gthread"
workers = int(os.environ.get("AGENTAPI_WORKERS", "2"))
threads = int(os.environ.get("AGENTAPI_THREADS", "4"))
keepalive = 5
