"""Retention purge, the map access audit, and a person's own location export."""

import os
from datetime import timedelta

import pytest

from app.db import utcnow
from app.privacy import service as privacy
from app.privacy.models import LocationAccess
from app.spatial import point
from app.visits import photos
from app.visits.models import Visit, VisitPhoto
from tests.factories import auth_header
from tests.factories_geo import IN_E1, make_geo_org, make_lead


def make_visit(db, rep, lead, *, days_ago, visit_id):
    at = utcnow() - timedelta(days=days_ago)
    visit = Visit(
        id=visit_id,
        rep_id=rep.id,
        lead_id=lead.id,
        org_node_id=rep.org_node_id,
        territory_id=lead.territory_id,
        device_id="dev",
        visited_at=at,
        captured_at=at,
        received_at=at,
        lat=lead.lat,
        lon=lead.lon,
        geom=point(lead.lon, lead.lat),
        raw_lat=lead.lat,
        raw_lon=lead.lon,
        datum="wgs84",
        accuracy_m=10,
        fix_time=at,
        checkin_fix={"lat": lead.lat},
        evidence={"series": []},
        payload_hash="x" * 64,
        verdict="verified",
        score=100,
        findings=[],
    )
    db.add(visit)
    db.flush()
    return visit


def make_photo(db, visit, photo_id, storage_path, **exif):
    photo = VisitPhoto(
        id=photo_id,
        visit_id=visit.id,
        rep_id=visit.rep_id,
        lead_id=visit.lead_id,
        sha256=photo_id.ljust(64, "0")[:64],
        source="camera",
        content_type="image/jpeg",
        size_bytes=4,
        width=1,
        height=1,
        storage_path=storage_path,
        **exif,
    )
    db.add(photo)
    db.flush()
    return photo


@pytest.fixture
def org(db):
    org = make_geo_org(db)
    org.lead = make_lead(db, *IN_E1)
    return org


def test_purge_removes_old_location_evidence_and_keeps_the_visit(db, org, tmp_path):
    rep = org["rep_e1"]
    old = make_visit(db, rep, org.lead, days_ago=200, visit_id="old-visit")
    make_visit(db, rep, org.lead, days_ago=10, visit_id="new-visit")
    stored = tmp_path / "ab" / "photo.jpg"
    stored.parent.mkdir()
    stored.write_bytes(b"jpeg")
    make_photo(db, old, "p1", "ab/photo.jpg", exif_lat=31.0, exif_lon=121.0)
    assert privacy.purge(db, retention_days=180, photo_root=tmp_path) == (1, 1)
    db.expire_all()
    purged, kept = db.get(Visit, "old-visit"), db.get(Visit, "new-visit")
    assert (purged.lat, purged.geom, purged.checkin_fix, purged.evidence) == (
        None,
        None,
        None,
        None,
    )
    assert (purged.verdict, purged.lead_id) == ("verified", org.lead.id)
    assert kept.lat is not None
    photo = db.get(VisitPhoto, "p1")
    assert (photo.exif_lat, photo.storage_path) == (None, None)
    assert not stored.exists()
    assert privacy.purge(db, retention_days=180, photo_root=tmp_path) == (0, 0)  # idempotent


def _photo_file(root, relative, *, days_old):
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"jpeg")
    at = (utcnow() - timedelta(days=days_old)).timestamp()
    os.utime(path, (at, at))
    return path


def test_the_sweep_removes_old_photo_files_no_visit_refers_to(db, org, tmp_path):
    """Files of uploads whose transaction failed (and crashed temp files) carry EXIF GPS too:
    the sweep removes them once a day old; files in use, or young, stay."""
    visit = make_visit(db, org["rep_e1"], org.lead, days_ago=3, visit_id="visit-with-photo")
    referred = _photo_file(tmp_path, "ab/referred.jpg", days_old=3)
    orphan = _photo_file(tmp_path, "ab/orphan.jpg", days_old=2)
    crashed = _photo_file(tmp_path, "ab/.upload-k2j4.part", days_old=2)
    in_flight = _photo_file(tmp_path, "cd/in-flight.jpg", days_old=0)
    make_photo(db, visit, "p-referred", "ab/referred.jpg")
    folders = []
    assert privacy.sweep_orphan_files(db, photo_root=tmp_path, progress=folders.append) == 2
    assert (referred.exists(), orphan.exists(), crashed.exists(), in_flight.exists()) == (
        True,
        False,
        False,
        True,
    )
    assert folders == [1, 1]
    assert privacy.sweep_orphan_files(db, photo_root=tmp_path) == 0
    assert privacy.sweep_orphan_files(db, photo_root=tmp_path / "missing") == 0


def test_storing_a_photo_again_makes_its_file_young(tmp_path):
    """A file stored again is touched, so a sweep cannot take it from a new upload."""
    data = b"\xff\xd8\xff the same bytes twice"
    relative = photos.store(tmp_path, data, photos.JPEG)
    os.utime(tmp_path / relative, (0, 0))  # stored long ago
    assert photos.store(tmp_path, data, photos.JPEG) == relative
    assert (tmp_path / relative).stat().st_mtime > utcnow().timestamp() - 60


def test_viewing_the_map_is_audited_per_person_shown(client, db, org):
    make_visit(db, org["rep_e1"], org.lead, days_ago=0, visit_id="today")
    db.commit()
    headers = auth_header(client, org["lead_e1"])
    assert client.get("/api/v1/visits/map", headers=headers).status_code == 200
    entry = db.query(LocationAccess).one()
    assert (entry.viewer_id, entry.subject_id, entry.what) == (
        org["lead_e1"].id,
        org["rep_e1"].id,
        "visit_map",
    )
    seen = client.get("/api/v1/me/location-access", headers=auth_header(client, org["rep_e1"]))
    assert seen.get_json()[0]["viewer_id"] == org["lead_e1"].id


def test_a_rep_exports_only_their_own_location_data(client, db, org):
    make_visit(db, org["rep_e1"], org.lead, days_ago=1, visit_id="mine")
    make_visit(db, org["rep_e1b"], org.lead, days_ago=1, visit_id="theirs")
    db.commit()
    headers = auth_header(client, org["rep_e1"])
    body = client.get("/api/v1/me/location-export", headers=headers).get_json()
    assert [v["visit_id"] for v in body["visits"]] == ["mine"]
    geo = client.get("/api/v1/me/location-export?format=geojson", headers=headers).get_json()
    assert geo["features"][0]["geometry"]["coordinates"] == [org.lead.lon, org.lead.lat]
    bad = client.get("/api/v1/me/location-export?format=kml", headers=headers)
    assert bad.status_code == 422
