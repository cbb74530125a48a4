"""Checks on the visit as a whole: how long it lasted, where it ended, which device sent it."""

from __future__ import annotations

from geo.spoof import wording
from geo.spoof.context import AssessmentContext
from geo.spoof.findings import Finding, Severity
from geo.spoof.measure import accuracy_of, distance_m, is_usable, rounded, span_s, usable_pin
from geo.spoof.thresholds import Thresholds


def check_dwell(ctx: AssessmentContext, th: Thresholds) -> list[Finding]:
    """Medium when check-out follows check-in too quickly; high when it comes before it."""
    ev = ctx.evidence
    if ev.checked_out_at is None:
        return []
    dwell = span_s(ev.captured_at, ev.checked_out_at)
    data = {"dwell_s": rounded(dwell, 0), "limit_s": th.min_dwell_s}
    if dwell < 0:
        message = (
            f"The check-out time is {wording.duration(dwell)} before the check-in time, "
            "which cannot happen on an untouched phone."
        )
        return [Finding(code="dwell.negative", severity=Severity.HIGH, message=message, data=data)]
    if dwell >= th.min_dwell_s:
        return []
    message = (
        f"The rep checked out {wording.duration(dwell)} after checking in; "
        "a real customer visit takes longer."
    )
    return [Finding(code="dwell.too_short", severity=Severity.MEDIUM, message=message, data=data)]


def check_checkout_place(ctx: AssessmentContext, th: Thresholds) -> list[Finding]:
    """Medium when the check-out fix is far from the customer."""
    fix, pin = ctx.evidence.checkout, usable_pin(ctx)
    if fix is None or not is_usable(fix) or pin is None:
        return []
    acc = accuracy_of(fix, th)
    dist = distance_m(fix.lat, fix.lon, pin.lat, pin.lon)
    if dist - acc <= th.checkout_radius_m:
        return []
    message = (
        f"The rep checked out {wording.distance(dist)} from the customer, beyond "
        f"{wording.distance(th.checkout_radius_m)} even allowing for accuracy: the visit may "
        "have been logged from elsewhere."
    )
    data = {
        "distance_m": rounded(dist),
        "accuracy_m": rounded(acc),
        "radius_m": th.checkout_radius_m,
    }
    return [
        Finding(code="dwell.checkout_far", severity=Severity.MEDIUM, message=message, data=data)
    ]


def check_device_binding(ctx: AssessmentContext, th: Thresholds) -> list[Finding]:
    """High when the visit came from a device that is not bound to the rep."""
    ev = ctx.evidence
    if ev.device_id in ev.rep_device_ids:
        return []
    owners = sorted(ev.device_rep_ids - {ev.rep_id})
    message = f"The visit was sent from device {ev.device_id}, which is not registered to this rep"
    message += f"; it belongs to {wording.listing(owners)}." if owners else "."
    data = {"device_id": ev.device_id, "device_reps": ", ".join(owners)}
    return [Finding(code="device.unbound", severity=Severity.HIGH, message=message, data=data)]
