"""The secret cursors are signed with: AGENTAPI_CURSOR_SECRET, or the database's own.

Unset, the secret is the random one `agentapi db init` stored in agentapi_secrets:
every process and host reading that database shares it, with nothing to configure.
It is read on first use and kept for the life of the process.
"""

from __future__ import annotations

import logging

import pymysql
from flask import current_app

from .config import weak_secret_reason
from .db import fetch_one
from .errors import ApiError

log = logging.getLogger("agentapi.secret")

CURSOR = "cursor"  # agentapi_secrets.name of the cursor-signing secret
_CACHE = "agentapi.cursor_secret"


def _unavailable(why: str) -> ApiError:
    log.error("cannot sign cursors: %s; run `agentapi db init` or set AGENTAPI_CURSOR_SECRET", why)
    return ApiError(
        503,
        "service_unavailable",
        "Pagination is not set up on this server; its operator has been told why.",
    )


def cursor_secret() -> bytes:
    """The cursor-signing key; a 503 (and an error log) when there is none to use."""
    configured: bytes | None = current_app.config["AGENTAPI"]["CURSOR_SECRET"]
    if configured:
        return configured
    cached: bytes | None = current_app.extensions.get(_CACHE)
    if cached:
        return cached
    try:
        row = fetch_one("get_secret", secret_name=CURSOR)
    except pymysql.MySQLError as exc:  # no table yet (1146), no SELECT grant (1142)
        raise _unavailable(f"agentapi_secrets is not readable ({exc.args[0]})") from None
    if row is None:
        raise _unavailable("agentapi_secrets holds no cursor secret")
    value: str = row["value"]
    reason = weak_secret_reason(value)
    if reason:
        raise _unavailable(f"the stored cursor secret {reason}")
    secret = value.encode()
    current_app.extensions[_CACHE] = secret
    return secret
