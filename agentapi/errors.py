"""One error type and one envelope: every non-2xx answer is application/problem+json."""

from __future__ import annotations

import json
import logging
import math
import time
from typing import Any

from flask import Flask, Response, g
from flask_limiter import RateLimitExceeded
from limits.errors import StorageError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from .db import DatabaseUnavailable, StatementTimeout

log = logging.getLogger("agentapi.errors")

PROBLEM_TYPE = "urn:invoicescript:agentapi:problem:"
REALM = 'Bearer realm="agentapi"'
DB_RETRY_AFTER = "5"

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
STATUS_CODES = {
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


def invalid_parameter(parameter: str, message: str) -> ApiError:
    """A 400 naming the parameter at fault."""
    return ApiError(
        400,
        "invalid_parameter",
        f"{parameter}: {message}",
        errors=[{"parameter": parameter, "message": message}],
    )


def not_found(detail: str = "No such resource.") -> ApiError:
    """The one 404 for absent, deleted and forbidden objects alike."""
    return ApiError(404, "not_found", detail)


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
    code = STATUS_CODES.get(status, "internal_error" if status >= 500 else "invalid_parameter")
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


def _from_rate_limit(exc: RateLimitExceeded) -> ApiError:
    from .ratelimit import reset_at  # noqa: PLC0415 - avoids an import cycle

    retry_after = max(1, math.ceil(reset_at() - time.time()))
    return ApiError(
        429,
        "rate_limited",
        f"Rate limit of {exc.limit.limit} exceeded; retry in {retry_after} s.",
        headers={"Retry-After": str(retry_after)},
    )


def init_app(app: Flask) -> None:
    """Register the handlers that turn every exception into the envelope."""

    @app.errorhandler(ApiError)
    def handle_api_error(error: ApiError) -> Response:
        """Render errors raised by the service itself."""
        return problem_response(error)

    @app.errorhandler(RateLimitExceeded)
    def handle_rate_limit(exc: RateLimitExceeded) -> Response:
        """A key over its limit."""
        return problem_response(_from_rate_limit(exc))

    @app.errorhandler(HTTPException)
    def handle_http_exception(exc: HTTPException) -> Response:
        """Flask's and werkzeug's own errors (404, 405, 400 on bad requests...)."""
        return problem_response(_from_http_exception(exc))

    def unavailable(exc: Exception, what: str) -> Response:
        """A dependency is unreachable or too slow: logged, answered 503 with Retry-After."""
        log.error("%s error: %s", what, type(exc).__name__, exc_info=exc)
        g.error_type = type(exc).__name__
        return problem_response(
            ApiError(
                503,
                "service_unavailable",
                f"The {what} is not answering; retry shortly.",
                headers={"Retry-After": DB_RETRY_AFTER},
            )
        )

    @app.errorhandler(DatabaseUnavailable)
    @app.errorhandler(StatementTimeout)
    def handle_database_down(exc: Exception) -> Response:
        """Database unreachable or too slow: retryable, and said so."""
        return unavailable(exc, "database")

    @app.errorhandler(StorageError)
    def handle_limit_storage_down(exc: Exception) -> Response:
        """Rate-limit storage unreachable: fail closed, never uncounted."""
        return unavailable(exc, "rate limit store")

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> Response:
        """Anything else: logged with its trace, answered without it."""
        log.error("unhandled %s", type(exc).__name__, exc_info=exc)
        g.error_type = type(exc).__name__
        return problem_response(
            ApiError(500, "internal_error", "Something went wrong on our side.")
        )
