"""One error type and one envelope: every non-2xx answer is application/problem+json.

This module knows errors only. Each concern that raises its own exceptions (the
database, the rate-limit store) registers a handler for them in its own init_app,
turning them into an ApiError built here.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask, Response, g
from werkzeug.exceptions import HTTPException, MethodNotAllowed

log = logging.getLogger("agentapi.errors")

PROBLEM_TYPE = "urn:invoicescript:agentapi:problem:"
REALM = 'Bearer realm="agentapi"'
RETRY_AFTER_UNAVAILABLE = "5"

TITLES = {
    "invalid_parameter": "Invalid parameter",
    "unauthorized": "Authentication required",
    "invalid_token": "Invalid token",
    "insufficient_scope": "Insufficient scope",
    "not_found": "Not found",
    "method_not_allowed": "Method not allowed",
    "rate_limited": "Too many requests",
    "internal_error": "Internal server error",
    "service_unavailable": "Service unavailable",
}
# The code of an HTTP error that werkzeug raises (no route, wrong method, bad request).
CODE_FOR_STATUS = {
    400: "invalid_parameter",
    401: "unauthorized",
    403: "insufficient_scope",
    404: "not_found",
    405: "method_not_allowed",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


class ApiError(Exception):
    """An error a client sees: status, stable code, detail, and optional extras."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra or {}


def invalid_parameter(parameter: str, message: str, status: int = 400) -> ApiError:
    """A 400 (or 414/431 for the size caps) naming the parameter at fault."""
    return ApiError(
        status,
        "invalid_parameter",
        f"{parameter}: {message}",
        errors=[{"parameter": parameter, "message": message}],
    )


def not_found(detail: str = "No such resource.") -> ApiError:
    """The one 404 for absent, deleted and forbidden objects alike."""
    return ApiError(404, "not_found", detail)


def rate_limited(detail: str, retry_after: int) -> ApiError:
    """A 429 with its Retry-After (whole seconds, at least 1)."""
    return ApiError(429, "rate_limited", detail, headers={"Retry-After": str(max(1, retry_after))})


def service_unavailable(what: str, exc: Exception) -> ApiError:
    """A dependency is unreachable or too slow: logged here, answered 503 with Retry-After."""
    log.error("%s error: %s", what, type(exc).__name__, exc_info=exc)
    g.error_type = type(exc).__name__
    return ApiError(
        503,
        "service_unavailable",
        f"The {what} is not answering; retry shortly.",
        headers={"Retry-After": RETRY_AFTER_UNAVAILABLE},
    )


def problem_response(error: ApiError) -> Response:
    """Render an ApiError as RFC 9457 problem+json."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + error.code,
        "title": TITLES.get(error.code, "Error"),
        "status": error.status,
        "detail": error.detail,
        "code": error.code,
        "request_id": g.get("request_id", ""),
    }
    if error.errors is not None:
        body["errors"] = error.errors
    body.update(error.extra)
    response = Response(
        json.dumps(body, separators=(",", ":")),
        status=error.status,
        mimetype="application/problem+json",
    )
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def _from_http_exception(exc: HTTPException) -> ApiError:
    status = exc.code or 500
    code = CODE_FOR_STATUS.get(status, "internal_error" if status >= 500 else "invalid_parameter")
    headers = {}
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        allowed = sorted(set(exc.valid_methods))
        headers["Allow"] = ", ".join(allowed)
        detail = f"This route answers {', '.join(allowed)} only."
    elif status == 404:
        detail = "No route matches this path."
    else:
        detail = exc.description or TITLES.get(code, "Error")
    return ApiError(status, code, detail, headers=headers)


def init_app(app: Flask) -> None:
    """Register the handlers for the service's own errors, werkzeug's, and the unexpected."""

    @app.errorhandler(ApiError)
    def handle_api_error(error: ApiError) -> Response:
        """Render errors raised by the service itself."""
        return problem_response(error)

    @app.errorhandler(HTTPException)
    def handle_http_exception(exc: HTTPException) -> Response:
        """Flask's and werkzeug's own errors (404, 405, 400 on bad requests...)."""
        return problem_response(_from_http_exception(exc))

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> Response:
        """Anything else: logged with its trace, answered without it."""
        log.error("unhandled %s", type(exc).__name__, exc_info=exc)
        g.error_type = type(exc).__name__
        return problem_response(
            ApiError(500, "internal_error", "Something went wrong on our side.")
        )
