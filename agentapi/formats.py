"""How values leave the service: money as strings, timestamps as RFC 3339."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo


def money(value: Decimal | None) -> str | None:
    """A DECIMAL amount as a string with two places, never a float."""
    return None if value is None else f"{value:.2f}"


def utc_timestamp(value: datetime | None) -> str | None:
    """A naive UTC DATETIME as RFC 3339 with Z (microseconds only when present)."""
    if value is None:
        return None
    spec = "microseconds" if value.microsecond else "seconds"
    return value.isoformat(timespec=spec) + "Z"


def local_timestamp(value: datetime | None, zone: ZoneInfo) -> str | None:
    """A naive UTC DATETIME as RFC 3339 in a business's local time, with its offset."""
    if value is None:
        return None
    try:
        local = value.replace(tzinfo=UTC).astimezone(zone)
    except OverflowError:
        # Local time past year 9999 (or before year 1): the same instant, said in UTC.
        return utc_timestamp(value)
    return local.isoformat(timespec="microseconds" if value.microsecond else "seconds")


def iso_date(value: date | None) -> str | None:
    """A DATE as YYYY-MM-DD."""
    return None if value is None else value.isoformat()


def position_timestamp(value: datetime) -> str:
    """A DATETIME(6) kept exactly inside a cursor."""
    return value.isoformat(timespec="microseconds")
