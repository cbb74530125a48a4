"""Operator jobs started twice at once (an overlapping cron run, a retried deploy hook): both
processes exit cleanly and the outcome equals one run."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db import utcnow
from app.leads.models import Lead, LeadOwnerEvent
from app.territories.models import Territory
from app.visits import photos
from app.visits.models import Visit, VisitPhoto
from tests.factories_geo import box
from tests.faults.conftest import Field
from tests.faults.support import ROOT, jpeg, server_env

pytestmark = pytest.mark.slow


def run_twice(settings: Settings, tmp: Path, *args: str) -> list[subprocess.CompletedProcess]:
    """Start `flask --app wsgi ARGS` in two processes at the same moment; wait for both."""
    env = server_env(settings, tmp)
    procs = [
        subprocess.Popen(  # noqa: S603 (our interpreter, our CLI)
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    for result in done:
        assert result.returncode == 0, f"{result.stdout}\n{result.stderr[-3000:]}"
        assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return done


def _number(output: str, before: str) -> int:
    """The integer printed right after `before` in a job's last line."""
    return int(output.rsplit(before, 1)[1].split()[0])


def test_leads_recycle_twice_at_once_recycles_each_lead_once(
    settings: Settings,
    field_org: Field,
    committed: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    long_ago = utcnow() - timedelta(days=400)
    with committed() as session:
        leads = session.scalars(sa.select(Lead).where(Lead.territory_id.is_not(None))).all()
        owned = [lead.id for lead in leads]
        for lead in leads:
            lead.owner_id, lead.claimed_at = field_org.rep_ids[0], long_ago
        session.commit()

    runs = run_twice(settings, tmp_path, "leads", "recycle")

    assert sum(_number(r.stdout, "recycled") for r in runs) == len(owned)
    with committed() as session:
        assert (
            session.scalar(
                sa.select(sa.func.count()).where(Lead.id.in_(owned), Lead.owner_id.is_not(None))
            )
            == 0
        )
        events = session.scalars(
            sa.select(LeadOwnerEvent.lead_id).where(LeadOwnerEvent.reason == "recycle")
        ).all()
    assert sorted(events) == sorted(owned)  # one recycle event per lead, not two


def test_privacy_purge_twice_at_once_purges_once_and_removes_each_file(
    settings: Settings,
    field_org: Field,
    committed: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    lead_id, lat, lon = field_org.leads[0]
    root = settings.photo_dir
    old = utcnow() - timedelta(days=400)
    files = []
    with committed() as session:
        for n in range(30):
            session.add(_old_visit(f"purge-{n}", field_org, lead_id, lat, lon, old))
        session.flush()
        for n in range(10):
            data = jpeg(100 + n)
            path = photos.store(root, data, photos.JPEG)
            files.append(root / path)
            session.add(
                VisitPhoto(
                    id=f"purge-photo-{n}",
                    visit_id=f"purge-{n}",
                    rep_id=field_org.rep_ids[0],
                    lead_id=lead_id,
                    sha256=f"{n:064x}",
                    source="camera",
                    content_type="image/jpeg",
                    size_bytes=len(data),
                    width=96,
                    height=72,
                    storage_path=path,
                    exif_lat=lat,
                    exif_lon=lon,
                )
            )
        session.commit()

    runs = run_twice(settings, tmp_path, "privacy", "purge")

    outputs = " / ".join(r.stdout.strip().splitlines()[-1] for r in runs)
    assert max(_number(r.stdout, "location data of") for r in runs) == 30, outputs
    with committed() as session:
        assert (
            session.scalar(
                sa.select(sa.func.count()).where(Visit.id.like("purge-%"), Visit.lat.is_not(None))
            )
            == 0
        )
        kept = session.scalars(sa.select(Visit.verdict).where(Visit.id.like("purge-%"))).all()
        assert kept == ["verified"] * 30  # visits keep their verdict
        assert (
            session.scalar(sa.select(sa.func.count()).where(VisitPhoto.storage_path.is_not(None)))
            == 0
        )
    assert [f for f in files if f.exists()] == []


def _old_visit(
    visit_id: str, field: Field, lead_id: str, lat: float, lon: float, at: object
) -> Visit:
    from app.spatial import point

    return Visit(
        id=visit_id,
        rep_id=field.rep_ids[0],
        lead_id=lead_id,
        org_node_id=field.node_ids["e1"],
        device_id="phone",
        visited_at=at,
        captured_at=at,
        received_at=at,
        lat=lat,
        lon=lon,
        geom=point(lon, lat),
        raw_lat=lat,
        raw_lon=lon,
        datum="wgs84",
        accuracy_m=10,
        fix_time=at,
        checkin_fix={"lat": lat},
        evidence={"series": []},
        payload_hash="x" * 64,
        verdict="verified",
        score=100,
        findings=[],
    )


def test_territories_import_twice_at_once_imports_once(
    settings: Settings,
    field_org: Field,
    committed: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    with committed() as session:
        before = session.scalar(sa.select(sa.func.count()).select_from(Territory))
    west = field_org.node_ids["w"]
    features = [
        {
            "type": "Feature",
            "geometry": box(121.30 + 0.01 * c, 31.20, 121.31 + 0.01 * c, 31.21),
            "properties": {"name": f"Imported {c}", "org_node_id": west},
        }
        for c in range(8)
    ]
    source = tmp_path / "cells.geojson"
    source.write_text(json.dumps({"type": "FeatureCollection", "features": features}))

    runs = run_twice(settings, tmp_path, "territories", "import", str(source))

    with committed() as session:
        names = session.scalars(
            sa.select(Territory.name).where(Territory.name.like("Imported %"))
        ).all()
        total = session.scalar(sa.select(sa.func.count()).select_from(Territory))
    assert sorted(names) == sorted(f["properties"]["name"] for f in features), [
        r.stdout for r in runs
    ]
    assert total == before + len(features)
