"""WSGI entry point: `gunicorn agentapi.wsgi:app` (the root wsgi.py is the same app)."""

import sys

from agentapi import ConfigError, create_app

try:
    app = create_app()
except ConfigError as exc:
    # One line, no traceback: the fix is in the environment, not in the code.
    sys.stderr.write(f"agentapi: configuration error: {exc}\n")
    sys.exit(3)
