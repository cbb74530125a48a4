"""Checks on time: future and stale fixes, late uploads, back-dating, replayed payloads."""

from __future__ import annotations

from datetime import datetime

from geo.spoof import wording
from geo.spoof.context import AssessmentContext
from geo.spoof.findings import Finding, Severity
from geo.spoof.measure import clock_offset_s, rounded, same_boot, seconds, span_s
from geo.spoof.thresholds import Thresholds


def check_future_time(ctx: AssessmentContext, th: Thresholds) -> list[Finding]:
    """High when the fix or capture time is after the upload, even allowing for clock error."""
    ev = ctx.evidence
    offset = clock_offset_s(ev)
    tolerance = th.unmeasured_clock_skew_s if offset is None else th.future_tolerance_s
    moments: list[tuple[str, datetime]] = [("check-in", ev.captured_at)]
    if ev.checkin is not None:
        moments.insert(0, ("check-in location fix", ev.checkin.fix_time))
    received = seconds(ev.received_at)
    ahead, label = max((seconds(t) - (offset or 0.0) - received, label) for label, t in moments)
    if ahead <= tolerance:
        return []
    if offset is None:
        correction = "allowing a wide margin because the phone did not report its clock"
    else:
        direction = "fast" if offset >= 0 else "slow"
        correction = (
            f"even after correcting for the phone's clock being {wording.duration(offset)} "
            f"{direction}"
        )
    message = (
        f"The {label} time is {wording.duration(ahead)} after the server received the visit, "
        f"{correction}. The phone's clock was set forward when the visit was made."
    )
    data = {
        "moment": label,
        "ahead_s": rounded(ahead, 0),
        "clock_offset_s": rounded(offset, 0),
        "tolerance_s": tolerance,
    }
    return [Finding(code="clock.future_time", severity=Severity.HIGH, message=message, data=data)]


def check_stale_fix(ctx: AssessmentContext, th: Thresholds) -> list[Finding]:
    """Unverified when the check-in fix is old at capture; high when it is very old."""
    ev, fix = ctx.evidence, ctx.evidence.checkin
    if fix is None:
        return []
    wall_age = span_s(fix.fix_time, ev.captured_at)
    mono_age: float | None = None
    if (
        fix.elapsed_realtime_ms is not None
        and ev.capture_elapsed_ms is not None
        and same_boot(fix.boot_count, ev.capture_boot_count)
    ):
        mono_age = (ev.capture_elapsed_ms - fix.elapsed_realtime_ms) / 1_000
    age = max(wall_age, mono_age if mono_age is not None else wall_age)
    if age <= th.stale_fix_s:
        return []
    very_old = age > th.stale_fix_high_s
    message = (
        f"The check-in location was {wording.duration(age)} old when the rep checked in, so it "
        "shows where the phone was earlier, not at the customer."
    )
    if very_old:
        message += " No phone keeps a fix that old as current: it looks like a saved location."
    data = {
        "age_s": rounded(age, 0),
        "wall_clock_age_s": rounded(wall_age, 0),
        "monotonic_age_s": rounded(mono_age, 0),
        "limit_s": th.stale_fix_high_s if very_old else th.stale_fix_s,
    }
    return [
        Finding(
            code="clock.stale_fix",
            severity=Severity.HIGH if very_old else Severity.MEDIUM,
            message=message,
            data=data,
            insufficient_evidence=True,
        )
    ]


def check_late_upload(ctx: AssessmentContext, th: Thresholds) -> list[Finding]:
    """Info when an offline visit arrives late; high when an online one was held back."""
    ev = ctx.evidence
    offset = clock_offset_s(ev)
    delay = seconds(ev.received_at) - (seconds(ev.captured_at) - (offset or 0.0))
    if delay <= th.late_upload_s:
        return []
    data = {
        "delay_s": rounded(delay, 0),
        "limit_s": th.late_upload_s,
        "captured_offline": ev.captured_offline,
    }
    late = f"The visit reached the server {wording.duration(delay)} after check-in"
    if ev.captured_offline:
        message = f"{late}; the phone recorded it offline, which explains the delay."
        return [
            Finding(code="clock.late_upload", severity=Severity.INFO, message=message, data=data)
        ]
    message = (
        f"{late} although the phone was online. Holding a visit back and sending it later is how "
        "pre-saved check-ins are faked."
    )
    return [Finding(code="clock.late_upload", severity=Severity.HIGH, message=message, data=data)]


def check_backdating(ctx: AssessmentContext, th: Thresholds) -> list[Finding]:
    """High when the wall-clock time from capture to upload disagrees with the uptime clock."""
    ev = ctx.evidence
    if ev.capture_elapsed_ms is None or ev.upload_elapsed_ms is None:
        return []
    if not same_boot(ev.capture_boot_count, ev.upload_boot_count):
        message = (
            "The phone restarted between check-in and upload, so the check-in time could not be "
            "cross-checked against the phone's uptime clock."
        )
        return [Finding(code="clock.rebooted", severity=Severity.INFO, message=message)]
    uptime = (ev.upload_elapsed_ms - ev.capture_elapsed_ms) / 1_000
    if uptime < 0:
        message = (
            "The phone's uptime clock ran backwards between check-in and upload without a "
            "restart, which no phone can do: the record was edited."
        )
        data = {"uptime_s": rounded(uptime, 0)}
        return [
            Finding(
                code="clock.monotonic_regressed", severity=Severity.HIGH, message=message, data=data
            )
        ]
    if ev.upload_device_time is not None:
        wall, tolerance = span_s(ev.captured_at, ev.upload_device_time), th.backdate_tolerance_s
    else:
        wall, tolerance = span_s(ev.captured_at, ev.received_at), th.unmeasured_clock_skew_s
    drift = wall - uptime
    if abs(drift) <= tolerance:
        return []
    earlier = drift > 0
    message = (
        f"The check-in time is {wording.duration(drift)} {'earlier' if earlier else 'later'} than "
        "the phone's uptime clock shows it happened: the phone's clock was turned "
        f"{'back' if earlier else 'forward'} to log the visit at another time."
    )
    data = {
        "drift_s": rounded(drift, 0),
        "wall_clock_s": rounded(wall, 0),
        "uptime_s": rounded(uptime, 0),
        "tolerance_s": tolerance,
    }
    code = "clock.backdated" if earlier else "clock.postdated"
    return [Finding(code=code, severity=Severity.HIGH, message=message, data=data)]


def check_device_continuity(ctx: AssessmentContext, th: Thresholds) -> list[Finding]:
    """High when the uptime clock disagrees with the device's previous upload without a reboot."""
    ev, last = ctx.evidence, ctx.device_last_upload
    if last is None or ev.upload_elapsed_ms is None:
        return []
    if not same_boot(last.boot_count, ev.upload_boot_count):
        return []
    uptime = (ev.upload_elapsed_ms - last.elapsed_ms) / 1_000
    real = span_s(last.received_at, ev.received_at)
    if abs(uptime - real) <= th.backdate_tolerance_s:
        return []
    message = (
        f"Since this device's previous upload {wording.duration(real)} passed on the server but "
        f"{wording.duration(uptime)} {'(backwards) ' if uptime < 0 else ''}on the phone's uptime "
        "clock, without a restart. Two phones are using the same device id, or the upload was "
        "fabricated."
    )
    data = {"uptime_s": rounded(uptime, 0), "server_s": rounded(real, 0)}
    return [
        Finding(code="clock.uptime_mismatch", severity=Severity.HIGH, message=message, data=data)
    ]


def check_replay(ctx: AssessmentContext, th: Thresholds) -> list[Finding]:
    """Critical when the same location evidence was already sent for another visit."""
    ev = ctx.evidence
    if ev.payload_hash is None:
        return []
    first = ctx.seen_payloads.get(ev.payload_hash)
    if first is None or first == ev.visit_id:
        return []
    message = (
        f"This visit's location evidence is identical, byte for byte, to that of visit {first}: "
        "it was copied from that visit and sent again."
    )
    data = {"original_visit_id": first}
    return [Finding(code="replay.payload", severity=Severity.CRITICAL, message=message, data=data)]
