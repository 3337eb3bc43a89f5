"""One blueprint per resource; register_all mounts them under the URL prefix."""

from __future__ import annotations

from flask import Flask

from . import availability, businesses, docs, export, invoices, meta, reports, services

# reports' /invoices/summary and /invoices/aging are static paths beside /invoices: no clash.
BLUEPRINTS = (
    businesses.bp,
    invoices.bp,
    export.bp,
    reports.bp,
    services.bp,
    availability.bp,
    meta.bp,
    docs.bp,
)


def register_all(app: Flask, prefix: str) -> None:
    """Mount every resource blueprint under the configured prefix."""
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint, url_prefix=prefix)
