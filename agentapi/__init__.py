"""InvoiceScript Agent API: the application factory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import auth, db, errors, headers, logs, ratelimit
from .config import ConfigError, load_settings
from .openapi import build_spec, spec_document
from .routes import register_all
from .sqlfiles import load_queries

__all__ = ["ConfigError", "create_app"]


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: config, db, errors, request ids, auth, limiter, scopes, routes, spec."""
    settings = load_settings(os.environ, overrides)
    app = Flask(__name__)
    app.config["AGENTAPI"] = settings
    app.config["TESTING"] = settings["TESTING"]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.url_map.strict_slashes = False
    logs.configure(settings["LOG_LEVEL"])
    db.init_app(app, load_queries())
    errors.init_app(app)

    # after_request hooks run in reverse order of registration: the log line goes last.
    app.after_request(logs.log_request)
    # before_request hooks run in order: request id, authentication, the limit, the scope.
    headers.init_app(app)
    auth.init_app(app)
    ratelimit.init_app(app)
    auth.init_scope_check(app)
    app.after_request(ratelimit.add_headers)

    register_all(app, settings["URL_PREFIX"])
    app.extensions["agentapi.openapi"] = spec_document(build_spec(app))
    if settings["TRUSTED_PROXIES"]:
        n = settings["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    return app
