"""What the spoof checks compare a visit with, loaded from the database set-based.

For a batch of visits (a sync push: a thousand offline check-ins) `load` reads each rep's
check-ins around them, the device's latest upload, payloads seen before, other reps'
check-ins nearby and the visits' photos with a few statements, not a few per visit. A push
keeps what it loaded for all its visits (`batch`): each visit assessed joins the copy, so
later ones see it as if it had been stored before them. app/visits/assessment.py turns this
into the checks' pure inputs (geo/spoof) and stores the verdicts.
"""

from __future__ import annotations

import bisect
import functools
import operator
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
from app.visits.models import NewVisit, Visit, VisitPhoto
from geo import spoof
from sync.params import in_values, json_rows

AnyVisit = Visit | NewVisit  # a stored visit, or one a bulk check-in is about to insert
DAY = timedelta(hours=24)
HISTORY = timedelta(days=30)
PHOTO_HISTORY = timedelta(days=180)
PEER_RADIUS_M = 100.0


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


def _summary(row: Any) -> spoof.VisitSummary:
    """A located row of SUMMARY_COLUMNS as the checks' summary."""
    return spoof.VisitSummary(
        visit_id=row.id,
        rep_id=str(row.rep_id),
        lat=row.lat,
        lon=row.lon,
        fix_time=row.fix_time or row.visited_at,
        checked_in_at=row.captured_at,
        accuracy_m=row.accuracy_m,
        checked_out_at=row.checked_out_at,
    )


def _summaries(rows: Any) -> list[spoof.VisitSummary]:
    """Rows of SUMMARY_COLUMNS as the checks' summaries; visits without a location drop out."""
    return [_summary(row) for row in rows if row.lat is not None and row.lon is not None]


def device_ids(
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
BATCH_MARGIN = timedelta(days=1)  # history loaded beyond the batch's window, for later visits
RECENT_LIMIT = 300
PROBES_PER_STATEMENT = 1_000  # peer search boxes per statement
PROBE_COLUMNS = (
    ("n", sa.Integer()),
    ("rep_id", sa.Integer()),
    *((bound, sa.Float()) for bound in ("x0", "y0", "x1", "y1")),
    ("since", sa.DateTime(timezone=True)),
    ("until", sa.DateTime(timezone=True)),
)
_when = operator.itemgetter(0)
_row_key = operator.attrgetter("visited_at", "id")


def _swap(key: tuple[datetime, str]) -> tuple[str, datetime]:
    return key[1], key[0]


@dataclass
class _History:
    """A rep's check-ins over [start, end], ordered by visit time; a batch keeps it current.

    Complete over [start, end], and before `start` the latest RECENT_LIMIT of the HISTORY
    before it: enough for the day around any visit a day inside the window and for its
    latest history. `keys` (visited_at, id) and `summaries` are parallel sorted lists, so both
    are slices found by bisection.
    """

    start: datetime
    end: datetime
    keys: list[tuple[datetime, str]] = field(default_factory=list)
    summaries: list[spoof.VisitSummary] = field(default_factory=list)
    when: dict[str, datetime] = field(default_factory=dict)  # visit id -> visited_at

    @classmethod
    def of_rows(cls, start: datetime, end: datetime, rows: Any) -> _History:
        """Rows of (visited_at, *SUMMARY_COLUMNS); a visit listed twice counts once."""
        located = {row.id: row for row in rows if row.lat is not None and row.lon is not None}
        ordered = sorted(located.values(), key=_row_key)
        keys = [(row.visited_at, row.id) for row in ordered]
        return cls(start, end, keys, [_summary(row) for row in ordered], dict(map(_swap, keys)))

    def covers(self, start: datetime, end: datetime) -> bool:
        return self.start <= start and end <= self.end

    def put(self, visit: AnyVisit) -> None:
        """Add, move or drop (no location) the visit's summary."""
        old = self.when.pop(visit.id, None)
        if old is not None:
            i = bisect.bisect_left(self.keys, (old, visit.id))
            del self.keys[i], self.summaries[i]
        summaries = _summaries([visit])
        if summaries and self.start <= visit.visited_at <= self.end:
            key = (visit.visited_at, visit.id)
            i = bisect.bisect_left(self.keys, key)
            self.keys.insert(i, key)
            self.summaries.insert(i, summaries[0])
            self.when[visit.id] = visit.visited_at

    def around(
        self, visit_id: str, at: datetime
    ) -> tuple[tuple[spoof.VisitSummary, ...], tuple[spoof.VisitSummary, ...]]:
        """Other check-ins within a day of `at`, and the latest 300 of the 30 days before."""
        keys, summaries = self.keys, self.summaries
        lo = bisect.bisect_left(keys, at - HISTORY, key=_when)
        hi = bisect.bisect_right(keys, at + DAY, key=_when)
        day_lo = bisect.bisect_left(keys, at - DAY, lo, hi, key=_when)
        day = summaries[day_lo:hi]
        recent = summaries[max(lo, hi - RECENT_LIMIT - 1) : hi]
        recent.reverse()
        if visit_id in self.when:  # a stored visit assessed again: not its own neighbour
            day = [s for s in day if s.visit_id != visit_id]
            recent = [s for s in recent if s.visit_id != visit_id]
        return tuple(day), tuple(recent[:RECENT_LIMIT])


@dataclass
class _Batch:
    """What an assessment run has loaded; a push keeps one for all its visits.

    Histories and each device's latest upload are kept current as visits are assessed;
    payload hashes seen grow the same way; device bindings do not change during a push.
    """

    persistent: bool = False
    histories: dict[int, _History] = field(default_factory=dict)
    devices: dict[tuple[str, Any], frozenset[str]] = field(default_factory=dict)
    uploads: dict[str, spoof.DeviceUpload | None] = field(default_factory=dict)
    payloads: dict[str, list[str]] = field(default_factory=dict)  # hash -> visit ids, oldest first

    def remember(self, visit: AnyVisit) -> None:
        """Make a visit just assessed part of what later visits are compared with."""
        held = self.histories.get(visit.rep_id)
        if held is not None:
            held.put(visit)
        if visit.payload_hash and visit.payload_hash in self.payloads:
            seen = self.payloads[visit.payload_hash]
            if visit.id not in seen:
                seen.append(visit.id)
        if visit.upload_elapsed_ms is not None and visit.upload_boot_count is not None:
            self.uploads[visit.device_id] = spoof.DeviceUpload(
                elapsed_ms=visit.upload_elapsed_ms,
                boot_count=visit.upload_boot_count,
                received_at=visit.received_at,
            )


def _batch(session: Session) -> _Batch | None:
    return session.info.get(BATCH_KEY)


@contextmanager
def batch(session: Session) -> Iterator[None]:
    """Assess many check-ins in one session (a sync push) against context loaded once.

    Inside the block each rep's check-ins are read once, with a margin, and every visit
    assessed here joins that copy (and the payloads seen, and its device's latest upload), so
    each later visit still sees the earlier ones. Checks see what one-by-one assessment would
    load; only the number of queries changes.
    """
    session.info[BATCH_KEY] = _Batch(persistent=True)
    try:
        yield
    finally:
        session.info.pop(BATCH_KEY, None)


def invalidate(session: Session) -> None:
    """Drop the batch's copies (a savepoint was rolled back); the next visit reloads them."""
    if BATCH_KEY in session.info:
        session.info[BATCH_KEY] = _Batch(persistent=True)


@functools.cache
def _statements(dialect: str) -> dict[str, Any]:
    """The context queries, built once per dialect with bind parameters (building a statement
    cost about as much as running it)."""
    visit_id, rep_id = sa.bindparam("visit_id"), sa.bindparam("rep_id")
    mine = sa.select(Visit.visited_at, *SUMMARY_COLUMNS).where(Visit.rep_id == rep_id)
    return {
        "photos": sa.select(VisitPhoto).where(in_values(dialect, VisitPhoto.visit_id, "visit_ids")),
        "window": mine.where(Visit.visited_at.between(sa.bindparam("start"), sa.bindparam("end"))),
        "before": mine.where(
            Visit.visited_at >= sa.bindparam("since"), Visit.visited_at < sa.bindparam("start")
        )
        .order_by(Visit.visited_at.desc())
        .limit(RECENT_LIMIT),
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
        "payloads": sa.select(Visit.payload_hash, Visit.id)
        .where(
            in_values(dialect, Visit.payload_hash, "hashes"),
            in_values(dialect, Visit.id, "visit_ids", negate=True),
        )
        .order_by(Visit.received_at, Visit.id),
        "previous_upload": sa.select(
            Visit.upload_elapsed_ms, Visit.upload_boot_count, Visit.received_at
        )
        .where(
            Visit.device_id == sa.bindparam("device_id"),
            in_values(dialect, Visit.id, "visit_ids", negate=True),
            Visit.received_at <= sa.bindparam("received_at"),
            Visit.upload_elapsed_ms.is_not(None),
            Visit.upload_boot_count.is_not(None),
        )
        .order_by(Visit.received_at.desc())
        .limit(1),
    }


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _load_histories(session: Session, loaded: _Batch, visits: list[AnyVisit]) -> None:
    """Each rep's check-ins from a day before its first visit to a day after its last, and the
    latest RECENT_LIMIT before that (unless the batch holds them); a batch that is kept for a
    whole push loads a margin more, for the visits it will be asked about next."""
    statements = _statements(_dialect(session))
    for rep_id in {v.rep_id for v in visits}:
        times = [v.visited_at for v in visits if v.rep_id == rep_id]
        start, end = min(times) - DAY, max(times) + DAY
        held = loaded.histories.get(rep_id)
        if held is not None and held.covers(start, end):
            continue
        if held is not None:
            start, end = min(start, held.start), max(end, held.end)
        if loaded.persistent:
            start, end = start - BATCH_MARGIN, end + BATCH_MARGIN
        params = {"rep_id": rep_id, "start": start, "end": end, "since": start - HISTORY}
        rows = [
            *session.execute(statements["window"], params),
            *session.execute(statements["before"], params),
        ]
        loaded.histories[rep_id] = _History.of_rows(start, end, rows)


def _load_uploads(session: Session, loaded: _Batch, visits: list[AnyVisit]) -> None:
    """Each device's latest upload before these visits, unless the batch already knows it."""
    statement = _statements(_dialect(session))["previous_upload"]
    ids = [v.id for v in visits]
    for device_id in {v.device_id for v in visits} - loaded.uploads.keys():
        received = max(v.received_at for v in visits if v.device_id == device_id)
        row = session.execute(
            statement, {"device_id": device_id, "visit_ids": ids, "received_at": received}
        ).first()
        loaded.uploads[device_id] = (
            spoof.DeviceUpload(
                elapsed_ms=row.upload_elapsed_ms,
                boot_count=row.upload_boot_count,
                received_at=row.received_at,
            )
            if row is not None
            else None
        )


def _load_payloads(session: Session, loaded: _Batch, visits: list[AnyVisit]) -> None:
    """Visits already stored with the same location evidence hash, oldest first."""
    wanted = sorted({v.payload_hash for v in visits if v.payload_hash} - loaded.payloads.keys())
    statement = _statements(_dialect(session))["payloads"]
    ids = [v.id for v in visits]
    for chunk in _chunks(wanted, PROBES_PER_STATEMENT):
        loaded.payloads.update({h: [] for h in chunk})
        for digest, visit_id in session.execute(statement, {"hashes": chunk, "visit_ids": ids}):
            loaded.payloads[digest].append(visit_id)


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _peers(session: Session, visits: list[AnyVisit]) -> dict[str, list[spoof.VisitSummary]]:
    """Other reps' check-ins within a day and PEER_RADIUS_M of each located visit.

    One statement per thousand visits: their search boxes and day windows, sent as one JSON
    parameter, each joined with visits through the spatial index (on PostgreSQL the (geom,
    visited_at) index takes both). The window is the probe's own, not the batch's span: a
    condition the probes share would let the planner scan that span once and compare it with
    every probe, which grows with the number of visits in it.
    """
    dialect = _dialect(session)
    found: dict[str, list[spoof.VisitSummary]] = {}
    located = [v for v in visits if v.lat is not None and v.lon is not None]
    for chunk in _chunks(located, PROBES_PER_STATEMENT):
        boxes = [
            (
                n,
                visit.rep_id,
                *spatial.bbox_around(visit.lat, visit.lon, PEER_RADIUS_M),
                (visit.visited_at - DAY).isoformat(),
                (visit.visited_at + DAY).isoformat(),
            )
            for n, visit in enumerate(chunk)
        ]
        probes = json_rows(dialect, "probes", PROBE_COLUMNS, boxes)
        box = (probes.c.x0, probes.c.y0, probes.c.x1, probes.c.y1)
        stmt = sa.select(probes.c.n, *SUMMARY_COLUMNS).join_from(
            probes,
            Visit,
            sa.and_(
                spatial.in_bbox(dialect, Visit.__table__, box),  # type: ignore[arg-type]
                Visit.visited_at.between(probes.c.since, probes.c.until),
                Visit.rep_id != probes.c.rep_id,
            ),
        )
        for row in session.execute(stmt):
            found.setdefault(chunk[row.n].id, []).extend(_summaries([row]))
    return found


@dataclass(frozen=True)
class Loaded:
    """What `load` read for a batch of visits (see there)."""

    batch: _Batch
    peers: dict[str, list[spoof.VisitSummary]]  # visit id -> other reps' check-ins nearby
    photos: dict[str, list[VisitPhoto]]  # visit id -> its photos

    def seen_payload(self, visit: AnyVisit) -> dict[str, str]:
        """{payload hash: the first other visit sent with it}, or empty."""
        same = self.batch.payloads.get(visit.payload_hash or "", [])
        seen = [vid for vid in same if vid != visit.id]
        return {visit.payload_hash: seen[0]} if seen and visit.payload_hash else {}


def load(session: Session, visits: list[AnyVisit]) -> Loaded:
    """The context of located visits: their reps' histories, devices' latest uploads and the
    payloads seen (kept in the session's batch when there is one), other reps' check-ins
    nearby and their photos. A visit already stored (assessed again) is never its own
    neighbour, payload twin or previous upload."""
    loaded = _batch(session) or _Batch()
    _load_histories(session, loaded, visits)
    _load_uploads(session, loaded, visits)
    _load_payloads(session, loaded, visits)
    return Loaded(loaded, _peers(session, visits), photos_of(session, [v.id for v in visits]))


def photos_of(session: Session, visit_ids: list[str]) -> dict[str, list[VisitPhoto]]:
    """The photos of each visit (an empty list for a visit without any)."""
    photos: dict[str, list[VisitPhoto]] = {visit_id: [] for visit_id in visit_ids}
    if visit_ids:
        statement = _statements(_dialect(session))["photos"]
        for photo in session.scalars(statement, {"visit_ids": visit_ids}):
            photos[photo.visit_id].append(photo)
    return photos


def known_photos(
    session: Session, visit: AnyVisit, lead: Lead, evidence: spoof.VisitEvidence
) -> tuple[spoof.KnownPhoto, ...]:
    """Photos of other visits this visit's photos may copy (none to compare: no query)."""
    if not evidence.photos:
        return ()
    rows = session.execute(
        _statements(_dialect(session))["known_photos"],
        {
            "visit_id": visit.id,
            "hashes": [photo.sha256 for photo in evidence.photos],
            "lead_id": lead.id,
            "rep_id": visit.rep_id,
            "photos_since": visit.visited_at - PHOTO_HISTORY,
        },
    )
    return tuple(
        spoof.KnownPhoto(visit_id=p.visit_id, rep_id=str(p.rep_id), sha256=p.sha256, phash=p.phash)
        for p in rows
    )
