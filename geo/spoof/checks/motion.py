"""Checks on how the rep moved: speed between fixes, teleport-and-return, an impossible day."""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence

from geo.spoof import wording
from geo.spoof.context import FIX_T, AssessmentContext, VisitSummary
from geo.spoof.findings import Finding, Severity
from geo.spoof.measure import (
    TrackPoint,
    accuracy_of,
    assumed_accuracy,
    distance_m,
    excess_m,
    in_range,
    rounded,
    seconds,
    speed_limit_mps,
    track,
    usable_checkin,
)
from geo.spoof.thresholds import Thresholds


def _mode(limit: float, th: Thresholds) -> str:
    return "a jet" if limit >= th.max_flight_speed_mps else "high-speed rail"


def check_impossible_speed(ctx: AssessmentContext, th: Thresholds) -> list[Finding]:
    """High when consecutive fixes, ordered by fix time, need more than rail or jet speed."""
    points = track(ctx, th)
    worst: tuple[float, TrackPoint, TrackPoint, float] | None = None
    for a, b in itertools.pairwise(points):
        if not (a.own or b.own):
            continue
        gap = excess_m(a, b)
        if gap < th.speed_min_jump_m:
            continue
        dt = b.t - a.t
        speed = gap / dt if dt > 0 else math.inf
        limit = speed_limit_mps(distance_m(a.lat, a.lon, b.lat, b.lon), th)
        if speed > limit and (worst is None or speed / limit > worst[0] / worst[3]):
            worst = (speed, a, b, limit)
    if worst is None:
        return []
    speed, a, b, limit = worst
    dist = distance_m(a.lat, a.lon, b.lat, b.lon)
    message = (
        f"Getting from the {a.label} to the {b.label} means covering {wording.distance(dist)} in "
        f"{wording.duration(b.t - a.t)} ({wording.speed(speed)}), faster than even "
        f"{_mode(limit, th)} ({wording.speed(limit)}). One of the two positions is fake."
    )
    data = {
        "from": a.label,
        "to": b.label,
        "distance_m": rounded(dist),
        "seconds": rounded(b.t - a.t),
        "speed_mps": rounded(speed),
        "limit_mps": limit,
    }
    return [
        Finding(code="motion.impossible_speed", severity=Severity.HIGH, message=message, data=data)
    ]


def _far_neighbour(points: Sequence[TrackPoint], i: int, step: int, th: Thresholds) -> int | None:
    """Index of the first point before/after `i` that is far from it, past any nearby ones."""
    j = i + step
    while 0 <= j < len(points):
        if excess_m(points[i], points[j]) >= th.teleport_min_distance_m:
            return j
        j += step
    return None


def check_teleport(ctx: AssessmentContext, th: Thresholds) -> list[Finding]:
    """High when a fix of this visit is a quick far excursion from a place the rep returned to."""
    points = track(ctx, th)
    for i, b in enumerate(points):
        if not b.own:
            continue
        before, after = _far_neighbour(points, i, -1, th), _far_neighbour(points, i, 1, th)
        if before is None or after is None:
            continue
        a, c = points[before], points[after]
        back = distance_m(a.lat, a.lon, c.lat, c.lon) - a.accuracy_m - c.accuracy_m
        if back > th.teleport_return_m or not 0 < c.t - a.t <= th.teleport_window_s:
            continue
        round_trip = excess_m(a, b) + excess_m(b, c)
        if round_trip / (c.t - a.t) <= th.teleport_max_speed_mps:
            continue
        away = distance_m(a.lat, a.lon, b.lat, b.lon)
        message = (
            f"The phone was at the {a.label}, then {wording.distance(away)} away for the "
            f"{b.label}, then back at the {c.label}, all within {wording.duration(c.t - a.t)}. "
            "A round trip that fast is impossible: the far position was faked."
        )
        data = {
            "away": b.label,
            "distance_m": rounded(away),
            "round_trip_seconds": rounded(c.t - a.t),
            "round_trip_speed_mps": rounded(round_trip / (c.t - a.t)),
            "window_s": th.teleport_window_s,
        }
        return [
            Finding(
                code="motion.teleport_return", severity=Severity.HIGH, message=message, data=data
            )
        ]
    return []


def check_impossible_day(ctx: AssessmentContext, th: Thresholds) -> list[Finding]:
    """Medium when the gap between consecutive visits is shorter than the travel needs."""
    fix = usable_checkin(ctx)
    if fix is None:
        return []
    ev = ctx.evidence
    own_t, day = seconds(fix.fix_time), ctx.timeline

    def usable(i: int) -> bool:
        return day[i].visit_id != ev.visit_id and in_range(day[i].lat, day[i].lon)

    # the nearest other visits by fix time, strictly before and after this one
    before = bisect.bisect_left(day, own_t, key=FIX_T)
    prev = next((day[i] for i in range(before - 1, -1, -1) if usable(i)), None)
    after = bisect.bisect_right(day, own_t, key=FIX_T)
    nxt = next((day[i] for i in range(after, len(day)) if usable(i)), None)
    own_arrival, own_departure = ev.captured_at, ev.checked_out_at or ev.captured_at
    legs: list[tuple[VisitSummary, float]] = []
    if prev is not None:
        legs.append(
            (prev, seconds(own_arrival) - seconds(prev.checked_out_at or prev.checked_in_at))
        )
    if nxt is not None:
        legs.append((nxt, seconds(nxt.checked_in_at) - seconds(own_departure)))
    for other, available in legs:
        dist = distance_m(fix.lat, fix.lon, other.lat, other.lon)
        gap = dist - accuracy_of(fix, th) - assumed_accuracy(other.accuracy_m, th)
        if gap < th.speed_min_jump_m:
            continue
        limit = (
            th.max_flight_speed_mps
            if dist >= th.flight_min_distance_m
            else th.day_max_ground_speed_mps
        )
        needed = gap / limit
        if available >= needed:
            continue
        message = (
            f"Visit {other.visit_id} is {wording.distance(dist)} away and only "
            f"{wording.duration(max(available, 0.0))} lies between leaving one and arriving at the "
            f"other; the trip needs at least {wording.duration(needed)} even at "
            f"{wording.speed(limit)} door to door."
        )
        data = {
            "other_visit_id": other.visit_id,
            "distance_m": rounded(dist),
            "available_s": rounded(available, 0),
            "needed_s": rounded(needed, 0),
            "speed_mps": limit,
        }
        return [
            Finding(
                code="motion.impossible_day", severity=Severity.MEDIUM, message=message, data=data
            )
        ]
    return []
