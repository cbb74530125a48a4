"""Location retention, access audit and export.

- Retention: fixes, tracks and device location evidence older than the retention period
  (default 180 days) are removed from visits, which keep their verdict, times and customer;
  photos of those visits lose their EXIF GPS and their stored file. Photo files no row
  refers to (an upload whose transaction failed after writing its file) are swept too.
- Audit: every map view records, per person whose visits or track it returned, who looked,
  when and with which filter; people can read who viewed their data.
- Export: a person can download their own location data as JSON or GeoJSON.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.db import utcnow
from app.org.scope import Principal
from app.privacy.models import LocationAccess
from app.visits.models import Visit, VisitPhoto
from app.visits.photos import TEMP_PREFIX

# sa.null(), not None: a JSON column would store None as the JSON text 'null'.
LOCATION_COLUMNS = dict.fromkeys(
    (
        "lat",
        "lon",
        "geom",
        "raw_lat",
        "raw_lon",
        "datum",
        "accuracy_m",
        "fix_time",
        "checkin_fix",
        "evidence",
        "checkout_fix",
        "payload_hash",
        "capture_elapsed_ms",
        "capture_boot_count",
        "upload_elapsed_ms",
        "upload_boot_count",
    ),
    sa.null(),
)


def record_access(
    session: Session,
    principal: Principal,
    *,
    subjects: Iterable[int],
    what: str,
    filters: dict[str, Any],
    now: datetime | None = None,
) -> None:
    """Audit that the principal viewed these people's location data."""
    now = now or utcnow()
    clean = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in filters.items()}
    session.add_all(
        LocationAccess(
            viewer_id=principal.staff_id, subject_id=subject, what=what, filter=clean, at=now
        )
        for subject in sorted(set(subjects))
    )
    session.flush()


def access_log(session: Session, *, subject_id: int, limit: int = 200) -> list[LocationAccess]:
    """Who viewed this person's location data, newest first."""
    stmt = sa.select(LocationAccess).where(LocationAccess.subject_id == subject_id)
    return list(session.scalars(stmt.order_by(LocationAccess.at.desc()).limit(limit)))


def purge(
    session: Session,
    *,
    retention_days: int,
    photo_root: Path,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    batch: int = 500,
) -> tuple[int, int]:
    """Remove location evidence older than the retention period; (visits, photos) purged.

    Idempotent and safe to run twice at once: each batch only touches rows that still hold
    location data, and a file is deleted only when no remaining row points at it.
    """
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    visits = photos = 0
    while True:
        ids = list(
            session.scalars(
                sa.select(Visit.id)
                .where(
                    Visit.visited_at < cutoff,
                    sa.or_(
                        Visit.lat.is_not(None),
                        Visit.evidence.is_not(None),
                        Visit.checkout_fix.is_not(None),
                    ),
                )
                .limit(batch)
            )
        )
        if not ids:
            break
        session.execute(sa.update(Visit).where(Visit.id.in_(ids)).values(**LOCATION_COLUMNS))
        visits += len(ids)
        photos += _purge_photos(session, visit_ids=ids, photo_root=photo_root)
        session.flush()
        if progress is not None:
            progress(len(ids))
    return visits, photos


def _purge_photos(session: Session, *, visit_ids: list[str], photo_root: Path) -> int:
    rows = session.execute(
        sa.select(VisitPhoto.id, VisitPhoto.storage_path).where(VisitPhoto.visit_id.in_(visit_ids))
    ).all()
    if not rows:
        return 0
    session.execute(
        sa.update(VisitPhoto)
        .where(VisitPhoto.visit_id.in_(visit_ids))
        .values(exif_lat=None, exif_lon=None, storage_path=None)
    )
    session.flush()
    for path in {p for _, p in rows if p}:
        still_used = session.scalar(
            sa.select(sa.func.count()).where(VisitPhoto.storage_path == path)
        )
        if not still_used:
            with contextlib.suppress(FileNotFoundError):
                os.remove(photo_root / path)
    return len(rows)


ORPHAN_GRACE = timedelta(days=1)  # an upload in flight wrote its file moments ago
PATHS_PER_QUERY = 500


def sweep_orphan_files(
    session: Session,
    *,
    photo_root: Path,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Delete photo files no visit photo refers to; returns how many were removed.

    They are left by an upload whose transaction failed after its file was written, or by a
    crash mid-write (a `.upload-*` temp file); with the photo's EXIF GPS in them, retention
    must not miss them. Only files untouched for ORPHAN_GRACE go: an upload in flight wrote
    its file moments ago, and `photos.store` touches a file it stores again. `progress`
    gets 1 per folder (`ab/`) done.
    """
    cutoff = ((now or utcnow()) - ORPHAN_GRACE).timestamp()
    removed = 0
    for folder in photo_folders(photo_root):
        old = [e.name for e in os.scandir(folder) if e.is_file() and e.stat().st_mtime < cutoff]
        stored = [f"{folder.name}/{name}" for name in old if not name.startswith(TEMP_PREFIX)]
        used: set[str] = set()
        for start in range(0, len(stored), PATHS_PER_QUERY):
            chunk = stored[start : start + PATHS_PER_QUERY]
            used.update(
                session.scalars(
                    sa.select(VisitPhoto.storage_path).where(VisitPhoto.storage_path.in_(chunk))
                )
            )
        for name in old:
            if f"{folder.name}/{name}" not in used:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(folder / name)
                    removed += 1
        if progress is not None:
            progress(1)
    return removed


def photo_folders(photo_root: Path) -> list[Path]:
    """The photo store's folders (`ab/`, by the files' SHA-256), none when there is no store."""
    if not photo_root.is_dir():
        return []
    return sorted(p for p in photo_root.iterdir() if p.is_dir())


def export_own(session: Session, principal: Principal, *, geojson: bool) -> dict[str, Any]:
    """Everything the server holds about the caller's location, as JSON or GeoJSON."""
    visits = session.scalars(
        sa.select(Visit).where(Visit.rep_id == principal.staff_id).order_by(Visit.visited_at)
    ).all()
    records = [
        {
            "visit_id": v.id,
            "lead_id": v.lead_id,
            "visited_at": v.visited_at.isoformat(),
            "captured_at": v.captured_at.isoformat(),
            "received_at": v.received_at.isoformat(),
            "lat": v.lat,
            "lon": v.lon,
            "raw_lat": v.raw_lat,
            "raw_lon": v.raw_lon,
            "datum": v.datum,
            "accuracy_m": v.accuracy_m,
            "fix_time": v.fix_time.isoformat() if v.fix_time else None,
            "checkin_fix": v.checkin_fix,
            "checkout_fix": v.checkout_fix,
            "evidence": v.evidence,
            "checked_out_at": v.checked_out_at.isoformat() if v.checked_out_at else None,
            "location_collected": v.location_collected,
            "location_not_collected_reason": v.location_not_collected_reason,
            "verdict": v.final_verdict,
        }
        for v in visits
    ]
    if not geojson:
        return {
            "staff_id": principal.staff_id,
            "exported_at": utcnow().isoformat(),
            "visits": records,
        }
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]}
                if r["lat"] is not None
                else None,
                "properties": {k: v for k, v in r.items() if k not in ("lat", "lon")},
            }
            for r in records
        ],
    }
