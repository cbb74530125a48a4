"""Load what the spoof checks need around a visit, run geo.spoof.assess, store the verdict.

The checks are pure (geo/spoof); this module turns rows into their plain inputs:
the customer pin, the rep's day and recent history, other reps' check-ins nearby, known
photo hashes, payloads seen before, the device's previous upload and device bindings.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import spatial
from app.auth.models import Device
from app.leads.models import Lead
from app.visits.models import Visit, VisitPhoto
from geo import spoof
from geo.datums import Datum

DAY = timedelta(hours=24)
HISTORY = timedelta(days=30)
PHOTO_HISTORY = timedelta(days=180)
PEER_RADIUS_M = 100.0


def fix_from_json(data: dict[str, Any] | None) -> spoof.Fix | None:
    """A stored fix (JSON with ISO times) back into the pure dataclass."""
    if not data:
        return None
    values = dict(data)
    values["fix_time"] = datetime.fromisoformat(values["fix_time"])
    values["datum"] = Datum(values.get("datum") or "wgs84")
    return spoof.Fix(**values)


# Only the columns a summary needs: loading whole Visit rows (JSON fix, evidence and findings
# columns) for hundreds of neighbours per check-in dominated the cost of assessing a visit.
SUMMARY_COLUMNS = (
    Visit.id,
    Visit.rep_id,
    Visit.lat,
    Visit.lon,
    Visit.fix_time,
    Visit.visited_at,
    Visit.captured_at,
    Visit.accuracy_m,
    Visit.checked_out_at,
)


def _summaries(rows: Any) -> tuple[spoof.VisitSummary, ...]:
    """Rows of SUMMARY_COLUMNS as the checks' summaries; visits without a location drop out."""
    return tuple(
        spoof.VisitSummary(
            visit_id=row.id,
            rep_id=str(row.rep_id),
            lat=row.lat,
            lon=row.lon,
            fix_time=row.fix_time or row.visited_at,
            checked_in_at=row.captured_at,
            accuracy_m=row.accuracy_m,
            checked_out_at=row.checked_out_at,
        )
        for row in rows
        if row.lat is not None and row.lon is not None
    )


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


def _device_ids(
    session: Session, *, staff_id: int | None = None, device_id: str | None = None
) -> frozenset[str]:
    """Devices bound to `staff_id`, or staff bound to `device_id` (remembered in a batch)."""
    key = ("staff", staff_id) if staff_id is not None else ("device", device_id)
    loaded = _batch(session)
    if loaded is not None and key in loaded.devices:
        return loaded.devices[key]
    stmt = sa.select(Device.device_id if staff_id is not None else Device.staff_id).where(
        Device.unbound_at.is_(None)
    )
    if staff_id is not None:
        stmt = stmt.where(Device.staff_id == staff_id)
    else:
        stmt = stmt.where(Device.device_id == device_id)
    ids = frozenset(str(v) for v in session.scalars(stmt))
    if loaded is not None:
        loaded.devices[key] = ids
    return ids


BATCH_KEY = "waypoint.visits.assessment_batch"
BATCH_MARGIN = timedelta(days=7)  # history loaded beyond the first visit's window, for its peers
RECENT_LIMIT = 300


@dataclass
class _RepHistory:
    """One rep's check-ins over [start, end] as (visited_at, summary), kept current in a batch."""

    start: datetime
    end: datetime
    visits: dict[str, tuple[datetime, spoof.VisitSummary]] = field(default_factory=dict)


@dataclass
class _Batch:
    """What a batch has loaded: each rep's history, and device bindings (fixed during a push)."""

    histories: dict[int, _RepHistory] = field(default_factory=dict)
    devices: dict[tuple[str, Any], frozenset[str]] = field(default_factory=dict)


def _batch(session: Session) -> _Batch | None:
    return session.info.get(BATCH_KEY)


@contextmanager
def batch(session: Session) -> Iterator[None]:
    """Assess many check-ins in one session (a sync push) against history loaded once per rep.

    Inside the block the rep's own check-ins are read from the database once, with a margin,
    and every visit assessed here is added to (or updated in) that copy, so each later visit
    of the batch still sees the earlier ones. Checks see exactly what `context_of` would load
    row by row; only the number of queries changes.
    """
    session.info[BATCH_KEY] = _Batch()
    try:
        yield
    finally:
        session.info.pop(BATCH_KEY, None)


def _summary_query() -> sa.Select[Any]:
    return sa.select(*SUMMARY_COLUMNS)


@functools.cache
def _statements(dialect: str) -> dict[str, Any]:
    """The context queries run for every check-in, built once per dialect with bind parameters
    (building a statement cost about as much as running it)."""
    visit_id, rep_id = sa.bindparam("visit_id"), sa.bindparam("rep_id")
    box = tuple(sa.bindparam(k, type_=sa.Float) for k in ("x0", "y0", "x1", "y1"))
    return {
        "photos": sa.select(VisitPhoto).where(VisitPhoto.visit_id == visit_id),
        "peers": _summary_query().where(
            Visit.rep_id != rep_id,
            Visit.visited_at.between(sa.bindparam("day_start"), sa.bindparam("day_end")),
            spatial.in_bbox(dialect, Visit.__table__, box),  # type: ignore[arg-type]
        ),
        "known_photos": sa.select(
            VisitPhoto.visit_id, VisitPhoto.rep_id, VisitPhoto.sha256, VisitPhoto.phash
        )
        .where(
            VisitPhoto.visit_id != visit_id,
            sa.or_(
                VisitPhoto.sha256.in_(sa.bindparam("hashes", expanding=True)),
                sa.and_(
                    sa.or_(
                        VisitPhoto.lead_id == sa.bindparam("lead_id"),
                        VisitPhoto.rep_id == rep_id,
                    ),
                    VisitPhoto.uploaded_at >= sa.bindparam("photos_since"),
                ),
            ),
        )
        .limit(2_000),
        "payloads": sa.select(Visit.id, Visit.payload_hash)
        .where(Visit.payload_hash == sa.bindparam("payload_hash"), Visit.id != visit_id)
        .limit(5),
        "previous_upload": sa.select(
            Visit.upload_elapsed_ms, Visit.upload_boot_count, Visit.received_at
        )
        .where(
            Visit.device_id == sa.bindparam("device_id"),
            Visit.id != visit_id,
            Visit.received_at <= sa.bindparam("received_at"),
            Visit.upload_elapsed_ms.is_not(None),
            Visit.upload_boot_count.is_not(None),
        )
        .order_by(Visit.received_at.desc())
        .limit(1),
    }


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _history(session: Session, rep_id: int, start: datetime, end: datetime) -> _RepHistory | None:
    """The batch's copy of the rep's check-ins covering [start, end], loaded when missing."""
    loaded = _batch(session)
    if loaded is None:
        return None
    held = loaded.histories.get(rep_id)
    if held is not None and held.start <= start and end <= held.end:
        return held
    if held is not None:
        start, end = min(start, held.start), max(end, held.end)
    held = _RepHistory(start - BATCH_MARGIN, end + BATCH_MARGIN)
    rows = session.execute(
        sa.select(Visit.visited_at, *SUMMARY_COLUMNS).where(
            Visit.rep_id == rep_id, Visit.visited_at.between(held.start, held.end)
        )
    )
    for row in rows:
        for summary in _summaries([row]):
            held.visits[summary.visit_id] = (row.visited_at, summary)
    loaded.histories[rep_id] = held
    return held


def _remember(session: Session, visit: Visit) -> None:
    """Keep the batch's copy of the rep's history current with a visit just assessed."""
    loaded = _batch(session)
    held = loaded.histories.get(visit.rep_id) if loaded else None
    if held is None or not held.start <= visit.visited_at <= held.end:
        return
    summaries = _summaries([visit])
    if summaries:
        held.visits[visit.id] = (visit.visited_at, summaries[0])
    else:
        held.visits.pop(visit.id, None)


def invalidate(session: Session) -> None:
    """Drop the batch's copies (a savepoint was rolled back); the next visit reloads them."""
    if BATCH_KEY in session.info:
        session.info[BATCH_KEY] = _Batch()


def _own_visits(
    session: Session, visit: Visit
) -> tuple[tuple[spoof.VisitSummary, ...], tuple[spoof.VisitSummary, ...]]:
    """The rep's other check-ins: within a day of this one, and the latest 300 of 30 days."""
    at = visit.visited_at
    held = _history(session, visit.rep_id, at - HISTORY, at + DAY)
    if held is None:
        mine = _summary_query().where(Visit.rep_id == visit.rep_id, Visit.id != visit.id)
        day = session.execute(mine.where(Visit.visited_at.between(at - DAY, at + DAY)))
        recent = session.execute(
            mine.where(Visit.visited_at.between(at - HISTORY, at + DAY))
            .order_by(Visit.visited_at.desc())
            .limit(RECENT_LIMIT)
        )
        return _summaries(day), _summaries(recent)
    others = [(when, s) for vid, (when, s) in held.visits.items() if vid != visit.id]
    day_visits = tuple(s for when, s in others if at - DAY <= when <= at + DAY)
    window = sorted(
        ((when, s) for when, s in others if at - HISTORY <= when <= at + DAY),
        key=lambda pair: pair[0],
        reverse=True,
    )
    return day_visits, tuple(s for _when, s in window[:RECENT_LIMIT])


def evidence_of(session: Session, visit: Visit) -> spoof.VisitEvidence:
    """The visit as the pure evidence contract (photos included)."""
    extra = visit.evidence or {}
    photos = session.scalars(_statements(_dialect(session))["photos"], {"visit_id": visit.id})
    return spoof.VisitEvidence(
        visit_id=visit.id,
        rep_id=str(visit.rep_id),
        device_id=visit.device_id,
        captured_at=visit.captured_at,
        received_at=visit.received_at,
        checkin=fix_from_json(visit.checkin_fix),
        series=tuple(f for d in extra.get("series", []) if (f := fix_from_json(d))),
        rep_device_ids=_device_ids(session, staff_id=visit.rep_id),
        device_rep_ids=_device_ids(session, device_id=visit.device_id),
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


def context_of(session: Session, visit: Visit, lead: Lead) -> spoof.AssessmentContext:
    """Everything around the visit that the checks compare it with."""
    at = visit.visited_at
    statements = _statements(_dialect(session))
    day_visits, recent_visits = _own_visits(session, visit)
    peers: list[Any] = []
    if visit.lat is not None and visit.lon is not None:
        x0, y0, x1, y1 = spatial.bbox_around(visit.lat, visit.lon, PEER_RADIUS_M)
        peers = list(
            session.execute(
                statements["peers"],
                {
                    "rep_id": visit.rep_id,
                    "day_start": at - DAY,
                    "day_end": at + DAY,
                    "x0": x0,
                    "y0": y0,
                    "x1": x1,
                    "y1": y1,
                },
            )
        )
    evidence = evidence_of(session, visit)
    known = session.execute(
        statements["known_photos"],
        {
            "visit_id": visit.id,
            "hashes": [photo.sha256 for photo in evidence.photos] or [""],
            "lead_id": lead.id,
            "rep_id": visit.rep_id,
            "photos_since": at - PHOTO_HISTORY,
        },
    )
    seen = {}
    if visit.payload_hash:
        seen = {
            h: vid
            for vid, h in session.execute(
                statements["payloads"],
                {"payload_hash": visit.payload_hash, "visit_id": visit.id},
            )
        }
    previous = session.execute(
        statements["previous_upload"],
        {"device_id": visit.device_id, "visit_id": visit.id, "received_at": visit.received_at},
    ).first()
    return spoof.AssessmentContext(
        evidence=evidence,
        pin=spoof.Pin(lat=lead.lat, lon=lead.lon),
        day_visits=day_visits,
        recent_visits=recent_visits,
        peer_visits=_summaries(peers),
        known_photos=tuple(
            spoof.KnownPhoto(
                visit_id=p.visit_id, rep_id=str(p.rep_id), sha256=p.sha256, phash=p.phash
            )
            for p in known
        ),
        seen_payloads=seen,
        device_last_upload=(
            spoof.DeviceUpload(
                elapsed_ms=previous.upload_elapsed_ms,  # type: ignore[arg-type]
                boot_count=previous.upload_boot_count,  # type: ignore[arg-type]
                received_at=previous.received_at,
            )
            if previous
            else None
        ),
    )


def assess(session: Session, visit: Visit, lead: Lead, *, now: datetime) -> None:
    """Run every spoof check and store verdict, score and findings on the visit."""
    if not visit.location_collected:
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
    else:
        # Nothing pending changes what the context queries see (they exclude this visit), and
        # not flushing first lets a new visit be inserted once, verdict included.
        with session.no_autoflush:
            context = context_of(session, visit, lead)
        result = spoof.assess(context)
        visit.verdict, visit.score = result.verdict.value, result.score
        visit.findings = [f.to_dict() for f in result.findings]
    visit.assessed_at = now
    session.flush()
    _remember(session, visit)
