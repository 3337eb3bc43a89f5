"""Which businesses a key may read: one 404 for absent, deleted and forbidden alike."""

from __future__ import annotations

from typing import Any

from flask import g

from .db import fetch_one
from .errors import not_found


def require_key_access(business_id: str) -> None:
    """404 unless the key may read this business; its existence is not checked here."""
    if not g.api_key.may_read(business_id):
        raise not_found(f"No business {business_id}.")


def readable_business(business_id: str) -> dict[str, Any]:
    """The business row (id, timezone) if it exists and the key may read it, else 404."""
    require_key_access(business_id)
    business = fetch_one("get_business", business_id=business_id)
    if business is None:
        raise not_found(f"No business {business_id}.")
    return business


def require_readable_business(business_id: str) -> None:
    """404 unless the business exists, is not deleted and the key may read it."""
    readable_business(business_id)
