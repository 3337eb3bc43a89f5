"""gunicorn entry point in a checkout: `gunicorn wsgi:app` (installed: agentapi.wsgi:app)."""

from agentapi.wsgi import app

__all__ = ["app"]
