"""Checks on photos: reuse across visits, gallery picks, EXIF time and place."""

from __future__ import annotations

from geo.spoof import wording
from geo.spoof.context import AssessmentContext, KnownPhoto
from geo.spoof.evidence import Photo, PhotoSource
from geo.spoof.findings import DataValue, Finding, Severity
from geo.spoof.measure import (
    accuracy_of,
    distance_m,
    in_range,
    is_null_island,
    rounded,
    seconds,
    usable_checkin,
    usable_pin,
)
from geo.spoof.phash import hamming_distance
from geo.spoof.thresholds import Thresholds


def _closest(photo: Photo, ctx: AssessmentContext, th: Thresholds) -> tuple[KnownPhoto, int] | None:
    """The known photo of another visit this one copies (distance 0 = same file), if any."""
    best: tuple[KnownPhoto, int] | None = None
    for known in ctx.known_photos:
        if known.visit_id == ctx.evidence.visit_id:
            continue
        if known.sha256.lower() == photo.sha256.lower():
            return known, 0
        if photo.phash is None or known.phash is None:
            continue
        bits = hamming_distance(photo.phash, known.phash)
        if bits is not None and bits <= th.phash_max_distance and (best is None or bits < best[1]):
            best = (known, bits)
    return best


def check_photo_reuse(ctx: AssessmentContext, th: Thresholds) -> list[Finding]:
    """High when a photo is the same file as, or looks the same as, another visit's photo."""
    findings: list[Finding] = []
    for photo in ctx.evidence.photos:
        match = _closest(photo, ctx, th)
        if match is None:
            continue
        known, bits = match
        owner = f"visit {known.visit_id} (rep {known.rep_id})"
        data: dict[str, DataValue] = {
            "photo_id": photo.photo_id,
            "other_visit_id": known.visit_id,
            "bits": bits,
        }
        if bits == 0 and known.sha256.lower() == photo.sha256.lower():
            code = "photo.reused"
            message = f"Photo {photo.photo_id} is the very same file as a photo of {owner}."
        else:
            code = "photo.near_duplicate"
            message = (
                f"Photo {photo.photo_id} is visually the same picture as a photo of {owner} "
                f"({bits} bits of its fingerprint differ): a resaved or cropped copy."
            )
        message += " It was not taken at this visit."
        findings.append(Finding(code=code, severity=Severity.HIGH, message=message, data=data))
    return findings


def check_album_photos(ctx: AssessmentContext, th: Thresholds) -> list[Finding]:
    """Medium when photos were picked from the phone's gallery instead of taken in the app."""
    picked = [p.photo_id for p in ctx.evidence.photos if p.source == PhotoSource.ALBUM]
    if not picked:
        return []
    message = (
        f"{'Photos' if len(picked) > 1 else 'Photo'} {wording.listing(picked)} came from the "
        f"phone's gallery, not the app's camera, so {'they' if len(picked) > 1 else 'it'} may "
        "be old or someone else's."
    )
    data: dict[str, DataValue] = {"photo_ids": ", ".join(picked), "count": len(picked)}
    return [Finding(code="photo.album", severity=Severity.MEDIUM, message=message, data=data)]


def check_photo_time(ctx: AssessmentContext, th: Thresholds) -> list[Finding]:
    """Medium when EXIF time falls outside the visit; high when it is more than a day off."""
    ev = ctx.evidence
    start = seconds(ev.captured_at)
    end = max(start, seconds(ev.checked_out_at or ev.captured_at))
    worst: tuple[float, Photo] | None = None
    for photo in ev.photos:
        if photo.taken_at is None:
            continue
        taken = seconds(photo.taken_at)
        outside = start - taken if taken < start else max(0.0, taken - end)
        if outside > th.exif_time_tolerance_s and (worst is None or outside > worst[0]):
            worst = (outside, photo)
    if worst is None:
        return []
    outside, photo = worst
    when = "before" if photo.taken_at is not None and seconds(photo.taken_at) < start else "after"
    message = (
        f"According to its own metadata, photo {photo.photo_id} was taken "
        f"{wording.duration(outside)} {when} the visit."
    )
    severity = Severity.HIGH if outside > th.exif_time_high_s else Severity.MEDIUM
    data = {"photo_id": photo.photo_id, "outside_s": rounded(outside, 0), "when": when}
    return [Finding(code="photo.exif_time", severity=severity, message=message, data=data)]


def check_photo_place(ctx: AssessmentContext, th: Thresholds) -> list[Finding]:
    """High when a photo's EXIF GPS is far from both the check-in and the customer."""
    references: list[tuple[float, float, float]] = []
    names: list[str] = []
    fix = usable_checkin(ctx)
    if fix is not None:
        references.append((fix.lat, fix.lon, accuracy_of(fix, th)))
        names.append("the check-in")
    pin = usable_pin(ctx)
    if pin is not None:
        references.append((pin.lat, pin.lon, 0.0))
        names.append("the customer")
    findings: list[Finding] = []
    for photo in ctx.evidence.photos:
        lat, lon = photo.exif_lat, photo.exif_lon
        if lat is None or lon is None or not in_range(lat, lon) or is_null_island(lat, lon):
            continue
        gaps = [distance_m(lat, lon, r_lat, r_lon) - r_acc for r_lat, r_lon, r_acc in references]
        if not gaps or min(gaps) <= th.exif_max_distance_m:
            continue
        message = (
            f"Photo {photo.photo_id} carries GPS coordinates at least "
            f"{wording.distance(min(gaps))} from {wording.listing(names)}: it was taken "
            "somewhere else."
        )
        data = {"photo_id": photo.photo_id, "distance_m": rounded(min(gaps))}
        findings.append(
            Finding(code="photo.exif_location", severity=Severity.HIGH, message=message, data=data)
        )
    return findings
