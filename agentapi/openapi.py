"""The OpenAPI 3.0.3 document, built by apispec from the views' operations."""

from __future__ import annotations

from typing import Any

import yaml
from apispec import APISpec
from apispec_webframeworks.flask import FlaskPlugin
from flask import Flask

from .auth import SCOPES
from .conditional import IF_NONE_MATCH_PATTERN, MAX_IF_NONE_MATCH
from .headers import MAX_HEADER_FIELD_BYTES, MAX_HEADER_FIELDS, MAX_TARGET_BYTES
from .operations import Operation
from .params import MAX_CURSOR_LENGTH
from .schemas import COMPONENTS, REQUEST_ID_TEXT

TOKEN_FORMAT = (
    "API key sent as `Authorization: Bearer vb_<prefix>_<secret>`: `vb_`, an 8-character "
    "prefix of [a-z0-9], `_`, and a 32-character base62 secret. Scopes: "
    + ", ".join(f"`{s}`" for s in SCOPES)
    + ". Each operation names the scope it needs in `x-required-scope`."
)

INT64_MAX = 2**63 - 1
# The rate limit is configured (AGENTAPI_RATE_LIMIT) with no cap of its own: its
# counters and windows are bounded only by 64-bit integers.
RATE_NUMBER = {"type": "integer", "format": "int64", "minimum": 0, "maximum": INT64_MAX}
WHEN_KEYED = " Sent on every response to a request authenticated with a key."
# The Link repeats the request's query (capped by headers.MAX_TARGET_BYTES, each byte
# at most tripled by percent-encoding) with a new cursor.
LINK_LENGTH = 3 * MAX_TARGET_BYTES + MAX_CURSOR_LENGTH + 64

# Every header the service sends: (description, schema). A new header goes here and
# into the lists below that say which responses carry it.
HEADER_DOCS: dict[str, tuple[str, dict[str, Any]]] = {
    "X-Request-ID": ("Echo of a valid incoming X-Request-ID, or a new id.", REQUEST_ID_TEXT),
    "X-Content-Type-Options": ("Always nosniff.", {"type": "string", "enum": ["nosniff"]}),
    "Cache-Control": (
        "no-store, except on the 200 of /schema: public, max-age=300.",
        {
            "type": "string",
            "pattern": r"^[a-z-]+(=[0-9]+)?(, [a-z-]+(=[0-9]+)?)*$",
            "maxLength": 128,
        },
    ),
    "X-RateLimit-Limit": (
        "Requests allowed per key in the moving window." + WHEN_KEYED,
        RATE_NUMBER,
    ),
    "X-RateLimit-Remaining": ("Requests left in the current window." + WHEN_KEYED, RATE_NUMBER),
    "X-RateLimit-Reset": (
        "Unix time (seconds) when a request slot frees up." + WHEN_KEYED,
        RATE_NUMBER,
    ),
    "RateLimit-Policy": (
        "The per-key quota (draft-ietf-httpapi-ratelimit-headers-09, structured fields): "
        '"default";q=<requests>;w=<window seconds>.' + WHEN_KEYED,
        {"type": "string", "pattern": '^"default";q=[0-9]+;w=[0-9]+$', "maxLength": 64},
    ),
    "RateLimit": (
        "The quota as it stands after this request (draft-ietf-httpapi-ratelimit-headers-09):"
        ' "default";r=<remaining>;t=<seconds until a slot frees, 0 while some are left>.'
        + WHEN_KEYED,
        {"type": "string", "pattern": '^"default";r=[0-9]+;t=[0-9]+$', "maxLength": 64},
    ),
    "Retry-After": ("Seconds to wait before retrying.", {**RATE_NUMBER, "minimum": 1}),
    "WWW-Authenticate": (
        "RFC 6750 challenge.",
        {"type": "string", "pattern": "^Bearer ", "maxLength": 256},
    ),
    "Content-Disposition": (
        'A download\'s file name: attachment; filename="...".',
        {"type": "string", "pattern": '^attachment; filename="[A-Za-z0-9._-]+"$', "maxLength": 128},
    ),
    "Link": (
        'Next page, as <url>; rel="next", when has_more is true.',
        {"type": "string", "pattern": '^<[^>]+>; rel="next"$', "maxLength": LINK_LENGTH},
    ),
    "ETag": (
        "Weak validator of the body: send it back in If-None-Match to get a 304 while the "
        "list is unchanged.",
        {"type": "string", "pattern": '^W/"[0-9a-f]{32}"$', "maxLength": 36},
    ),
    "Vary": (
        "Authorization on answers to a key; Origin as well when CORS origins are configured.",
        {"type": "string", "pattern": "^[A-Za-z-]+(, [A-Za-z-]+)*$", "maxLength": 64},
    ),
}
# On every response, whatever the route or status.
DEFAULT_HEADERS = ["X-Request-ID", "X-Content-Type-Options", "Cache-Control", "Vary"]
# Both families on every counted answer: X-RateLimit-* and the IETF draft's fields
# (.spectral.yaml says why owasp:api4:2023-rate-limit, which wants one, is off).
RATE_HEADERS = [
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "RateLimit-Policy",
    "RateLimit",
]

# status: (component name, description, headers beyond the defaults). A 401, 414 or 431
# is answered before any key is known, so it never carries the per-key rate-limit headers.
ERROR_RESPONSES = {
    "400": ("BadRequest", "A parameter is unknown, repeated or malformed.", RATE_HEADERS),
    "401": ("Unauthorized", "No token, or an invalid one.", ["WWW-Authenticate"]),
    "403": (
        "Forbidden",
        "The key lacks the route's scope.",
        ["WWW-Authenticate", *RATE_HEADERS],
    ),
    "404": ("NotFound", "No such business, or the key may not read it.", RATE_HEADERS),
    "414": (
        "URITooLong",
        f"The URL is longer than {MAX_TARGET_BYTES} bytes (checked before the key).",
        [],
    ),
    "431": (
        "RequestHeaderFieldsTooLarge",
        f"More than {MAX_HEADER_FIELDS} header fields, or one longer than "
        f"{MAX_HEADER_FIELD_BYTES} bytes (checked before the key).",
        [],
    ),
    "429": (
        "TooManyRequests",
        "Rate limit exceeded: the key's, or (without X-RateLimit-*) the client address's "
        "limit of failed authentications.",
        ["Retry-After", *RATE_HEADERS],
    ),
    "500": (
        "InternalError",
        "Unexpected error; details are in the server log.",
        RATE_HEADERS,
    ),
    "503": (
        "ServiceUnavailable",
        "The database or the rate-limit store is not answering.",
        ["Retry-After", *RATE_HEADERS],
    ),
}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "ETags of a page the client holds (weak comparison), or *: a 304 "
    "without a body answers when one matches.",
    "schema": {
        "type": "string",
        "pattern": IF_NONE_MATCH_PATTERN.pattern,
        "maxLength": MAX_IF_NONE_MATCH,
    },
}
TAG_DOCS = {
    "Businesses": "The businesses a key may read, with their invoice templates.",
    "Invoices": "Invoices of one business, with their line items on request.",
    "Services": "Bookable services of one business.",
    "Availability": "Open availability slots of one business.",
    "Meta": "Public routes: this document and the health check; the key's own facts.",
}
# Paths are absolute from the host root (they carry AGENTAPI_URL_PREFIX), so the one
# server is the host that serves this document.
SERVERS = [
    {
        "url": "/",
        "description": "This installation: the host serving this document (production, "
        "staging or local alike).",
        "x-internal": False,
    }
]


def _headers(names: list[str]) -> dict[str, Any]:
    """Response headers by reference to components/headers, the defaults first."""
    return {
        name: {"$ref": f"#/components/headers/{name}"}
        for name in dict.fromkeys([*DEFAULT_HEADERS, *names])
    }


def _access_note(op: Operation) -> str:
    if op.public:
        return "\n\nPublic: no key needed."
    if op.scope:
        return f"\n\nRequired scope: `{op.scope}`."
    return "\n\nAny valid key; no scope needed."


def _body_schema(op: Operation) -> dict[str, Any]:
    refs = [{"$ref": f"#/components/schemas/{name}"} for name in op.response_schemas]
    # anyOf: an empty page is a valid page of either kind.
    return refs[0] if len(refs) == 1 else {"anyOf": refs}


def _operation_doc(op: Operation) -> dict[str, Any]:
    ok_headers = ["Link", "ETag"] if op.paginated else []
    if op.media_types is not None:
        ok_headers.append("Content-Disposition")
    if not op.public:
        ok_headers = RATE_HEADERS + ok_headers
    doc: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "description": op.description + _access_note(op),
        "tags": [op.tag],
        "security": [] if op.public else [{"bearerAuth": []}],
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
                "content": {"application/json": {"schema": _body_schema(op)}}
                if op.media_types is None
                else {name: {"schema": schema} for name, schema in op.media_types.items()},
            },
        },
    }
    if op.paginated:
        doc["parameters"].append(IF_NONE_MATCH)
        doc["responses"]["304"] = {"$ref": "#/components/responses/NotModified"}
    if op.scope:
        doc["x-required-scope"] = op.scope
    codes = [] if op.public else ["400", "401", "429"]
    if op.scope:
        codes += ["403", "404"]
    if op.params and op.public:
        codes.append("400")
    codes += ["414", "431", "500"]  # every request's size is checked first
    if op.uses_database:
        codes.append("503")
    for code in sorted(codes):
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
                "keyset-paginated with opaque cursors. A method a route does not answer gets a "
                "405 problem whose Allow header lists the methods it does. "
                "Rendered for people at `/api/agent/v1/docs`."
            )
        },
        servers=SERVERS,
    )
    spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": TOKEN_FORMAT}
    )
    for name, schema in COMPONENTS.items():
        spec.components.schema(name, schema)
    for name, (description, schema) in HEADER_DOCS.items():
        spec.components.header(name, {"description": description, "schema": schema})
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
    spec.components.response(
        "NotModified",
        {
            "description": "The list is unchanged since the ETag sent in If-None-Match: no "
            "body, and no use of the key's quota (it counts toward the burst limit only).",
            "headers": _headers(["ETag", *RATE_HEADERS]),
        },
    )
    tags = set()
    with app.test_request_context():
        for endpoint in sorted(app.view_functions):
            view = app.view_functions[endpoint]
            op = getattr(view, "operation", None)
            if op is not None:
                spec.path(view=view, app=app, operations={"get": _operation_doc(op)})
                tags.add(op.tag)
    for tag in sorted(tags):
        spec.tag({"name": tag, **({"description": TAG_DOCS[tag]} if tag in TAG_DOCS else {})})
    return spec


def spec_document(spec: APISpec) -> dict[str, Any]:
    """The document as a dict, its keys in the order readers expect."""
    document = spec.to_dict()
    first = {k: document.pop(k) for k in ("openapi", "info") if k in document}
    return {**first, **document}


def spec_yaml(spec: APISpec) -> str:
    """The document as the YAML committed at openapi.yaml."""
    return yaml.safe_dump(spec_document(spec), sort_keys=False, allow_unicode=True, width=100)
