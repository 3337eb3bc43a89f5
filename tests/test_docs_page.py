"""GET /docs: the Redoc reference page, its headers, and the page rendered in a real browser."""

from __future__ import annotations

import json
import shutil
import urllib.request

import pytest
from playwright.sync_api import sync_playwright

from .helpers import PREFIX, url
from .live_server import LiveServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PAGE_FILES = [("/docs", "text/html"), ("/docs/redoc.standalone.js", "text/javascript")]


@pytest.mark.parametrize(("path", "mimetype"), PAGE_FILES)
def test_page_files_are_public_cached_and_under_a_strict_policy(client, path, mimetype):
    response = client.get(url(path))
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    header = response.headers["Content-Security-Policy"]
    policy = dict(part.strip().split(" ", 1) for part in header.split(";"))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"  # no inline script, no other origin
    assert policy["connect-src"] == "'self'"
    assert policy["font-src"] == "'self'"
    assert policy["worker-src"] == "blob:"  # Redoc's search worker, made from its own code
    assert "X-RateLimit-Limit" not in response.headers  # not counted, like /schema


def test_page_has_no_inline_script_and_loads_only_relative_urls(client):
    html = client.get(url("/docs")).get_data(as_text=True)
    assert '<script src="docs/redoc.standalone.js"></script>' in html
    assert html.count("<script") == 1
    assert "http://" not in html and "https://" not in html
    assert 'spec-url="schema"' in html


def test_bundle_as_served_names_no_other_host_to_load_from(client):
    bundle = client.get(url("/docs/redoc.standalone.js")).get_data(as_text=True)
    assert "cdn.redoc.ly" not in bundle
    assert "fonts.googleapis.com" not in bundle and "fonts.gstatic.com" not in bundle


def test_schema_links_to_the_page(client):
    assert f"`{PREFIX}/docs`" in client.get(url("/schema")).get_json()["info"]["description"]


@pytest.fixture
def live(tmp_path, database_url):
    """The service under real gunicorn."""
    server = LiveServer(tmp_path / "gunicorn.log", DATABASE_URL=database_url).start()
    yield server
    server.stop()


def test_page_renders_every_operation_in_headless_chromium_with_nothing_blocked(live, tmp_path):
    assert shutil.which(CHROMIUM), "chromium is not installed: `make test` installs it"
    with urllib.request.urlopen(live.url("/schema"), timeout=10) as response:
        document = json.load(response)
    summaries = [op["summary"] for item in document["paths"].values() for op in item.values()]
    assert len(summaries) >= 6

    problems: list[str] = []
    elsewhere: list[str] = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            timeout=60_000,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                # Any other host does not resolve, whatever the page might try.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            ],
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(60_000)

            def only_this_origin(route):
                if route.request.url.startswith(live.base_url + "/"):
                    route.continue_()
                else:
                    elsewhere.append(route.request.url)
                    route.abort()

            page.route("**/*", only_this_origin)
            page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on("requestfailed", lambda r: problems.append(f"failed: {r.url} {r.failure}"))
            page.on(
                "response",
                lambda r: r.status >= 400 and problems.append(f"{r.status}: {r.url}"),
            )
            page.goto(live.url("/docs"), wait_until="networkidle")
            page.wait_for_selector(".api-content", state="attached")
            page.wait_for_load_state("networkidle")
            text = page.inner_text("body")
        finally:
            browser.close()

    missing = [summary for summary in summaries if summary not in text]
    assert not missing, f"not on the rendered page: {missing}"
    assert "bearerAuth" in text or "Bearer" in text
    assert not elsewhere, f"the page tried other origins: {elsewhere}"
    assert not problems, "\n".join(problems)
