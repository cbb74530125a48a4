"""Working hours: is a moment inside a person's weekly schedule, in their own time zone?"""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from datetime import datetime

DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def is_working_time(schedule: Mapping[str, list[list[str]]], tz_name: str, at: datetime) -> bool:
    """True when `at` falls in one of the day's [start, end) spans, local time."""
    try:
        tz = zoneinfo.ZoneInfo(tz_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("UTC")
    local = at.astimezone(tz)
    clock = local.strftime("%H:%M")
    spans = schedule.get(DAY_KEYS[local.weekday()]) or []
    return any(start <= clock < end for start, end in spans)
