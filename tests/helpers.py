"""Shared test helpers: route table and problem+json checks."""

from __future__ import annotations

from typing import Any

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


def assert_problem(response, status: int, code: str) -> dict[str, Any]:
    """The response is problem+json with the given status and code; returns the body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert set(body) >= PROBLEM_FIELDS, body
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:invoicescript:agentapi:problem:{code}"
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


def without_request_id(body: dict[str, Any]) -> dict[str, Any]:
    """A problem body minus its per-request id, for comparing two answers."""
    return {k: v for k, v in body.items() if k != "request_id"}
