"""Visit photos: content sniffing, limits, EXIF, content-addressed storage, re-assessment."""

from __future__ import annotations

import errno
import hashlib
import io
import random
import struct
import zlib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from PIL import ExifTags, Image
from sqlalchemy.orm import Session, sessionmaker

from app import create_app
from app.config import Settings
from app.errors import PROBLEM_CONTENT_TYPE
from app.leads.models import Lead
from app.org.models import LocationConsent, Staff
from app.visits import photos
from app.visits.models import Visit, VisitPhoto
from tests.factories import auth_header
from tests.factories_geo import IN_E1, GeoOrg, make_geo_org, make_lead

ALL_DAY = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
EXIF_FORMAT = "%Y:%m:%d %H:%M:%S"


# -- images -------------------------------------------------------------------------------


def picture(seed: int, size: tuple[int, int] = (96, 64)) -> Image.Image:
    """A blocky random picture: distinct seeds give clearly different perceptual hashes."""
    rng = random.Random(seed)
    blocks = Image.new("L", (8, 8))
    blocks.putdata([rng.randrange(256) for _ in range(64)])
    return blocks.resize(size, Image.Resampling.NEAREST).convert("RGB")


def dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    return float(degrees), float(minutes), round(((value - degrees) * 60 - minutes) * 60, 4)


def exif_for(
    taken: datetime | str | None = None,
    offset: str | None = None,
    gps: tuple[float, float] | None = None,
) -> Image.Exif:
    exif = Image.Exif()
    if taken is not None:
        text = taken if isinstance(taken, str) else taken.strftime(EXIF_FORMAT)
        times: dict[int, Any] = {ExifTags.Base.DateTimeOriginal: text}
        if offset is not None:
            times[ExifTags.Base.OffsetTimeOriginal] = offset
        exif[ExifTags.IFD.Exif] = times
    if gps is not None:
        lat, lon = gps
        exif[ExifTags.IFD.GPSInfo] = {
            ExifTags.GPS.GPSLatitudeRef: "N" if lat >= 0 else "S",
            ExifTags.GPS.GPSLatitude: dms(abs(lat)),
            ExifTags.GPS.GPSLongitudeRef: "E" if lon >= 0 else "W",
            ExifTags.GPS.GPSLongitude: dms(abs(lon)),
        }
    return exif


def encode(image: Image.Image, fmt: str, exif: Image.Exif | None = None, **options: Any) -> bytes:
    buffer = io.BytesIO()
    if exif is not None:
        options["exif"] = exif
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def jpeg(seed: int = 1, **exif: Any) -> bytes:
    return encode(picture(seed), "JPEG", exif_for(**exif) if exif else None, quality=90)


def png_declaring(width: int, height: int) -> bytes:
    """A valid PNG header claiming width x height, with one tiny compressed row behind it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


# -- arrangement ---------------------------------------------------------------------------


@pytest.fixture
def photo_root(tmp_path: Path) -> Path:
    return tmp_path / "photos"


@pytest.fixture
def app(settings: Settings, sessions: sessionmaker[Session], photo_root: Path) -> Flask:
    return create_app(replace(settings, photo_root=str(photo_root)), sessions=sessions)


@pytest.fixture
def org(db: Session) -> GeoOrg:
    org = make_geo_org(db)
    for key in ("rep_e1", "rep_e1b"):
        rep = org[key]
        rep.working_hours, rep.timezone = ALL_DAY, "UTC"
        db.add(LocationConsent(staff_id=rep.id, document_version="v1", recorded_by_id=rep.id))
    db.flush()
    return org


@pytest.fixture
def lead(db: Session, org: GeoOrg) -> Lead:
    return make_lead(db, *IN_E1)


@pytest.fixture
def headers(client: FlaskClient) -> Callable[[Staff], dict[str, str]]:
    """`headers(staff)`: a token from the person's own device, logging in once per test."""
    cache: dict[int, dict[str, str]] = {}

    def get(staff: Staff) -> dict[str, str]:
        if staff.id not in cache:
            cache[staff.id] = auth_header(client, staff, device_id=f"device-{staff.id}")
        return cache[staff.id]

    return get


@pytest.fixture
def check_in(
    client: FlaskClient, headers: Callable[[Staff], dict[str, str]], lead: Lead
) -> Callable[..., dict[str, Any]]:
    """`check_in(rep, visit_id, north_m=30)`: an honest check-in near the lead, just now."""

    def run(rep: Staff, visit_id: str, north_m: float = 30.0) -> dict[str, Any]:
        now = datetime.now(UTC)
        captured = now - timedelta(minutes=1)
        body = {
            "id": visit_id,
            "lead_id": lead.id,
            "captured_at": captured.isoformat(),
            "upload_device_time": now.isoformat(),
            "fix": {
                "lat": lead.lat + north_m / 111_000,
                "lon": lead.lon,
                "accuracy_m": 12.0,
                "provider": "gps",
                "satellites": 9,
                "fix_time": captured.isoformat(),
            },
        }
        response = client.post("/api/v1/visits", json=body, headers=headers(rep))
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return run


@pytest.fixture
def upload(client: FlaskClient, headers: Callable[[Staff], dict[str, str]]) -> Callable[..., Any]:
    """`upload(rep, visit_id, data, photo_id=..., source=..., filename=...)` → response."""

    def run(
        rep: Staff,
        visit_id: str,
        data: bytes,
        *,
        photo_id: str = "P1",
        source: str | None = "camera",
        filename: str = "photo.jpg",
        mimetype: str = "image/jpeg",
        **form: str,
    ) -> Any:
        fields: dict[str, Any] = {"photo_id": photo_id, **form}
        if source is not None:
            fields["source"] = source
        fields["file"] = (io.BytesIO(data), filename, mimetype)
        return client.post(
            f"/api/v1/visits/{visit_id}/photos",
            data=fields,
            headers=headers(rep),
            content_type="multipart/form-data",
        )

    return run


def captured_at(visit: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(visit["captured_at"])


def codes(body: dict[str, Any]) -> set[str]:
    return {finding["code"] for finding in body["findings"]}


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    assert response.mimetype == PROBLEM_CONTENT_TYPE
    body = response.get_json()
    assert body["code"] == code
    return body


def photo_rows(db: Session) -> list[VisitPhoto]:
    return list(db.scalars(sa.select(VisitPhoto)))


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# -- happy paths ---------------------------------------------------------------------------


def test_jpeg_is_stored_by_hash_with_exif_time_and_gps(org, lead, check_in, upload, photo_root):
    visit = check_in(org["rep_e1"], "V1")
    assert visit["verdict"] == "verified", visit["findings"]
    taken = captured_at(visit).astimezone(ZoneInfo("Asia/Shanghai"))
    data = jpeg(1, taken=taken, offset="+08:00", gps=(lead.lat + 0.0002, lead.lon - 0.0001))

    response = upload(org["rep_e1"], "V1", data)

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    photo, sha = body["photo"], hashlib.sha256(data).hexdigest()
    assert photo["id"] == "P1" and photo["visit_id"] == "V1"
    assert photo["sha256"] == sha
    assert len(photo["phash"]) == 16 and int(photo["phash"], 16) >= 0
    assert (photo["content_type"], photo["width"], photo["height"]) == ("image/jpeg", 96, 64)
    assert photo["size_bytes"] == len(data) and photo["source"] == "camera"
    assert datetime.fromisoformat(photo["exif_taken_at"]) == captured_at(visit).replace(
        microsecond=0
    )
    assert photo["exif_lat"] == pytest.approx(lead.lat + 0.0002, abs=1e-6)
    assert photo["exif_lon"] == pytest.approx(lead.lon - 0.0001, abs=1e-6)
    assert stored_files(photo_root) == [photo_root / sha[:2] / f"{sha}.jpg"]
    assert (photo_root / sha[:2] / f"{sha}.jpg").read_bytes() == data
    assert body["visit"]["verdict"] == "verified"
    assert not {c for c in codes(body["visit"]) if c.startswith("photo.")}


def test_png_is_accepted_and_listed(org, client, headers, check_in, upload, photo_root):
    check_in(org["rep_e1"], "V1")
    data = encode(picture(2), "PNG")

    response = upload(org["rep_e1"], "V1", data, filename="x.png", mimetype="image/png")

    assert response.status_code == 201, response.get_json()
    photo = response.get_json()["photo"]
    assert photo["content_type"] == "image/png"
    assert photo["exif_taken_at"] is None and photo["exif_lat"] is None
    sha = hashlib.sha256(data).hexdigest()
    assert (photo_root / sha[:2] / f"{sha}.png").read_bytes() == data
    listed = client.get("/api/v1/visits/V1/photos", headers=headers(org["rep_e1"]))
    assert listed.status_code == 200
    assert [p["id"] for p in listed.get_json()] == ["P1"]
    seen_by_lead = client.get("/api/v1/visits/V1/photos", headers=headers(org["lead_e1"]))
    assert [p["sha256"] for p in seen_by_lead.get_json()] == [sha]


def test_exif_time_without_offset_is_read_in_the_reps_zone(db, org, check_in, upload):
    org["rep_e1"].timezone = "Asia/Shanghai"
    db.flush()
    visit = check_in(org["rep_e1"], "V1")
    local = captured_at(visit).astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)

    response = upload(org["rep_e1"], "V1", jpeg(3, taken=local))

    body = response.get_json()
    assert datetime.fromisoformat(body["photo"]["exif_taken_at"]) == captured_at(visit).replace(
        microsecond=0
    )
    assert "photo.exif_time" not in codes(body["visit"])


# -- idempotency and scope -----------------------------------------------------------------


def test_retry_with_same_bytes_is_200_and_other_bytes_409(db, org, check_in, upload):
    check_in(org["rep_e1"], "V1")
    first = upload(org["rep_e1"], "V1", jpeg(1))
    assert first.status_code == 201

    again = upload(org["rep_e1"], "V1", jpeg(1))
    assert again.status_code == 200
    assert again.get_json()["photo"] == first.get_json()["photo"]

    assert_problem(upload(org["rep_e1"], "V1", jpeg(2)), 409, "photo.id_taken")
    check_in(org["rep_e1"], "V2", north_m=40)
    assert_problem(upload(org["rep_e1"], "V2", jpeg(1)), 409, "photo.id_taken")
    assert len(photo_rows(db)) == 1


def test_only_the_visits_rep_uploads(db, org, check_in, upload, client, headers):
    check_in(org["rep_e1"], "V1")

    assert_problem(upload(org["rep_e1b"], "V1", jpeg(1)), 404, "resource.not_found")
    assert_problem(upload(org["rep_e2"], "V1", jpeg(1)), 404, "resource.not_found")
    assert_problem(upload(org["lead_e1"], "V1", jpeg(1)), 403, "auth.forbidden")
    listed = client.get("/api/v1/visits/V1/photos", headers=headers(org["rep_e1b"]))
    assert_problem(listed, 404, "resource.not_found")
    assert_problem(upload(org["rep_e1"], "NOPE", jpeg(1)), 404, "resource.not_found")
    assert photo_rows(db) == []


# -- refusals ------------------------------------------------------------------------------


def test_gif_and_text_named_jpg_are_415(org, check_in, upload, photo_root):
    check_in(org["rep_e1"], "V1")
    gif = encode(picture(1), "GIF")

    assert_problem(upload(org["rep_e1"], "V1", gif), 415, "photo.unsupported_type")
    text = b"just some text, not a picture at all\n" * 10
    assert_problem(upload(org["rep_e1"], "V1", text), 415, "photo.unsupported_type")
    assert stored_files(photo_root) == []


@pytest.mark.parametrize(
    "data",
    [jpeg(1)[:600], b"\xff\xd8\xff\xe0" + b"\x00" * 200, encode(picture(1), "PNG")[:-40]],
    ids=["truncated-jpeg", "jpeg-magic-garbage", "truncated-png"],
)
def test_truncated_or_corrupt_is_422(db, org, check_in, upload, photo_root, data):
    check_in(org["rep_e1"], "V1")

    assert_problem(upload(org["rep_e1"], "V1", data), 422, "photo.unreadable")
    assert photo_rows(db) == [] and stored_files(photo_root) == []


@pytest.mark.parametrize(
    "size",
    [(100_000, 100_000), (10_000, 10_000), (7_000, 7_000)],
    ids=["pillow-error", "pillow-warning", "over-our-limit"],
)
def test_decompression_bomb_is_422(db, org, check_in, upload, photo_root, size):
    check_in(org["rep_e1"], "V1")

    response = upload(org["rep_e1"], "V1", png_declaring(*size), filename="bomb.png")

    body = assert_problem(response, 422, "photo.too_many_pixels")
    assert body["max_pixels"] == photos.MAX_PIXELS
    assert photo_rows(db) == [] and stored_files(photo_root) == []


def test_oversize_is_413(app, db, org, check_in, upload, photo_root):
    check_in(org["rep_e1"], "V1")
    app.config["WAYPOINT"] = replace(app.config["WAYPOINT"], photo_max_bytes=2048)
    noise = random.Random(1).randbytes(64 * 64 * 3)
    data = encode(Image.frombytes("RGB", (64, 64), noise), "PNG")
    assert len(data) > 2048

    body = assert_problem(upload(org["rep_e1"], "V1", data), 413, "photo.too_large")
    assert body["max_bytes"] == 2048
    assert photo_rows(db) == [] and stored_files(photo_root) == []


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"photo_id": "../etc"}, "photo_id"),
        ({"source": "screenshot"}, "source"),
        ({"taken_at": "yesterday"}, "taken_at"),
        ({"surprise": "1"}, "surprise"),
    ],
)
def test_bad_form_fields_are_422(org, check_in, upload, form, field):
    check_in(org["rep_e1"], "V1")
    values = {"photo_id": "P1", **form}

    response = upload(org["rep_e1"], "V1", jpeg(1), **values)

    body = assert_problem(response, 422, "request.validation")
    assert field in body["errors"]["form"]


def test_missing_file_is_422(org, check_in, client, headers):
    check_in(org["rep_e1"], "V1")

    response = client.post(
        "/api/v1/visits/V1/photos",
        data={"photo_id": "P1"},
        headers=headers(org["rep_e1"]),
        content_type="multipart/form-data",
    )

    body = assert_problem(response, 422, "request.validation")
    assert "file" in body["errors"]["files"]


# -- storage ---------------------------------------------------------------------------------


def test_path_traversal_in_the_filename_stores_under_the_hash(org, check_in, upload, tmp_path):
    check_in(org["rep_e1"], "V1")
    data = jpeg(4)

    response = upload(org["rep_e1"], "V1", data, filename="../../etc/passwd.jpg")

    assert response.status_code == 201
    sha = hashlib.sha256(data).hexdigest()
    assert sorted(p for p in tmp_path.rglob("*") if p.is_file()) == [
        tmp_path / "photos" / sha[:2] / f"{sha}.jpg"
    ]


def test_same_content_is_stored_once(db, org, check_in, upload, photo_root):
    check_in(org["rep_e1"], "V1")
    check_in(org["rep_e1b"], "V2", north_m=60)
    data = jpeg(5)

    assert upload(org["rep_e1"], "V1", data, photo_id="A").status_code == 201
    assert upload(org["rep_e1b"], "V2", data, photo_id="B").status_code == 201

    assert len(stored_files(photo_root)) == 1
    assert {row.storage_path for row in photo_rows(db)} == {
        f"{hashlib.sha256(data).hexdigest()[:2]}/{hashlib.sha256(data).hexdigest()}.jpg"
    }


def test_disk_full_is_507_without_row_or_temp_file(
    db, org, check_in, upload, photo_root, monkeypatch
):
    check_in(org["rep_e1"], "V1")

    def full(*_args: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(photos.os, "replace", full)
    body = assert_problem(upload(org["rep_e1"], "V1", jpeg(1)), 507, "photo.storage_unavailable")

    assert "No space" not in body["detail"]
    assert photo_rows(db) == []
    assert stored_files(photo_root) == []  # the temp file was removed too
    monkeypatch.undo()
    assert upload(org["rep_e1"], "V1", jpeg(1)).status_code == 201  # recovers by itself


def test_unwritable_photo_root_is_507(app, db, org, check_in, upload, tmp_path):
    check_in(org["rep_e1"], "V1")
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("occupied")
    app.config["WAYPOINT"] = replace(app.config["WAYPOINT"], photo_root=str(blocker))

    assert_problem(upload(org["rep_e1"], "V1", jpeg(1)), 507, "photo.storage_unavailable")
    assert photo_rows(db) == []


# -- assessment ------------------------------------------------------------------------------


def test_photo_reused_on_another_visit_is_a_finding(db, org, check_in, upload):
    first = check_in(org["rep_e1"], "V1")
    data = jpeg(6, taken=captured_at(first), offset="+00:00")
    assert upload(org["rep_e1"], "V1", data, photo_id="A").status_code == 201
    second = check_in(org["rep_e1b"], "V2", north_m=50)
    assert second["verdict"] == "verified", second["findings"]

    response = upload(org["rep_e1b"], "V2", data, photo_id="B")

    visit = response.get_json()["visit"]
    assert "photo.reused" in codes(visit)
    assert visit["verdict"] != "verified" and visit["score"] < second["score"]
    db.expire_all()
    stored = db.get(Visit, "V2")
    assert stored.verdict == visit["verdict"]
    assert any(f["code"] == "photo.reused" for f in stored.findings)


def test_resaved_copy_is_a_near_duplicate(org, check_in, upload):
    check_in(org["rep_e1"], "V1")
    original = picture(7)
    assert upload(org["rep_e1"], "V1", encode(original, "PNG"), photo_id="A").status_code == 201
    check_in(org["rep_e1b"], "V2", north_m=50)

    response = upload(org["rep_e1b"], "V2", encode(original, "JPEG", quality=70), photo_id="B")

    assert "photo.near_duplicate" in codes(response.get_json()["visit"])


def test_album_photo_is_a_finding(org, check_in, upload):
    visit = check_in(org["rep_e1"], "V1")

    response = upload(org["rep_e1"], "V1", jpeg(8), source="album")

    body = response.get_json()
    assert body["photo"]["source"] == "album"
    assert "photo.album" in codes(body["visit"])
    assert body["visit"]["score"] < visit["score"]


def test_default_source_is_unknown(org, check_in, upload):
    check_in(org["rep_e1"], "V1")

    response = upload(org["rep_e1"], "V1", jpeg(8), source=None)

    assert response.get_json()["photo"]["source"] == "unknown"
    assert "photo.album" not in codes(response.get_json()["visit"])


def test_exif_elsewhere_and_long_ago_are_findings(org, lead, check_in, upload):
    visit = check_in(org["rep_e1"], "V1")
    long_ago = captured_at(visit) - timedelta(days=3)
    data = jpeg(9, taken=long_ago, offset="+00:00", gps=(lead.lat + 0.2, lead.lon))

    body = upload(org["rep_e1"], "V1", data).get_json()

    assert {"photo.exif_time", "photo.exif_location"} <= codes(body["visit"])
    assert body["visit"]["verdict"] != "verified"


def test_no_gps_is_kept_when_location_was_not_collected(
    db, org, lead, check_in, upload, photo_root
):
    db.execute(sa.delete(LocationConsent).where(LocationConsent.staff_id == org["rep_e1"].id))
    visit = check_in(org["rep_e1"], "V1")
    assert visit["location_not_collected"]["reason"] == "no_location_consent"
    data = jpeg(10, taken=captured_at(visit), offset="+00:00", gps=(lead.lat, lead.lon))

    response = upload(org["rep_e1"], "V1", data)

    photo = response.get_json()["photo"]
    assert response.status_code == 201
    assert photo["exif_lat"] is None and photo["exif_lon"] is None
    assert photo["exif_taken_at"] is not None
    assert photo["sha256"] == hashlib.sha256(data).hexdigest()
    [stored] = stored_files(photo_root)
    with Image.open(stored) as image:
        assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert image.size == (96, 64)
    assert response.get_json()["visit"]["verdict"] == "unverified"
    again = upload(org["rep_e1"], "V1", data)
    assert again.status_code == 200


def test_openapi_documents_the_multipart_body_and_problems(client):
    spec = client.get("/api/openapi.json").get_json()
    post = spec["paths"]["/api/v1/visits/{visit_id}/photos"]["post"]
    body = post["requestBody"]["content"]["multipart/form-data"]["schema"]
    form = spec["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert form["properties"]["file"] == {
        "description": "JPEG or PNG; the type is read from the content",
        "type": "string",
        "format": "binary",
    }
    assert {"file", "photo_id"} <= set(form["required"])
    assert "parameters" not in post
    assert {"201", "200", "403", "404", "409", "413", "415", "422", "507"} <= set(post["responses"])
    assert "get" in spec["paths"]["/api/v1/visits/{visit_id}/photos"]


# -- pure parts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gps", "expected"),
    [
        ({1: "N", 2: (31.0, 15.0, 0.0), 3: "E", 4: (121.0, 25.0, 12.0)}, (31.25, 121.42)),
        ({1: "S", 2: (33.0, 52.0, 0.0), 3: "W", 4: (70.0, 40.0, 0.0)}, (-33.8667, -70.6667)),
        ({1: b"N\x00", 2: (10.5,), 3: b"E\x00", 4: (20.25,)}, (10.5, 20.25)),
        ({2: (31.0, 15.0, 0.0), 3: "E", 4: (121.0, 25.0, 12.0)}, None),  # no ref
        ({1: "X", 2: (31.0, 0.0, 0.0), 3: "E", 4: (121.0, 0.0, 0.0)}, None),
        ({1: "N", 2: (95.0, 0.0, 0.0), 3: "E", 4: (121.0, 0.0, 0.0)}, None),
        ({1: "N", 2: (31.0, 26.0, 60.0), 3: "E", 4: (121.0, 0.0, 0.0)}, (31.45, 121.0)),
        ({1: "N", 2: (31.0, 75.0, 0.0), 3: "E", 4: (121.0, 0.0, 0.0)}, None),
        ({1: "N", 2: (float("nan"), 0.0, 0.0), 3: "E", 4: (1.0, 0.0, 0.0)}, None),
        ({1: "N", 2: "garbage", 3: "E", 4: (1.0, 0.0, 0.0)}, None),
        ({1: "N", 2: (1.0, 2.0, 3.0, 4.0), 3: "E", 4: (1.0, 0.0, 0.0)}, None),
        ({}, None),
    ],
)
def test_exif_position(gps, expected):
    result = photos.exif_position(gps)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize(
    ("value", "offset", "expected"),
    [
        ("2026:11:20 17:30:00", "+08:00", datetime(2026, 11, 20, 9, 30, tzinfo=UTC)),
        ("2026:11:20 17:30:00", "-03:30", datetime(2026, 11, 20, 21, 0, tzinfo=UTC)),
        ("2026:11:20 17:30:00", None, datetime(2026, 11, 20, 9, 30, tzinfo=UTC)),
        ("2026:11:20 17:30:00", "junk", datetime(2026, 11, 20, 9, 30, tzinfo=UTC)),
        (b"2026:11:20 17:30:00\x00", b"+08:00\x00", datetime(2026, 11, 20, 9, 30, tzinfo=UTC)),
        ("0000:00:00 00:00:00", None, None),
        ("    :  :     :  :  ", None, None),
        ("1900:01:01 00:00:00", None, None),
        (None, "+08:00", None),
        (12345, None, None),
    ],
)
def test_exif_time(value, offset, expected):
    assert photos.exif_time(value, offset, ZoneInfo("Asia/Shanghai")) == expected


def test_metadata_stripping_keeps_pixels():
    exif = exif_for(taken="2026:11:20 17:30:00", gps=(31.25, 121.42))
    for fmt, kind in (("JPEG", photos.JPEG), ("PNG", photos.PNG)):
        data = encode(picture(11), fmt, exif)
        stripped = photos.strip_metadata(data, kind)
        with Image.open(io.BytesIO(stripped)) as clean, Image.open(io.BytesIO(data)) as full:
            assert not clean.getexif()
            assert clean.tobytes() == full.tobytes()
    with pytest.raises(photos.UnreadablePhoto):
        photos.strip_metadata(b"\xff\xd8\xff\xe1\xff\xff" + b"\x00" * 10, photos.JPEG)
