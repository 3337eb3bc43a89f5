"""Public routes: the OpenAPI document and the health check."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from ..db import fetch_one
from ..operations import operation

bp = Blueprint("meta", __name__)


@bp.get("/schema")
@operation(
    operation_id="getSchema",
    summary="The OpenAPI document",
    description="This API's OpenAPI 3.0.3 document as JSON. Public; not rate limited.",
    tag="Meta",
    scope=None,
    response_schema="OpenAPIDocument",
)
def schema() -> Response:
    """Serve the OpenAPI document built at start-up."""
    response = jsonify(current_app.extensions["agentapi.openapi"])
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/health")
@operation(
    operation_id="getHealth",
    summary="Health check",
    description=(
        "Public, no data: 200 when the service and its database answer, 503 "
        "(service_unavailable) when the database does not."
    ),
    tag="Meta",
    scope=None,
    response_schema="Health",
)
def health() -> Response:
    """Report whether the database answers."""
    fetch_one("check_database")
    return jsonify({"status": "ok", "database": "ok"})
