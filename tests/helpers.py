"""Shared test helpers: the prefix, the route table, requests and problem+json checks."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .factories import bearer

PREFIX = "/api/agent/v1"
PROBLEM_FIELDS = {"type", "title", "status", "detail", "code", "request_id"}

# scope -> (path, whether it needs business_id)
ROUTES = {
    "businesses:read": ("/businesses", False),
    "invoices:read": ("/invoices", True),
    "services:read": ("/services", True),
    "availability:read": ("/availability", True),
}
BUSINESS_ROUTES = [path for path, needs in ROUTES.values() if needs]


def url(path: str) -> str:
    """The full path of a route under the default prefix."""
    return PREFIX + path


def route_params(path: str, business_id: str) -> dict[str, str]:
    """The minimal query string a route needs."""
    return {} if path == "/businesses" else {"business_id": business_id}


def get(client, token: str | None, path: str, /, *, headers: dict | None = None, **params):
    """GET a route (its path under the prefix) with `token` as the bearer key, if any.

    Returns the response whatever its status: for tests about errors and headers.
    Every other keyword is a query parameter (`token`, `path` included).
    """
    sent = {**(bearer(token) if token else {}), **(headers or {})}
    return client.get(url(path), query_string=params, headers=sent)


def get_json_ok(client, token: str | None, path: str, /, **params) -> dict[str, Any]:
    """GET a route as `get` does, assert a 200 and return the JSON body."""
    response = get(client, token, path, **params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _answer(response) -> tuple[int, str | None, Callable[[str], str | None], bytes]:
    """Status, media type, a header getter and the body bytes of any response tests see.

    Flask's test response, deploy_support's Reply (a real HTTP client's view) and its
    Recorded (raw bytes seen on the wire) all answer here the same way.
    """
    if hasattr(response, "status_code"):  # Flask's test client
        return response.status_code, response.mimetype, response.headers.get, response.data
    if callable(getattr(response, "header", None)):  # raw bytes seen on the wire
        return response.status, response.header("Content-Type"), response.header, response.body
    return response.status, response.headers["Content-Type"], response.headers.get, response.body


def assert_problem(response, status: int, code: str) -> dict[str, Any]:
    """The response is problem+json with the given status and code; returns the body.

    Works on Flask test responses and on the replies of a real server (deploy_support).
    """
    got_status, media_type, header, data = _answer(response)
    assert got_status == status, data[:500]
    assert media_type == "application/problem+json", data[:500]
    body = json.loads(data)
    assert set(body) >= PROBLEM_FIELDS, body
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:invoicescript:agentapi:problem:{code}"
    assert body["request_id"] == header("X-Request-ID")
    return body


def without_request_id(body: dict[str, Any]) -> dict[str, Any]:
    """A problem body minus its per-request id, for comparing two answers."""
    return {k: v for k, v in body.items() if k != "request_id"}
