"""How times leave the service: local_timestamp is astimezone's instant, RFC 3339 text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from agentapi.formats import local_timestamp, utc_timestamp


def reference(value: datetime, zone: ZoneInfo) -> str:
    """The plain way: the UTC instant in the zone, microseconds only when present."""
    local = value.replace(tzinfo=UTC).astimezone(zone)
    return local.isoformat(timespec="microseconds" if value.microsecond else "seconds")


@pytest.mark.parametrize(
    ("zone", "year"),
    [
        ("Europe/Berlin", 2026),
        ("Australia/Lord_Howe", 2026),  # half-hour daylight saving
        ("Africa/Casablanca", 2026),  # daylight saving suspended for Ramadan: 2 changes
        ("Africa/Monrovia", 1972),  # -00:44:30 to -00:00: a change off the minute
    ],
)
def test_local_times_through_a_year_of_changes(zone, year):
    tz = ZoneInfo(zone)
    value, seen = datetime(year, 1, 1, 0, 0, 0, 250000), set()
    while value.year == year:
        text = local_timestamp(value, tz)
        assert text == reference(value, tz), value
        seen.add(text[-6:])
        value += timedelta(minutes=30, seconds=15)
    assert len(seen) >= 2  # the year did cross a change of offset


def test_microseconds_only_when_present_and_the_calendar_edges_in_utc():
    berlin = ZoneInfo("Europe/Berlin")
    assert local_timestamp(datetime(2026, 7, 1, 10), berlin) == "2026-07-01T12:00:00+02:00"
    assert local_timestamp(datetime(2026, 1, 1, 10, 0, 0, 5), berlin) == (
        "2026-01-01T11:00:00.000005+01:00"
    )
    last = datetime(9999, 12, 31, 23, 30)
    assert local_timestamp(last, berlin) == "9999-12-31T23:30:00Z"  # past year 9999 locally
    assert local_timestamp(None, berlin) is None
    assert utc_timestamp(datetime(2026, 1, 1, 0, 0, 0, 120)) == "2026-01-01T00:00:00.000120Z"
    assert utc_timestamp(datetime(2026, 1, 1)) == "2026-01-01T00:00:00Z"
