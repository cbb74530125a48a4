"""Uploads and file names: what tests/app/visits/test_photos.py does not already refuse.

Covered there: oversize photos (413), decompression bombs (422), GIFs and text named .jpg
(415), a `../../etc/passwd.jpg` file name (stored under its hash), `../etc` as photo_id,
disk full (507). Here: a multipart body whose form fields (not its file) are huge or many,
other file-name shapes, and traversal in every path parameter and static-file route.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.errors import PROBLEM_CONTENT_TYPE
from app.visits.models import VisitPhoto

TRAVERSALS = [
    "../../../../etc/passwd",
    "..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "%252e%252e%252f%252e%252e%252fetc%252fpasswd",
    "..\\..\\..\\windows\\win.ini",
    "/etc/passwd",
    "....//....//etc/passwd",
]
SECRETS = ("root:", "[fonts]", "[project]", "BEGIN PRIVATE KEY")


@cache
def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (48, 32), (40, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def upload(staged, *, file_name="p.jpg", **form):
    """POST a photo with these form fields; the body is built in memory (no spooled file)."""
    photo = FileStorage(io.BytesIO(_jpeg()), filename=file_name, content_type="image/jpeg")
    fields = {"photo_id": "P-UP", **form, "file": photo}
    boundary, body = encode_multipart(fields)
    return staged.client.post(
        f"/api/v1/visits/{staged.world.scopes['own'].visit}/photos",
        data=body,
        headers=staged.logins["rep"].headers,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def photo_count(staged) -> int:
    with staged.app.app_context():
        from app.web import db_session

        return db_session().scalar(sa.select(sa.func.count()).select_from(VisitPhoto)) or 0


def stored(staged) -> list[Path]:
    root = staged.app.config["WAYPOINT"].photo_dir
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_the_control_upload_is_stored(staged):
    response = upload(staged)

    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize(
    ("form", "why"),
    [
        ({"photo_id": "x" * 1_000_000}, "one form field of 1 MB"),
        ({f"f{n}": "x" for n in range(1_500)}, "1,500 form fields"),
    ],
)
def test_huge_or_countless_form_fields_are_413_and_store_nothing(staged, form, why):
    before_rows, before_files = photo_count(staged), stored(staged)

    response = upload(staged, **form)

    assert response.status_code == 413, (why, response.get_data(as_text=True)[:300])
    assert response.mimetype == PROBLEM_CONTENT_TYPE
    assert response.get_json()["code"] == "request.too_large"
    assert photo_count(staged) == before_rows
    assert stored(staged) == before_files


@pytest.mark.parametrize(
    "file_name",
    ["/etc/cron.d/evil.jpg", "..\\..\\..\\evil.jpg", "C:\\evil.jpg", "evil\x00.jpg", "." * 300],
)
def test_no_file_name_decides_where_a_photo_lands(staged, file_name):
    before = stored(staged)

    response = upload(staged, file_name=file_name)

    assert response.status_code == 201, response.get_json()
    root = staged.app.config["WAYPOINT"].photo_dir
    sha = response.get_json()["photo"]["sha256"]
    new = [p.relative_to(root).as_posix() for p in stored(staged) if p not in before]
    assert new in ([f"{sha[:2]}/{sha}.jpg"], [])  # [] when an earlier test stored these bytes
    assert (root / sha[:2] / f"{sha}.jpg").is_file()
    assert not any(p.name.startswith(".upload-") for p in stored(staged))


API_PATHS = [
    "/api/v1/leads/{}",
    "/api/v1/leads/{}/history",
    "/api/v1/visits/{}",
    "/api/v1/visits/{}/photos",
    "/api/v1/route-plans/{}",
    "/api/v1/staff/1/devices/{}",
]


@pytest.mark.parametrize("template", API_PATHS)
@pytest.mark.parametrize("evil", TRAVERSALS)
def test_traversal_in_an_id_names_nothing(staged, template, evil):
    response = staged.client.get(template.format(evil), headers=staged.logins["admin"].headers)

    assert response.status_code in (404, 405), response.get_data(as_text=True)[:300]
    assert not any(secret in response.get_data(as_text=True) for secret in SECRETS)


STATIC_ROUTES = [
    "/map/vendor/leaflet/{}",
    "/map/static/{}",
    "/api/docs-assets/swagger-ui/{}",
    "/scim/v2/Schemas/{}",
]


@pytest.mark.parametrize("template", STATIC_ROUTES)
@pytest.mark.parametrize(
    "evil", [*TRAVERSALS, "../../../pyproject.toml", "..%2F..%2F..%2Finstance%2Fjwt-keys.json"]
)
def test_traversal_out_of_a_static_folder_is_404(staged, template, evil):
    scim = {"Authorization": f"Bearer {staged.world.scim_secrets['E1']}"}

    # A doubled slash is first redirected (308) to the merged path, still inside the folder.
    response = staged.client.get(template.format(evil), headers=scim, follow_redirects=True)

    assert response.status_code == 404, response.get_data(as_text=True)[:300]
    assert all(r.request.path.startswith(template[:-2]) for r in response.history)
    assert not any(secret in response.get_data(as_text=True) for secret in SECRETS)
