"""Checks on the fixes themselves: mock flags, impossible values, quality, frozen coordinates."""

from __future__ import annotations

import math
from collections import defaultdict

from geo.spoof import wording
from geo.spoof.context import AssessmentContext
from geo.spoof.evidence import Fix
from geo.spoof.findings import Finding, Severity
from geo.spoof.measure import (
    coordinate_key,
    in_range,
    is_null_island,
    labelled_fixes,
    rounded,
    seconds,
    span_s,
    usable_checkin,
)
from geo.spoof.thresholds import Thresholds


def check_mock(ctx: AssessmentContext, th: Thresholds) -> list[Finding]:
    """Critical when the OS marked any fix of the visit as coming from a mock-location app."""
    mocked = [
        label
        for fix, label in labelled_fixes(ctx.evidence)
        if fix.is_mock or (fix.provider or "").lower() in th.mock_providers
    ]
    if not mocked:
        return []
    message = (
        f"The phone itself marked the {wording.listing(mocked)} location as coming from "
        "a mock-location app, not from its GPS."
    )
    data = {"fixes": ", ".join(mocked)}
    return [Finding(code="fix.mock", severity=Severity.CRITICAL, message=message, data=data)]


def _impossible_value(fix: Fix) -> str | None:
    """What makes the fix impossible, or None when every value could come from a phone."""
    if not in_range(fix.lat, fix.lon):
        return "coordinates outside the globe"
    optional = (fix.accuracy_m, fix.altitude_m, fix.vertical_accuracy_m, fix.speed_mps)
    if any(value is not None and not math.isfinite(value) for value in optional):
        return "a number that is not finite"
    if fix.accuracy_m is not None and fix.accuracy_m < 0:
        return "a negative accuracy"
    if fix.speed_mps is not None and fix.speed_mps < 0:
        return "a negative speed"
    if fix.bearing_deg is not None and not 0.0 <= fix.bearing_deg < 360.0:
        return "a bearing outside 0-360 degrees"
    if fix.satellites is not None and fix.satellites < 0:
        return "a negative satellite count"
    return None


def check_invalid_fix(ctx: AssessmentContext, th: Thresholds) -> list[Finding]:
    """High for values no phone produces; medium for (0, 0), which broken apps send."""
    findings: list[Finding] = []
    for fix, label in labelled_fixes(ctx.evidence):
        is_checkin = fix is ctx.evidence.checkin
        problem = _impossible_value(fix)
        if problem is not None:
            message = (
                f"The {label} location contains {problem}, which no phone produces: "
                "the app or its data was tampered with or is broken."
            )
            data = {"fix": label, "problem": problem}
            findings.append(
                Finding(
                    code="fix.invalid",
                    severity=Severity.HIGH,
                    message=message,
                    data=data,
                    insufficient_evidence=is_checkin,
                )
            )
        elif is_null_island(fix.lat, fix.lon):
            message = (
                f"The {label} location is 0,0 (in the ocean off West Africa), which broken apps "
                "send when they have no location."
            )
            findings.append(
                Finding(
                    code="fix.null_island",
                    severity=Severity.MEDIUM,
                    message=message,
                    data={"fix": label},
                    insufficient_evidence=is_checkin,
                )
            )
    return findings


def check_fix_quality(ctx: AssessmentContext, th: Thresholds) -> list[Finding]:
    """Unverified when the check-in has no fix, no accuracy, or an accuracy too coarse to tell."""
    fix = ctx.evidence.checkin
    if fix is None:
        message = (
            "No location came with the check-in. GPS is often blocked indoors or underground, "
            "so the visit cannot be confirmed from location."
        )
        return [_gap("fix.missing", message, {})]
    if usable_checkin(ctx) is None:
        return []  # check_invalid_fix explains why
    if fix.accuracy_m is None or not math.isfinite(fix.accuracy_m) or fix.accuracy_m < 0:
        message = "The check-in location came without an accuracy, so it cannot be trusted."
        return [_gap("fix.accuracy_unknown", message, {"provider": fix.provider})]
    if fix.accuracy_m > th.max_verifying_accuracy_m:
        message = (
            f"The check-in location is only accurate to about {wording.distance(fix.accuracy_m)} "
            "(indoor, cell-tower or approximate location), too coarse to confirm the rep was at "
            "this customer."
        )
        data = {
            "accuracy_m": rounded(fix.accuracy_m),
            "limit_m": th.max_verifying_accuracy_m,
            "provider": fix.provider,
        }
        return [_gap("fix.coarse", message, data)]
    return []


def _gap(code: str, message: str, data: dict[str, str | float | None]) -> Finding:
    return Finding(
        code=code, severity=Severity.INFO, message=message, data=data, insufficient_evidence=True
    )


def check_satellites(ctx: AssessmentContext, th: Thresholds) -> list[Finding]:
    """Medium when a GPS-provider fix claims to use zero satellites."""
    fix = usable_checkin(ctx)
    if fix is None or (fix.provider or "").lower() != "gps" or fix.satellites != 0:
        return []
    message = (
        "The phone reported a GPS fix computed from zero satellites, which a real receiver "
        "cannot do; location-faking tools often leave this at zero."
    )
    return [Finding(code="fix.no_satellites", severity=Severity.MEDIUM, message=message)]


def check_frozen_series(ctx: AssessmentContext, th: Thresholds) -> list[Finding]:
    """High when several precise fixes at different moments have identical values."""
    ev = ctx.evidence
    groups: defaultdict[tuple[float, float, float], set[float]] = defaultdict(set)
    for fix in (ev.checkin, *ev.series):
        acc = None if fix is None else usable_accuracy(fix)
        if fix is None or acc is None or acc > th.precise_accuracy_m:
            continue
        key = (*coordinate_key(fix.lat, fix.lon, th.frozen_decimals), round(acc, 2))
        groups[key].add(seconds(fix.fix_time))
    largest = max((len(moments) for moments in groups.values()), default=0)
    if largest < th.frozen_min_fixes:
        return []
    message = (
        f"Around check-in, {largest} fixes taken at different moments have exactly the same "
        "coordinates and accuracy. A real receiver always jitters slightly; a replayed or "
        "simulated position does not."
    )
    data = {"identical_fixes": largest, "limit": th.frozen_min_fixes}
    return [Finding(code="fix.frozen_series", severity=Severity.HIGH, message=message, data=data)]


def usable_accuracy(fix: Fix) -> float | None:
    """The accuracy of a usable fix when it is a real number, else None."""
    acc = fix.accuracy_m
    usable = in_range(fix.lat, fix.lon) and not is_null_island(fix.lat, fix.lon)
    if not usable or acc is None or not math.isfinite(acc) or acc < 0:
        return None
    return acc


def check_repeated_coordinates(ctx: AssessmentContext, th: Thresholds) -> list[Finding]:
    """High when a precise check-in repeats, exactly, the coordinates of an earlier visit."""
    fix = usable_checkin(ctx)
    acc = None if fix is None else usable_accuracy(fix)
    if fix is None or acc is None or acc > th.precise_accuracy_m:
        return []
    key = coordinate_key(fix.lat, fix.lon, th.frozen_decimals)
    # Coordinates that round alike differ by at most one unit of the last decimal: a cheap
    # subtraction rules out almost every visit before rounding.
    near = 1.5 * 10.0**-th.frozen_decimals
    low, high = fix.lat - near, fix.lat + near
    close = [o for o in ctx.day_visits if low <= o.lat <= high]
    close += [o for o in ctx.recent_visits if low <= o.lat <= high]
    for other in close:
        if other.visit_id == ctx.evidence.visit_id or not in_range(other.lat, other.lon):
            continue
        apart = abs(span_s(other.fix_time, fix.fix_time))
        if coordinate_key(other.lat, other.lon, th.frozen_decimals) == key and (
            apart >= th.repeat_min_gap_s
        ):
            message = (
                f"The check-in coordinates are identical, to the centimetre, to those of the "
                f"rep's visit {other.visit_id} {wording.duration(apart)} apart. Satellite fixes "
                "never repeat exactly, so this location was saved and replayed."
            )
            data = {"other_visit_id": other.visit_id, "seconds_apart": rounded(apart, 0)}
            return [
                Finding(
                    code="fix.repeated_coordinates",
                    severity=Severity.HIGH,
                    message=message,
                    data=data,
                )
            ]
    return []
