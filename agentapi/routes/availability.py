"""GET /availability: slots with room left in a window of at most 31 days."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, Response, current_app

from .. import tombstones
from ..access import readable_business, require_key_access
from ..db import fetch_all
from ..errors import ApiError, invalid_parameter
from ..formats import local_timestamp, position_timestamp
from ..operations import operation
from ..pagination import Keyset, Pager
from ..params import (
    CURSOR,
    ID_PATTERN,
    LIMIT,
    MAX_TIMESTAMP_LENGTH,
    Param,
    business_id_param,
    parse_date,
    parse_id,
    parse_query,
    parse_timestamp,
)
from ..tombstones import DELETED_SINCE

log = logging.getLogger("agentapi.availability")
bp = Blueprint("availability", __name__)

DEFAULT_SPAN = timedelta(days=7)
MAX_SPAN = timedelta(days=31)
DST_SLACK = timedelta(hours=1)  # 31 days on the business's clocks may be an hour longer
DATE_OR_TIMESTAMP = {
    "type": "string",
    "anyOf": [{"format": "date"}, {"format": "date-time"}],
    "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2}))?$",
    "maxLength": MAX_TIMESTAMP_LENGTH,
}


def parse_date_or_timestamp(raw: str) -> date | datetime:
    """A date (read in the business's time zone) or an RFC 3339 timestamp."""
    if len(raw) == 10:
        return parse_date(raw)
    try:
        return parse_timestamp(raw)
    except ValueError:
        raise ValueError(
            "must be a date (YYYY-MM-DD) or an RFC 3339 timestamp such as 2026-01-31T12:00:00Z"
        ) from None


PARAMS = (
    business_id_param("The business whose availability to list."),
    Param(
        "from",
        parse_date_or_timestamp,
        DATE_OR_TIMESTAMP,
        "Start of the window, inclusive: a date (midnight in the business's time zone) "
        "or an RFC 3339 timestamp. Default: now.",
    ),
    Param(
        "to",
        parse_date_or_timestamp,
        DATE_OR_TIMESTAMP,
        "End of the window, exclusive; after from and at most 31 days later (days as "
        "counted on the business's clocks). Default: 7 days after from.",
    ),
    Param(
        "service_id",
        parse_id,
        {"type": "string", "pattern": ID_PATTERN, "minLength": 1, "maxLength": 26},
        "Only slots for this service, and slots open to any service.",
    ),
    DELETED_SINCE,
    LIMIT,
    CURSOR,
)
# The window (start, end) the first page fixed, then the last slot's starts_at and id.
KEYSET = Keyset("availability", ("timestamp", "timestamp", "timestamp", "id"))


def business_zone(name: str) -> ZoneInfo:
    """The business's IANA time zone; UTC (and a warning) when it is not one."""
    try:
        return ZoneInfo(name)
    # Not found (KeyError), not a key (empty, '../etc': ValueError), not a TZif file
    # ('zone.tab': ValueError), a folder of the zone database ('America': OSError).
    except (ZoneInfoNotFoundError, ValueError, OSError):
        log.warning("business time zone %r is not an IANA zone; using UTC", name)
        return ZoneInfo("UTC")


def as_utc(value: date | datetime, zone: ZoneInfo) -> datetime:
    """A parsed from/to as naive UTC: dates are local midnight in the business's zone."""
    if isinstance(value, datetime):
        return value
    local_midnight = datetime.combine(value, time(0), tzinfo=zone)
    return local_midnight.astimezone(UTC).replace(tzinfo=None)


def wall_clock(value: datetime, zone: ZoneInfo) -> datetime:
    """A naive UTC instant as the naive local time on the business's clocks."""
    return value.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)


def resolve_window(args: dict[str, Any], zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The [start, end) window in UTC, with the defaults and limits of the contract."""
    try:
        start = (
            as_utc(args["from"], zone)
            if args["from"] is not None
            else datetime.now(UTC).replace(tzinfo=None)
        )
    except OverflowError:
        raise invalid_parameter("from", "is out of range") from None
    try:
        end = as_utc(args["to"], zone) if args["to"] is not None else start + DEFAULT_SPAN
    except OverflowError:
        # Local midnight of a date at the edge of the calendar, or from + 7 days, is
        # not representable.
        raise invalid_parameter(
            "to" if args["to"] is not None else "from", "is out of range"
        ) from None
    if end <= start:
        raise invalid_parameter("to", "must be after from")

    # Days are counted on the business's clocks, so that two dates 31 days apart are
    # accepted even when a daylight-saving change makes the span 31 days and an hour.
    try:
        span = min(end - start, wall_clock(end, zone) - wall_clock(start, zone))
    except OverflowError:  # local time outside years 1-9999: only the elapsed time counts
        span = end - start
    if span > MAX_SPAN:
        raise invalid_parameter("to", "must be at most 31 days after from")
    return start, end


class SlotTimes:
    """Slot times as JSON values in one zone, each instant written once per page: a slot's
    end is often the next slot's start. RFC 3339 text needs no escapes; null stays null."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._written: dict[datetime | None, str] = {}

    def json(self, value: datetime | None) -> str:
        """The instant as a JSON value in the zone."""
        written = self._written.get(value)
        if written is None:
            text = local_timestamp(value, self.zone)
            written = self._written[value] = "null" if text is None else f'"{text}"'
        return written


def slot_line(row: dict[str, Any], times: SlotTimes) -> str:
    """A slot as the API shows it, as JSON text: the database wrote all of it but its two
    times, written here in the business's local time."""
    starts_at, ends_at = times.json(row["starts_at"]), times.json(row["ends_at"])
    return f'{row["head"]}{starts_at},"ends_at":{ends_at}{row["tail"]}'


class KnownZones:
    """The time zone each business last had, kept per process, never trusted unchecked.

    A page's window and times depend on the business's zone. list_open_slots returns
    rows only while the business is still in the zone the page was read in, so a kept
    zone saves the business lookup: an empty page looks the business up (which it must
    anyway to tell a 404), and a zone changed since is noticed there and the page read
    again."""

    MAX_ENTRIES = 10_000

    def __init__(self) -> None:
        self._zones: dict[str, str] = {}

    def get(self, business_id: str) -> str | None:
        """The zone last seen for a business, if any."""
        return self._zones.get(business_id)

    def put(self, business_id: str, zone: str) -> None:
        """Remember a business's zone (all are forgotten at the cap: a refill is cheap)."""
        if len(self._zones) >= self.MAX_ENTRIES:
            self._zones.clear()
        self._zones[business_id] = zone


def known_zones() -> KnownZones:
    """This app's KnownZones (made on first use, not built and thrown away per request)."""
    zones: KnownZones | None = current_app.extensions.get("agentapi.business_zones")
    if zones is None:
        zones = current_app.extensions.setdefault("agentapi.business_zones", KnownZones())
    return zones


@bp.get("/availability")
@operation(
    operation_id="listAvailability",
    summary="List open availability slots",
    description=(
        "Slots with room left (booked < capacity) starting in [from, to), ordered by "
        "starts_at, then id. Times are in the business's time zone, with its offset. "
        "With deleted_since, the tombstones of deleted slots instead."
    ),
    tag="Availability",
    scope="availability:read",
    response_schema=("AvailabilityList", "AvailabilitySlotTombstoneList"),
    params=PARAMS,
    paginated=True,
)
def list_availability() -> Response:
    """List one business's open slots in a window, or the tombstones of deleted slots."""
    args = parse_query(PARAMS)
    business_id = args["business_id"]
    require_key_access(business_id)
    if tombstones.wanted(args):
        return tombstones.business_tombstones(
            "availability", "list_deleted_availability_slots", args
        )
    zones = known_zones()
    kept = zones.get(business_id)
    if kept is not None:
        try:
            response, current = _page(args, kept)
        except ApiError:
            # A 400 that a changed zone might explain: answered from the stored zone.
            current = readable_business(business_id)["timezone"]
            if current == kept:
                raise
        if current == kept:
            return response
    else:
        current = readable_business(business_id)["timezone"]
    response, seen = _page(args, current, looked_up=True)
    zones.put(business_id, seen)
    return response


def _page(args: dict[str, Any], zone_name: str, looked_up: bool = False) -> tuple[Response, str]:
    """The page as it reads with the business in the given zone, and the zone the
    business has: the given one when the page has rows (the statement checks it), or for
    an empty page, the given one if it was just looked_up, else looked up now (a 404 if
    the business is gone)."""
    zone = business_zone(zone_name)
    filters = {k: args[k] for k in ("business_id", "from", "to", "service_id")}
    # The window is fixed when the first page is read and carried in the cursor, so
    # that "now" does not move under a walk.
    first = resolve_window(args, zone) if args["cursor"] is None else None
    start = (position_timestamp(first[0]), position_timestamp(first[1]), "", "") if first else ()
    pager = Pager(KEYSET, filters, args["cursor"], args["limit"], start)
    window = carried_window(pager.position[0], pager.position[1], args, zone)
    page = {
        "business_id": args["business_id"],
        "timezone": zone_name,
        "starts_from": window[0],
        "starts_before": window[1],
        "service_id": args["service_id"],
        "limit": pager.fetch_limit,
    }
    if pager.from_cursor:
        after_ts = pager.position[2] or position_timestamp(window[0])
        rows = fetch_all("list_open_slots", **page, after_ts=after_ts, after_id=pager.position[3])
    else:
        # A first page starts at the window's start: its statement has no keyset condition.
        rows = fetch_all("list_open_slots_first_page", **page)
    checked = rows or looked_up
    current = zone_name if checked else readable_business(args["business_id"])["timezone"]
    times = SlotTimes(zone)
    response = pager.lines_response(
        rows,
        lambda row: slot_line(row, times),
        lambda row: [
            position_timestamp(window[0]),
            position_timestamp(window[1]),
            position_timestamp(row["starts_at"]),
            row["id"],
        ],
    )
    return response, current


def carried_window(
    start: str, end: str, args: dict[str, Any], zone: ZoneInfo
) -> tuple[datetime, datetime]:
    """The window a cursor carries, checked against the request: never wider, never other.

    A cursor is untrusted input even when its signature is good: its window must be the
    one the request's from and to give (from "now" only where from was left out).
    """
    window = (datetime.fromisoformat(start), datetime.fromisoformat(end))
    if args["cursor"] is None:
        return window
    expected_end = None
    if args["from"] is not None:
        try:
            expected: tuple[datetime, datetime] | None = resolve_window(args, zone)
        except ApiError:
            expected = None
        if window != expected:
            raise invalid_parameter("cursor", "is not a cursor this API issued")
        return window
    if args["to"] is not None:
        expected_end = as_utc(args["to"], zone)
    span = window[1] - window[0]
    if (
        span <= timedelta(0)
        or span > MAX_SPAN + DST_SLACK
        or (expected_end is not None and window[1] != expected_end)
        or (expected_end is None and span != DEFAULT_SPAN)
    ):
        raise invalid_parameter("cursor", "is not a cursor this API issued")
    return window
