"""Key management behind `agentapi keys`: create, list, expire, revoke."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from .auth import SCOPES
from .db import Database
from .ids import new_id
from .params import parse_id
from .tokens import hash_token, new_token


class KeyManagementError(Exception):
    """A key operation was asked for with values it cannot take."""


def create_key(
    database: Database,
    name: str,
    scopes: Sequence[str],
    businesses: Sequence[str] = (),
    expires_in_days: float | None = None,
) -> str:
    """Store a new key and return its token, which is never stored."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise KeyManagementError(
            f"scopes must be among {', '.join(SCOPES)}; got {', '.join(unknown)}"
        )
    if not 1 <= len(name) <= 100:
        raise KeyManagementError("name must be 1 to 100 characters")
    for business_id in businesses:
        # The API reads ids case-sensitively; the database collation does not, so a
        # lowercase id would pass the lookup below and then never match a request.
        try:
            parse_id(business_id)
        except ValueError as exc:
            raise KeyManagementError(f"business id {business_id!r} {exc}") from None
        if database.run("get_business", {"business_id": business_id}) is None:
            raise KeyManagementError(f"no business {business_id}")
    now = datetime.now(UTC).replace(tzinfo=None)
    token, prefix = new_token()
    key_id = new_id()
    database.run(
        "insert_key",
        {
            "id": key_id,
            "name": name,
            "prefix": prefix,
            "key_hash": hash_token(token),
            "scopes": " ".join(dict.fromkeys(scopes)),
            "restricted": int(bool(businesses)),
            "created_at": now,
            "expires_at": now + timedelta(days=expires_in_days) if expires_in_days else None,
        },
        retry=False,
    )
    for business_id in dict.fromkeys(businesses):
        database.run(
            "insert_key_business", {"api_key_id": key_id, "business_id": business_id}, retry=False
        )
    return token


def key_status(row: dict[str, Any], now: datetime) -> str:
    """active, expired or revoked."""
    if row["revoked_at"] is not None:
        return "revoked"
    if row["expires_at"] is not None and row["expires_at"] <= now:
        return "expired"
    return "active"


def list_keys(database: Database) -> list[dict[str, Any]]:
    """Every key's public facts: never a hash or a token."""
    now = datetime.now(UTC).replace(tzinfo=None)
    return [
        {
            "prefix": row["prefix"],
            "name": row["name"],
            "scopes": row["scopes"],
            # "none": restricted, and every business it was linked to is gone.
            "businesses": row["business_ids"] or ("none" if row["restricted"] else "*"),
            "created": row["created_at"],
            "expires": row["expires_at"],
            "last_used": row["last_used_at"],
            "status": key_status(row, now),
        }
        for row in database.run("list_keys", {})
    ]


def revoke_key(database: Database, prefix: str) -> bool:
    """Revoke a key by prefix; False when no live key has it."""
    revoked: int = database.run("revoke_key", {"prefix": prefix}, retry=False)
    return revoked == 1


def expire_key(database: Database, prefix: str, days: float) -> datetime | None:
    """Make a live key stop working `days` from now (never later than it already would).

    Returns the key's expiry afterwards, or None when no live key has the prefix.
    """
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    database.run(
        "expire_key", {"prefix": prefix, "expires_at": now + timedelta(days=days)}, retry=False
    )
    row: dict[str, Any] | None = database.run("get_key_by_prefix", {"prefix": prefix})
    if row is None or row["revoked_at"] is not None:
        return None
    expires_at: datetime | None = row["expires_at"]
    return expires_at
