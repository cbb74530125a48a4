"""Checks on where the rep was: the customer pin, datum mix-ups, coordinates shared by reps."""

from __future__ import annotations

from dataclasses import dataclass

from geo.datums import Datum, datum_offset_m, in_mainland_china, to_wgs84
from geo.spoof import wording
from geo.spoof.context import AssessmentContext, Pin
from geo.spoof.evidence import Fix
from geo.spoof.findings import DataValue, Finding, Severity
from geo.spoof.measure import (
    accuracy_of,
    coordinate_key,
    distance_m,
    in_range,
    rounded,
    span_s,
    usable_checkin,
    usable_pin,
)
from geo.spoof.thresholds import Thresholds

_SDKS = {Datum.GCJ02: "Amap/Tencent map coordinates", Datum.BD09: "Baidu map coordinates"}


@dataclass(frozen=True, slots=True)
class DatumMixup:
    """A reading of the fix or the pin in another datum that puts the rep at the customer."""

    side: str  # "fix": the app mislabelled its coordinates; "pin": the customer pin is not WGS-84
    datum: Datum  # the datum that explains the residual
    distance_m: float  # fix to pin under that reading


def datum_mixup(fix: Fix, pin: Pin, th: Thresholds) -> DatumMixup | None:
    """The datum reading that explains a far fix inside mainland China, if any does."""
    raw_lat, raw_lon = fix.raw
    usable = in_range(fix.lat, fix.lon) and in_range(raw_lat, raw_lon)
    if not usable or not in_range(pin.lat, pin.lon):
        return None
    acc = accuracy_of(fix, th)
    if distance_m(fix.lat, fix.lon, pin.lat, pin.lon) - acc <= th.radius_m:
        return None
    if not (in_mainland_china(pin.lat, pin.lon) or in_mainland_china(raw_lat, raw_lon)):
        return None
    readings: list[DatumMixup] = []
    for datum in Datum:
        if datum != fix.datum:
            lat, lon = to_wgs84(raw_lat, raw_lon, datum)
            readings.append(DatumMixup("fix", datum, distance_m(lat, lon, pin.lat, pin.lon)))
        if datum != Datum.WGS84:
            lat, lon = to_wgs84(pin.lat, pin.lon, datum)
            readings.append(DatumMixup("pin", datum, distance_m(fix.lat, fix.lon, lat, lon)))
    best = min(readings, key=lambda reading: reading.distance_m)
    return best if best.distance_m - acc <= th.radius_m else None


def check_no_pin(ctx: AssessmentContext, th: Thresholds) -> list[Finding]:
    """Unverified when the customer has no stored location to compare with."""
    if usable_pin(ctx) is not None:
        return []
    message = "The customer has no stored location, so the visit cannot be checked against it."
    return [
        Finding(
            code="place.no_pin", severity=Severity.INFO, message=message, insufficient_evidence=True
        )
    ]


def check_distance_to_pin(ctx: AssessmentContext, th: Thresholds) -> list[Finding]:
    """High when distance minus accuracy exceeds the radius (medium for coarse fixes)."""
    fix, pin = usable_checkin(ctx), usable_pin(ctx)
    if fix is None or pin is None:
        return []
    acc = accuracy_of(fix, th)
    dist = distance_m(fix.lat, fix.lon, pin.lat, pin.lon)
    if dist - acc <= th.radius_m or datum_mixup(fix, pin, th) is not None:
        return []
    coarse = acc > th.max_verifying_accuracy_m
    message = (
        f"The check-in was {wording.distance(dist)} from the customer. Even allowing for the "
        f"{wording.distance(acc)} accuracy, the rep was at least {wording.distance(dist - acc)} "
        f"away, beyond the {wording.distance(th.radius_m)} allowed."
    )
    data = {
        "distance_m": rounded(dist),
        "accuracy_m": rounded(acc),
        "excess_m": rounded(dist - acc),
        "radius_m": th.radius_m,
    }
    severity = Severity.MEDIUM if coarse else Severity.HIGH
    return [Finding(code="place.far_from_customer", severity=severity, message=message, data=data)]


def check_on_pin(ctx: AssessmentContext, th: Thresholds) -> list[Finding]:
    """High when the check-in sits exactly on the customer's geocoded pin."""
    fix, pin = usable_checkin(ctx), usable_pin(ctx)
    if fix is None or pin is None:
        return []
    dist = distance_m(fix.lat, fix.lon, pin.lat, pin.lon)
    if dist > th.on_pin_m:
        return []
    message = (
        "The check-in is exactly on the customer's map pin. A real GPS fix never lands exactly "
        "there; a location picked on a map or copied from the customer record does."
    )
    data = {"distance_m": rounded(dist, 3), "limit_m": th.on_pin_m}
    return [Finding(code="place.on_pin", severity=Severity.HIGH, message=message, data=data)]


def check_datum_mixup(ctx: AssessmentContext, th: Thresholds) -> list[Finding]:
    """Low when the residual to the pin is the GCJ-02/BD-09 offset: a mislabelled datum."""
    fix, pin = usable_checkin(ctx), usable_pin(ctx)
    if fix is None or pin is None:
        return []
    mixup = datum_mixup(fix, pin, th)
    if mixup is None:
        return []
    dist = distance_m(fix.lat, fix.lon, pin.lat, pin.lon)
    offset_datum = mixup.datum if mixup.datum != Datum.WGS84 else fix.datum
    if mixup.side == "fix":
        message = (
            f"The app labelled its coordinates {fix.datum} but they match the customer only when "
            f"read as {mixup.datum}: the app is sending {_SDKS.get(offset_datum, 'map data')} "
            f"under the wrong label. Read that way the rep was "
            f"{wording.distance(mixup.distance_m)} from the customer."
        )
    else:
        message = (
            f"The check-in matches the customer only if the customer's stored location is read as "
            f"{mixup.datum}: the pin was probably geocoded with a Chinese map service and stored "
            f"unconverted. Read that way the rep was {wording.distance(mixup.distance_m)} away."
        )
    data = {
        "side": mixup.side,
        "labelled_datum": str(fix.datum) if mixup.side == "fix" else str(Datum.WGS84),
        "likely_datum": str(mixup.datum),
        "distance_m": rounded(dist),
        "corrected_distance_m": rounded(mixup.distance_m),
        "offset_m": rounded(datum_offset_m(pin.lat, pin.lon, offset_datum)),
    }
    return [Finding(code="place.datum_mismatch", severity=Severity.LOW, message=message, data=data)]


def check_shared_coordinates(ctx: AssessmentContext, th: Thresholds) -> list[Finding]:
    """High when other reps checked in at exactly the same precise coordinates."""
    fix = usable_checkin(ctx)
    acc = None if fix is None else fix.accuracy_m
    if fix is None or acc is None or not 0 <= acc <= th.precise_accuracy_m:
        return []
    key = coordinate_key(fix.lat, fix.lon, th.frozen_decimals)
    reps = sorted(
        {
            peer.rep_id
            for peer in ctx.peer_visits
            if peer.rep_id != ctx.evidence.rep_id
            and abs(span_s(peer.fix_time, fix.fix_time)) <= th.shared_window_s
            and in_range(peer.lat, peer.lon)
            and coordinate_key(peer.lat, peer.lon, th.frozen_decimals) == key
        }
    )
    if len(reps) < th.shared_min_other_reps:
        return []
    message = (
        f"Other reps ({wording.listing(reps)}) checked in at exactly the same "
        f"coordinates within {wording.duration(th.shared_window_s)}. Two phones never produce "
        "identical satellite fixes, so the location was shared and replayed."
    )
    data: dict[str, DataValue] = {"other_reps": ", ".join(reps), "count": len(reps)}
    return [
        Finding(code="place.shared_coordinates", severity=Severity.HIGH, message=message, data=data)
    ]
