"""Builders for spoof-check tests: one honest visit by default, changed with keyword overrides."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from geo.distance import metres_per_degree_lat
from geo.spoof import (
    AssessmentContext,
    Fix,
    Photo,
    PhotoSource,
    Pin,
    VisitEvidence,
    VisitSummary,
)

# A customer in Beijing's Dongcheng district; times are a Monday morning (UTC).
PIN = Pin(lat=39.91500, lon=116.40400)
T0 = datetime(2024, 5, 6, 1, 0, 0, tzinfo=UTC)
CAPTURE_ELAPSED_MS = 36_000_000  # ten hours of uptime at check-in
BOOT = 12


def at(seconds: float) -> datetime:
    """T0 plus a number of seconds."""
    return T0 + timedelta(seconds=seconds)


def moved(lat: float, lon: float, north_m: float = 0.0, east_m: float = 0.0) -> tuple[float, float]:
    """A point `north_m` north and `east_m` east of (lat, lon) on the sphere."""
    per_deg = metres_per_degree_lat()
    return lat + north_m / per_deg, lon + east_m / (per_deg * math.cos(math.radians(lat)))


def fix(north_m: float = 25.0, east_m: float = 10.0, **over: Any) -> Fix:
    """A clean GPS fix near the pin, taken 5 s before check-in; `over` replaces fields."""
    lat, lon = moved(PIN.lat, PIN.lon, north_m, east_m)
    base = Fix(
        lat=lat,
        lon=lon,
        fix_time=at(-5),
        accuracy_m=12.0,
        altitude_m=48.0,
        vertical_accuracy_m=6.0,
        speed_mps=0.3,
        bearing_deg=120.0,
        provider="gps",
        satellites=14,
        elapsed_realtime_ms=CAPTURE_ELAPSED_MS - 5_000,
        boot_count=BOOT,
    )
    return replace(base, **over)


def photo(n: int = 1, **over: Any) -> Photo:
    """A camera photo taken a minute into the visit, with EXIF GPS at the pin."""
    base = Photo(
        photo_id=f"p-{n}",
        sha256=f"{n:064x}",
        phash=f"{0x8F3A5C7E1B2D4F60 ^ n:016x}",
        source=PhotoSource.CAMERA,
        taken_at=at(60),
        exif_lat=PIN.lat + 0.0002,
        exif_lon=PIN.lon,
    )
    return replace(base, **over)


def evidence(**over: Any) -> VisitEvidence:
    """An honest online visit: fresh fix, prompt upload, 30-minute stay, one camera photo."""
    base = VisitEvidence(
        visit_id="v-1",
        rep_id="rep-a",
        device_id="dev-a",
        captured_at=T0,
        received_at=at(20),
        checkin=fix(),
        series=(fix(24.0, 11.0, fix_time=at(-15)), fix(26.5, 9.2, fix_time=at(-10))),
        rep_device_ids=frozenset({"dev-a"}),
        device_rep_ids=frozenset({"rep-a"}),
        capture_elapsed_ms=CAPTURE_ELAPSED_MS,
        capture_boot_count=BOOT,
        upload_device_time=at(21),
        upload_elapsed_ms=CAPTURE_ELAPSED_MS + 21_000,
        upload_boot_count=BOOT,
        payload_hash="payload-v-1",
        checkout=fix(30.0, 5.0, fix_time=at(1_795)),
        checked_out_at=at(1_800),
        photos=(photo(),),
    )
    return replace(base, **over)


def summary(
    visit_id: str, north_m: float, east_m: float, seconds: float, **over: Any
) -> VisitSummary:
    """Another visit whose check-in was at `seconds` from T0, offset from the pin."""
    lat, lon = moved(PIN.lat, PIN.lon, north_m, east_m)
    base = VisitSummary(
        visit_id=visit_id,
        rep_id="rep-a",
        lat=lat,
        lon=lon,
        fix_time=at(seconds - 5),
        checked_in_at=at(seconds),
        accuracy_m=10.0,
        checked_out_at=at(seconds + 1_200),
    )
    return replace(base, **over)


def context(**over: Any) -> AssessmentContext:
    """An honest visit in context; pass `evidence=evidence(...)` to change what the phone sent."""
    base = AssessmentContext(evidence=evidence(), pin=PIN)
    return replace(base, **over)
