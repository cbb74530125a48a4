"""Run geo.spoof.assess on visits and store the verdicts.

The checks are pure (geo/spoof); app/visits/context.py loads what they compare a visit
with, set-based; this module turns a visit and that context into the checks' inputs (the
evidence contract, the customer pin, the rep's day and history, other reps nearby, known
photos, payloads seen before, the device's previous upload) and writes verdict, score and
findings back. `assess_many` is a batch (a sync push), `assess` one visit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.leads.models import Lead
from app.visits import context
from app.visits.models import Visit, VisitPhoto
from geo import spoof
from geo.datums import Datum


def fix_from_json(data: dict[str, Any] | None) -> spoof.Fix | None:
    """A stored fix (JSON with ISO times) back into the pure dataclass."""
    if not data:
        return None
    values = dict(data)
    values["fix_time"] = datetime.fromisoformat(values["fix_time"])
    values["datum"] = Datum(values.get("datum") or "wgs84")
    return spoof.Fix(**values)


def _photo(row: VisitPhoto) -> spoof.Photo:
    return spoof.Photo(
        photo_id=row.id,
        sha256=row.sha256,
        phash=row.phash,
        source=spoof.PhotoSource(row.source),
        taken_at=row.exif_taken_at,
        exif_lat=row.exif_lat,
        exif_lon=row.exif_lon,
    )


def evidence_of(
    session: Session, visit: context.AnyVisit, photos: list[VisitPhoto] | None = None
) -> spoof.VisitEvidence:
    """The visit as the pure evidence contract (photos included; loaded unless given)."""
    extra = visit.evidence or {}
    if photos is None:
        photos = context.photos_of(session, [visit.id])[visit.id]
    return spoof.VisitEvidence(
        visit_id=visit.id,
        rep_id=str(visit.rep_id),
        device_id=visit.device_id,
        captured_at=visit.captured_at,
        received_at=visit.received_at,
        checkin=fix_from_json(visit.checkin_fix),
        series=tuple(f for d in extra.get("series", []) if (f := fix_from_json(d))),
        rep_device_ids=context.device_ids(session, staff_id=visit.rep_id),
        device_rep_ids=context.device_ids(session, device_id=visit.device_id),
        capture_elapsed_ms=visit.capture_elapsed_ms,
        capture_boot_count=visit.capture_boot_count,
        upload_device_time=visit.upload_device_time,
        upload_elapsed_ms=visit.upload_elapsed_ms,
        upload_boot_count=visit.upload_boot_count,
        captured_offline=visit.captured_offline,
        payload_hash=visit.payload_hash,
        checkout=fix_from_json(visit.checkout_fix),
        checked_out_at=visit.checked_out_at,
        photos=tuple(_photo(p) for p in photos),
        wifi_bssids=tuple(extra.get("wifi_bssids", [])),
        cell_ids=tuple(extra.get("cell_ids", [])),
    )


def _unverified(visit: context.AnyVisit) -> None:
    visit.verdict, visit.score = spoof.Verdict.UNVERIFIED.value, 0
    visit.findings = [
        {
            "code": "location_not_collected",
            "severity": "info",
            "message": "No location was stored for this visit: "
            + (visit.location_not_collected_reason or "").replace("_", " ")
            + ".",
            "data": {"reason": visit.location_not_collected_reason},
        }
    ]


def assess_many(
    session: Session, pairs: list[tuple[context.AnyVisit, Lead]], *, now: datetime
) -> None:
    """Run every spoof check on each visit, in order, and set verdict, score and findings.

    The context of all of them is loaded up front with a few set-based statements; each visit
    is compared with the ones before it as if they had been stored one by one. Nothing is
    flushed: the caller inserts or updates the visits with their verdicts.
    """
    located = [visit for visit, _lead in pairs if visit.location_collected]
    with session.no_autoflush:  # the queries exclude these visits; pending rows stay pending
        loaded = context.load(session, located)
        for visit, lead in pairs:
            if visit.location_collected:
                evidence = evidence_of(session, visit, loaded.photos[visit.id])
                history = loaded.batch.histories[visit.rep_id]
                day, recent = history.around(visit.id, visit.visited_at)
                checks_context = spoof.AssessmentContext(
                    evidence=evidence,
                    pin=spoof.Pin(lat=lead.lat, lon=lead.lon),
                    day_visits=day,
                    recent_visits=recent,
                    peer_visits=tuple(loaded.peers.get(visit.id, ())),
                    known_photos=context.known_photos(session, visit, lead, evidence),
                    seen_payloads=loaded.seen_payload(visit),
                    device_last_upload=loaded.batch.uploads.get(visit.device_id),
                )
                result = spoof.assess(checks_context)
                visit.verdict, visit.score = result.verdict.value, result.score
                visit.findings = [f.to_dict() for f in result.findings]
            else:
                _unverified(visit)
            visit.assessed_at = now
            loaded.batch.remember(visit)


def assess(session: Session, visit: Visit, lead: Lead, *, now: datetime) -> None:
    """Assess one visit (see assess_many) and flush it with its verdict."""
    assess_many(session, [(visit, lead)], now=now)
    session.flush()
