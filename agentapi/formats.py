"""How values leave the service: money as strings, timestamps as RFC 3339."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo


def money(value: Decimal | None) -> str | None:
    """A DECIMAL amount as a string with two places, never a float."""
    return None if value is None else f"{value:.2f}"


def utc_timestamp(value: datetime | None) -> str | None:
    """A naive UTC DATETIME as RFC 3339 with Z (microseconds only when present)."""
    if value is None:
        return None
    return value.isoformat() + "Z"  # isoformat's own rule: microseconds when not 0


def local_timestamp(value: datetime | None, zone: ZoneInfo) -> str | None:
    """A naive UTC DATETIME as RFC 3339 in a business's local time, with its offset."""
    if value is None:
        return None
    try:
        # What astimezone(zone) does for an aware UTC value, without its conversion to
        # UTC first: a page of 51 slots writes about 60 distinct times.
        local = zone.fromutc(value.replace(tzinfo=zone))
    except OverflowError:
        # Local time past year 9999 (or before year 1): the same instant, said in UTC.
        return utc_timestamp(value)
    return local.isoformat()  # microseconds only when not 0


def iso_date(value: date | None) -> str | None:
    """A DATE as YYYY-MM-DD."""
    return None if value is None else value.isoformat()


def position_timestamp(value: datetime) -> str:
    """A DATETIME(6) kept exactly inside a cursor."""
    return value.isoformat(timespec="microseconds")
