"""The ordered list of spoof checks and the function that runs them (Traccar's handler chain)."""

from __future__ import annotations

from collections.abc import Callable

from geo.spoof.checks import clock, fix, motion, photos, place, visit
from geo.spoof.combine import combine
from geo.spoof.context import AssessmentContext
from geo.spoof.findings import Assessment, Finding
from geo.spoof.thresholds import Thresholds

Check = Callable[[AssessmentContext, Thresholds], list[Finding]]

# A new check is one line here plus a test; the order is the order a reviewer reads them in.
CHECKS: tuple[Check, ...] = (
    fix.check_mock,
    fix.check_invalid_fix,
    fix.check_fix_quality,
    fix.check_satellites,
    place.check_no_pin,
    place.check_distance_to_pin,
    place.check_on_pin,
    place.check_datum_mixup,
    fix.check_frozen_series,
    fix.check_repeated_coordinates,
    place.check_shared_coordinates,
    motion.check_impossible_speed,
    motion.check_teleport,
    motion.check_impossible_day,
    clock.check_future_time,
    clock.check_stale_fix,
    clock.check_late_upload,
    clock.check_backdating,
    clock.check_device_continuity,
    clock.check_replay,
    photos.check_photo_reuse,
    photos.check_album_photos,
    photos.check_photo_time,
    photos.check_photo_place,
    visit.check_dwell,
    visit.check_checkout_place,
    visit.check_device_binding,
)


def assess(
    ctx: AssessmentContext,
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, so one shared default is safe
    *,
    checks: tuple[Check, ...] = CHECKS,
) -> Assessment:
    """Run every check over one visit and combine the findings into a verdict and score."""
    findings = [finding for check in checks for finding in check(ctx, thresholds)]
    return combine(findings, thresholds)
