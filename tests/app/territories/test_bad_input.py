"""Bad input on every territory write: always a 4xx problem, never a 500, nothing written."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app.leads.models import Lead
from app.territories.models import Territory
from tests.app.auth.helpers import assert_problem
from tests.factories_geo import IN_E1, box, make_lead

HUGE = "x" * 100_000
JSON = "application/json"
URL = "/api/v1/territories"
GOOD_GEOMETRY = box(121.41, 31.21, 121.42, 31.22)

RAW_BODIES = [
    ("empty", b"", JSON),
    ("malformed", b'{"name": ', JSON),
    ("single-quotes", b"{'name': 'A'}", JSON),
    ("trailing-comma", b'{"name": "A",}', JSON),
    ("not-utf8", b'{"name": "\xff\xfe"}', JSON),
    ("null", b"null", JSON),
    ("array", b"[]", JSON),
    ("number", b"42", JSON),
    ("nan-org-node", b'{"org_node_id": NaN, "name": "A", "type": "FeatureCollection"}', JSON),
    ("deeply-nested", b'{"geometry":' * 50_000 + b"1" + b"}" * 50_000, JSON),
    ("5000-digit-integer", b'{"org_node_id": 1' + b"0" * 5000 + b"}", JSON),
    ("nul-in-name", b'{"name": "A\\u0000B"}', JSON),
    ("text-plain", b'{"name": "A"}', "text/plain"),
    ("form", b"name=A", "application/x-www-form-urlencoded"),
]


@pytest.fixture
def app(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash must show up as a 500, not raise
    return app


@pytest.fixture
def lead(db, org):
    return make_lead(db, *IN_E1)


def snapshot(db) -> tuple:
    db.expire_all()
    territories = db.execute(
        sa.select(
            Territory.id,
            Territory.name,
            Territory.org_node_id,
            Territory.vertex_count,
            Territory.updated_at,
        ).order_by(Territory.id)
    ).all()
    leads = db.execute(
        sa.select(Lead.id, Lead.territory_id, Lead.org_node_id).order_by(Lead.id)
    ).all()
    return tuple(territories), tuple(leads)


def send(client, method, url, body: bytes, content_type, headers):
    headers = dict(headers)
    if content_type is not None:
        headers["Content-Type"] = content_type
    return client.open(url, method=method, data=body, headers=headers)


def assert_refused(response, db, before):
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:300]
    assert_problem(response, response.status_code)
    assert snapshot(db) == before


def targets(org):
    return {
        "create": ("POST", URL),
        "import": ("POST", f"{URL}/import"),
        "edit": ("PATCH", f"{URL}/{org['t_e1'].id}"),
    }


# Edit has no required field and reads a body that is not JSON as no body (see leads sweep).
RAW_CASES = [
    pytest.param(target, body, content_type, id=f"{label}-{target}")
    for label, body, content_type in RAW_BODIES
    for target in ("create", "import", "edit")
    if not (target == "edit" and (content_type != JSON or label == "empty"))
]


@pytest.mark.parametrize(("target", "body", "content_type"), RAW_CASES)
def test_raw_bad_bodies(client, db, org, headers, lead, target, body, content_type):
    method, url = targets(org)[target]
    before = snapshot(db)

    response = send(client, method, url, body, content_type, headers(org["admin"]))

    assert_refused(response, db, before)


def nan_polygon() -> bytes:
    body = {"org_node_id": 0, "name": "NaN land", "geometry": GOOD_GEOMETRY}
    raw = json.dumps(body).replace("121.42", "NaN").replace("31.22", "Infinity")
    return raw.encode()


def test_nan_coordinates_as_literals(client, db, org, headers, lead):
    before = snapshot(db)
    body = nan_polygon().replace(b'"org_node_id": 0', f'"org_node_id": {org["e1"].id}'.encode())

    created = send(client, "POST", URL, body, JSON, headers(org["admin"]))
    edited = send(
        client,
        "PATCH",
        f"{URL}/{org['t_e1'].id}",
        b'{"geometry": ' + body.split(b'"geometry": ')[1],
        JSON,
        headers(org["admin"]),
    )

    for response in (created, edited):
        assert assert_problem(response, 422, "territory.invalid")["reason_code"] == (
            "territory.malformed"
        )
    assert snapshot(db) == before


SPOILERS = {
    "unknown-field": {"colour": "red"},
    "id-given": {"id": 5},
    "area-given": {"area_m2": 1.0},
    "vertex-count-given": {"vertex_count": 4},
    "node-string": {"org_node_id": "3"},
    "node-float": {"org_node_id": 3.5},
    "node-bool": {"org_node_id": True},
    "node-null": {"org_node_id": None},
    "node-zero": {"org_node_id": 0},
    "node-negative": {"org_node_id": -1},
    "node-huge": {"org_node_id": 10**30},
    "node-unknown": {"org_node_id": 99_999_999},
    "name-empty": {"name": ""},
    "name-huge": {"name": HUGE},
    "name-int": {"name": 123},
    "name-null": {"name": None},
    "geometry-string": {"geometry": "POLYGON((0 0, 1 0, 1 1, 0 0))"},
    "geometry-list": {"geometry": [[121.41, 31.21]]},
    "geometry-null": {"geometry": None},
    "geometry-coords-huge-string": {"geometry": {"type": "Polygon", "coordinates": HUGE}},
    "geometry-300k-vertices": {
        "geometry": {
            "type": "Polygon",
            "coordinates": [
                [[121.41 + i * 1e-7, 31.21] for i in range(300_000)] + [[121.41, 31.21]]
            ],
        }
    },
}


@pytest.mark.parametrize("target", ["create", "edit"])
@pytest.mark.parametrize("label", list(SPOILERS))
def test_spoiled_bodies(client, db, org, headers, lead, target, label):
    method, url = targets(org)[target]
    good = {"org_node_id": org["e1"].id, "name": "Good", "geometry": GOOD_GEOMETRY}
    body = json.dumps({**good, **SPOILERS[label]}).encode()
    before = snapshot(db)

    response = send(client, method, url, body, JSON, headers(org["admin"]))

    assert_refused(response, db, before)


@pytest.mark.parametrize("query", ["repair=maybe", "repair=", "repair=2"])
def test_bad_repair_flag_is_422(client, db, org, headers, query):
    before = snapshot(db)
    body = {"org_node_id": org["e1"].id, "name": "Good", "geometry": GOOD_GEOMETRY}

    response = client.post(f"{URL}?{query}", json=body, headers=headers(org["admin"]))

    assert_problem(response, 422, "request.validation")
    assert snapshot(db) == before


def feature(**overrides):
    return {
        "type": "Feature",
        "geometry": GOOD_GEOMETRY,
        "properties": {"name": "A", "org_node_id": 1},
        **overrides,
    }


@pytest.mark.parametrize(
    "doc",
    [
        {"type": "FeatureCollection", "features": "abc"},
        {"type": "FeatureCollection", "features": [feature()] * 5001},
        {
            "type": "FeatureCollection",
            "features": [feature(properties={"name": "A", "org_node_id": 10**30})],
        },
        {
            "type": "FeatureCollection",
            "features": [feature(properties={"name": HUGE, "org_node_id": 1})],
        },
        {"type": "FeatureCollection", "features": [feature(properties="A")]},
        {
            "type": "FeatureCollection",
            "features": [feature(geometry={"type": "Polygon", "coordinates": HUGE})],
        },
        {"type": "Topology", "features": [feature()]},
        {"type": ["FeatureCollection"], "features": [feature()]},
    ],
    ids=[
        "features-string",
        "too-many-features",
        "node-huge",
        "name-huge",
        "properties-string",
        "coordinates-string",
        "topology",
        "type-list",
    ],
)
def test_spoiled_imports(client, db, org, headers, lead, doc):
    before = snapshot(db)

    response = send(
        client, "POST", f"{URL}/import", json.dumps(doc).encode(), JSON, headers(org["admin"])
    )

    assert_refused(response, db, before)


@pytest.mark.parametrize("territory_id", ["0", "-1", str(10**30), "abc", "1.5"])
def test_odd_ids_in_the_path_are_404(client, db, org, headers, territory_id):
    before = snapshot(db)

    for method in ("GET", "PATCH", "DELETE"):
        response = send(
            client, method, f"{URL}/{territory_id}", b'{"name": "X"}', JSON, headers(org["admin"])
        )
        assert_problem(response, 404)
    assert snapshot(db) == before
