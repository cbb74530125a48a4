"""Small measurements the checks share: valid fixes, accuracies, clock offsets, speed limits."""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from datetime import datetime

from geo.distance import haversine_m
from geo.spoof.context import FIX_T, AssessmentContext, Pin, VisitSummary
from geo.spoof.evidence import Fix, VisitEvidence
from geo.spoof.thresholds import Thresholds


def seconds(moment: datetime) -> float:
    """POSIX seconds of an aware datetime; all time arithmetic is done in floats (no overflow)."""
    return moment.timestamp()


def span_s(start: datetime, end: datetime) -> float:
    """Seconds from `start` to `end` (negative when `end` is earlier)."""
    return seconds(end) - seconds(start)


def in_range(lat: float, lon: float) -> bool:
    """True for finite coordinates inside the WGS-84 ranges."""
    finite = math.isfinite(lat) and math.isfinite(lon)
    return finite and -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0


def is_null_island(lat: float, lon: float) -> bool:
    """True for (0, 0): what broken clients send when they have no location."""
    return lat == 0.0 and lon == 0.0


def is_usable(fix: Fix) -> bool:
    """True when a fix's coordinates can be measured against anything."""
    return in_range(fix.lat, fix.lon) and not is_null_island(fix.lat, fix.lon)


def usable_checkin(ctx: AssessmentContext) -> Fix | None:
    """The check-in fix when it is present and usable, else None."""
    fix = ctx.evidence.checkin
    return fix if fix is not None and is_usable(fix) else None


def assumed_accuracy(accuracy_m: float | None, thresholds: Thresholds) -> float:
    """An accuracy, or the assumed one when it is missing or nonsense."""
    if accuracy_m is None or not math.isfinite(accuracy_m) or accuracy_m < 0:
        return thresholds.unknown_accuracy_m
    return accuracy_m


def usable_pin(ctx: AssessmentContext) -> Pin | None:
    """The customer pin when it is present and inside the WGS-84 ranges, else None."""
    pin = ctx.pin
    return pin if pin is not None and in_range(pin.lat, pin.lon) else None


def accuracy_of(fix: Fix, thresholds: Thresholds) -> float:
    """The fix's accuracy, or the assumed one when it is missing or nonsense."""
    return assumed_accuracy(fix.accuracy_m, thresholds)


def distance_m(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    """Great-circle metres between two WGS-84 points."""
    return haversine_m(a_lat, a_lon, b_lat, b_lon)


def same_boot(a: int | None, b: int | None) -> bool:
    """True when two boot counters are both known and equal: monotonic readings compare."""
    return a is not None and a == b


def clock_offset_s(evidence: VisitEvidence) -> float | None:
    """How far the device clock ran ahead of the server's at upload (negative = behind)."""
    if evidence.upload_device_time is None:
        return None
    return span_s(evidence.received_at, evidence.upload_device_time)


def speed_limit_mps(distance: float, thresholds: Thresholds) -> float:
    """Fastest honest travel over `distance`: rail on the ground, jets over long hops."""
    if distance >= thresholds.flight_min_distance_m:
        return thresholds.max_flight_speed_mps
    return thresholds.max_ground_speed_mps


def coordinate_key(lat: float, lon: float, decimals: int) -> tuple[float, float]:
    """Coordinates rounded for "identical" comparisons."""
    return round(lat, decimals), round(lon, decimals)


def rounded(value: float | None, digits: int = 1) -> float | None:
    """A number for a finding's data: rounded, and None when missing or not finite."""
    if value is None or not math.isfinite(value):
        return None
    return round(value, digits)


@dataclass(frozen=True, slots=True)
class TrackPoint:
    """A located moment on the rep's timeline, for the motion checks."""

    t: float  # POSIX seconds on the device clock
    lat: float
    lon: float
    accuracy_m: float
    label: str  # what it is, for messages: "check-in", "fix 2 around check-in", "visit v-17"
    own: bool  # True when it belongs to the visit being assessed


def labelled_fixes(evidence: VisitEvidence) -> list[tuple[Fix, str]]:
    """Every fix of the visit with the name a message uses for it."""
    labelled: list[tuple[Fix | None, str]] = [(evidence.checkin, "check-in")]
    labelled += [(fix, f"fix {n} around check-in") for n, fix in enumerate(evidence.series, 1)]
    labelled.append((evidence.checkout, "check-out"))
    return [(fix, label) for fix, label in labelled if fix is not None]


def track(ctx: AssessmentContext, thresholds: Thresholds) -> tuple[TrackPoint, ...]:
    """This visit's fixes and the rep's other visits around them that day, by fix time.

    Computed once per context and thresholds (the speed and teleport checks both walk it).
    """
    key = (track, thresholds)
    points = ctx.derived.get(key)
    if points is None:
        points = ctx.derived[key] = tuple(_track(ctx, thresholds))
    return points  # type: ignore[return-value]


def _track(ctx: AssessmentContext, thresholds: Thresholds) -> list[TrackPoint]:
    """The track, built. Other visits are kept within `teleport_window_s` of this visit's
    fixes, plus the nearest one before and after: every pair and round trip the motion checks
    look at involves this visit, so the rest of the day cannot change their outcome (and is
    not walked).
    """
    ev = ctx.evidence
    points: list[TrackPoint] = []
    for fix, label in labelled_fixes(ev):
        if is_usable(fix):
            acc = accuracy_of(fix, thresholds)
            points.append(TrackPoint(seconds(fix.fix_time), fix.lat, fix.lon, acc, label, True))
    if not points:
        return []
    day = ctx.timeline
    window = max(thresholds.teleport_window_s, 0.0)
    start = bisect.bisect_left(day, min(p.t for p in points) - window, key=FIX_T)
    end = bisect.bisect_right(day, max(p.t for p in points) + window, key=FIX_T)

    def usable(other: VisitSummary) -> bool:
        return other.visit_id != ev.visit_id and in_range(other.lat, other.lon)

    before = next((i for i in range(start - 1, -1, -1) if usable(day[i])), start)
    after = next((i for i in range(end, len(day)) if usable(day[i])), end - 1)
    for other in day[before : after + 1]:
        if usable(other):
            acc = assumed_accuracy(other.accuracy_m, thresholds)
            label = f"visit {other.visit_id}"
            points.append(TrackPoint(other.fix_t, other.lat, other.lon, acc, label, False))
    points.sort(key=lambda p: p.t)
    return points


def excess_m(a: TrackPoint, b: TrackPoint) -> float:
    """Distance between two points that their accuracies cannot explain."""
    return max(0.0, distance_m(a.lat, a.lon, b.lat, b.lon) - a.accuracy_m - b.accuracy_m)
