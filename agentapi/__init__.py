"""InvoiceScript Agent API: the application factory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import auth, db, errors, logs, pipeline, ratelimit
from .config import ConfigError, load_settings
from .jsonbody import OrjsonProvider
from .openapi import build_spec, spec_document
from .routes import register_all
from .sqlfiles import load_queries
from .usage import UsageRecorder

__all__ = ["ConfigError", "create_app"]


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings, errors, database, limits, keys, the pipeline, routes, spec."""
    settings = load_settings(os.environ, overrides)
    # No static folder: Flask would add a /static route that no one declared.
    app = Flask(__name__, static_folder=None)
    app.config["AGENTAPI"] = settings
    app.config["TESTING"] = settings["TESTING"]
    app.json = OrjsonProvider(app)
    app.url_map.strict_slashes = False
    # '//invoices' is no route: merging would answer it with an HTML redirect whose
    # Location is built from the request's Host header.
    app.url_map.merge_slashes = False
    logs.configure(settings["LOG_LEVEL"])
    errors.init_app(app)
    db.init_app(app, load_queries())
    ratelimit.init_app(app)
    auth.init_app(app)
    pipeline.install(app, UsageRecorder(settings["LAST_USED_INTERVAL"]))
    register_all(app, settings["URL_PREFIX"])
    app.extensions["agentapi.openapi"] = spec_document(build_spec(app))
    if settings["TRUSTED_PROXIES"]:
        n = settings["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    return app
