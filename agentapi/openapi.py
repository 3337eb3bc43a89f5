"""The OpenAPI 3.0.3 document, built by apispec from the views' operations."""

from __future__ import annotations

from typing import Any

import yaml
from apispec import APISpec
from apispec_webframeworks.flask import FlaskPlugin
from flask import Flask

from .auth import SCOPES
from .operations import Operation
from .schemas import COMPONENTS

TOKEN_FORMAT = (
    "API key sent as `Authorization: Bearer vb_<prefix>_<secret>`: `vb_`, an 8-character "
    "prefix of [a-z0-9], `_`, and a 32-character base62 secret. Scopes: "
    + ", ".join(f"`{s}`" for s in SCOPES)
    + ". Each operation names the scope it needs in `x-required-scope`."
)

HEADER_DOCS = {
    "X-Request-ID": "Echo of a valid incoming X-Request-ID, or a new id.",
    "X-RateLimit-Limit": "Requests allowed per key in the moving window.",
    "X-RateLimit-Remaining": "Requests left in the current window.",
    "X-RateLimit-Reset": "Unix time (seconds) when a request slot frees up.",
    "Retry-After": "Seconds to wait before retrying.",
    "WWW-Authenticate": "RFC 6750 challenge.",
    "Link": 'Next page, as <url>; rel="next", when has_more is true.',
    "Allow": "Methods the route answers.",
}

ERROR_RESPONSES = {
    "400": ("BadRequest", "A parameter is unknown, repeated or malformed.", []),
    "401": ("Unauthorized", "No token, or an invalid one.", ["WWW-Authenticate"]),
    "403": ("Forbidden", "The key lacks the route's scope.", ["WWW-Authenticate"]),
    "404": ("NotFound", "No such business, or the key may not read it.", []),
    "405": ("MethodNotAllowed", "Only GET and HEAD are answered.", ["Allow"]),
    "429": ("TooManyRequests", "Rate limit exceeded.", ["Retry-After"]),
    "500": ("InternalError", "Unexpected error; details are in the server log.", []),
    "503": ("ServiceUnavailable", "The database is not answering.", ["Retry-After"]),
}
RATE_HEADERS = ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"]


def _header(name: str) -> dict[str, Any]:
    kind = "integer" if name.startswith("X-RateLimit") or name == "Retry-After" else "string"
    return {"description": HEADER_DOCS[name], "schema": {"type": kind}}


def _headers(names: list[str]) -> dict[str, Any]:
    return {name: _header(name) for name in ["X-Request-ID", *names]}


def _operation_doc(op: Operation) -> dict[str, Any]:
    ok_headers = ["Link"] if op.paginated else []
    if op.scope:
        ok_headers = RATE_HEADERS + ok_headers
    doc: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "description": op.description
        + (f"\n\nRequired scope: `{op.scope}`." if op.scope else "\n\nPublic: no key needed."),
        "tags": [op.tag],
        "security": [{"bearerAuth": []}] if op.scope else [],
        "parameters": [
            {
                "name": p.name,
                "in": "query",
                "required": p.required,
                "description": p.description,
                "schema": p.schema,
            }
            for p in op.params
        ],
        "responses": {
            "200": {
                "description": op.summary,
                "headers": _headers(ok_headers),
                "content": {
                    "application/json": {
                        "schema": {"$ref": f"#/components/schemas/{op.response_schema}"}
                    }
                },
            },
        },
    }
    if op.scope:
        doc["x-required-scope"] = op.scope
    codes = ["400", "401", "403", "404", "429"] if op.scope else []
    if op.params and not op.scope:
        codes.append("400")
    codes += ["500", "503"] if op.operation_id != "getSchema" else ["500"]
    for code in codes:
        doc["responses"][code] = {"$ref": f"#/components/responses/{ERROR_RESPONSES[code][0]}"}
    return doc


def build_spec(app: Flask) -> APISpec:
    """Assemble the document from every view that carries an Operation."""
    spec = APISpec(
        title="InvoiceScript Agent API",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[FlaskPlugin()],
        info={
            "description": (
                "Read-only JSON API over InvoiceScript's businesses, invoices, services and "
                "availability. Errors are application/problem+json (RFC 9457). Lists are "
                "keyset-paginated with opaque cursors. "
                "Rendered for people at `/api/agent/v1/docs`."
            )
        },
    )
    spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": TOKEN_FORMAT}
    )
    for name, schema in COMPONENTS.items():
        spec.components.schema(name, schema)
    for _code, (name, description, headers) in ERROR_RESPONSES.items():
        spec.components.response(
            name,
            {
                "description": description,
                "headers": _headers(headers),
                "content": {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                },
            },
        )
    with app.test_request_context():
        for endpoint in sorted(app.view_functions):
            view = app.view_functions[endpoint]
            op = getattr(view, "operation", None)
            if op is not None:
                spec.path(view=view, app=app, operations={"get": _operation_doc(op)})
    return spec


def spec_document(spec: APISpec) -> dict[str, Any]:
    """The document as a dict, its keys in the order readers expect."""
    document = spec.to_dict()
    first = {k: document.pop(k) for k in ("openapi", "info") if k in document}
    return {**first, **document}


def spec_yaml(spec: APISpec) -> str:
    """The document as the YAML committed at openapi.yaml."""
    return yaml.safe_dump(spec_document(spec), sort_keys=False, allow_unicode=True, width=100)
