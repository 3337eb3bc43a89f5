"""Conditional reads: a weak ETag on list answers, and 304 for a matching If-None-Match."""

from __future__ import annotations

import hashlib
import re

from flask import Response, request

from .errors import invalid_parameter

# '*', or a comma-separated list of entity tags, weak or strong (RFC 9110, 13.1.2).
IF_NONE_MATCH_PATTERN = re.compile(r'^(\*|(W/)?"[\x21\x23-\x7e]*"( *, *(W/)?"[\x21\x23-\x7e]*")*)$')
MAX_IF_NONE_MATCH = 4096
NOT_MODIFIED_KEEPS = ("ETag", "Cache-Control", "Vary")


def etag_of(body: bytes) -> str:
    """A weak validator of a body: the same bytes, the same tag, and only then."""
    return 'W/"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _opaque(tag: str) -> str:
    """The opaque part of an entity tag, for weak comparison (RFC 9110, 8.8.3.2)."""
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def matches(if_none_match: str, etag: str) -> bool:
    """Whether If-None-Match names this tag (weak comparison), or is '*'."""
    if if_none_match.strip() == "*":
        return True
    wanted = _opaque(etag)
    return any(_opaque(candidate) == wanted for candidate in if_none_match.split(","))


def answer_conditionally(response: Response) -> Response:
    """Tag a 200 answer; answer 304 without a body when the client has it already."""
    etag = etag_of(response.get_data())
    response.headers["ETag"] = etag
    condition = request.headers.get("If-None-Match")
    if condition is None:
        return response
    if len(condition) > MAX_IF_NONE_MATCH:
        raise invalid_parameter("If-None-Match", f"must be at most {MAX_IF_NONE_MATCH} bytes")
    # A value that is no list of entity tags matches nothing (RFC 9110 leaves it to the
    # server): the full answer is sent, as to a client that holds no copy.
    if not IF_NONE_MATCH_PATTERN.fullmatch(condition) or not matches(condition, etag):
        return response
    not_modified = Response(status=304)
    for name in NOT_MODIFIED_KEEPS:
        if name in response.headers:
            not_modified.headers[name] = response.headers[name]
    return not_modified
