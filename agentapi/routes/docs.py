"""The API reference for people: a Redoc page rendering /schema, served by the service."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask import Blueprint, Response

bp = Blueprint("docs", __name__)

PAGE_DIR = Path(__file__).resolve().parent.parent / "docs_page"
# Only this origin. Redoc injects its styles (styled-components) as <style> elements,
# so styles need 'unsafe-inline'; scripts do not. Images: its icons are data: URIs.
# Its search index runs in a worker the bundle makes from a blob: of its own code
# (a URL of this origin); without blob: the browser blocks it and search is gone.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src blob:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)


# Every Redoc 2.x release shows its maker's logo in the sidebar from their CDN, with no
# option to turn it off: the bundle is served with that one URL made an empty data:
# image (the <img> hides itself when the image fails). The file on disk stays as
# published, so its checksum can be checked against the registry's.
OFFSITE_LOGO = (b"https://cdn.redoc.ly/redoc/logo-mini.svg", b"data:,")


@cache
def _read(name: str) -> bytes:
    """A file of the page, read once per process (the bundle without the offsite logo)."""
    data = (PAGE_DIR / name).read_bytes()
    if name == "redoc.standalone.js":
        data = data.replace(*OFFSITE_LOGO)
    return data


def _asset(name: str, mimetype: str) -> Response:
    """One file of the page, cached like /schema, under the page's policy."""
    response = Response(_read(name), mimetype=mimetype)
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/docs")
def page() -> Response:
    """The HTML page."""
    return _asset("index.html", "text/html")


@bp.get("/docs/redoc.standalone.js")
def redoc_bundle() -> Response:
    """Redoc's standalone bundle, vendored (docs_page/README.md)."""
    return _asset("redoc.standalone.js", "text/javascript")


# Public like /schema: no key, not counted (auth reads this attribute).
page.public = True  # type: ignore[attr-defined]
redoc_bundle.public = True  # type: ignore[attr-defined]
