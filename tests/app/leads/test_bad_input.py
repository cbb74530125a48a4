"""Bad input on every lead write: always a 4xx problem, never a 500, never a row written."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app.leads.models import CollusionFlag, Lead, LeadOwnerEvent
from tests.app.auth.helpers import assert_problem
from tests.factories_geo import IN_E1, make_lead

HUGE = "x" * 100_000
JSON = "application/json"

RAW_BODIES = [
    ("malformed", b'{"name": ', JSON),
    ("single-quotes", b"{'name': 'A'}", JSON),
    ("trailing-comma", b'{"name": "A",}', JSON),
    ("not-utf8", b'{"name": "\xff\xfe"}', JSON),
    ("null", b"null", JSON),
    ("array", b"[]", JSON),
    ("number", b"42", JSON),
    ("string", b'"lead"', JSON),
    ("nan-everywhere", b'{"lat": NaN, "lon": Infinity, "to_staff_id": NaN, "note": NaN}', JSON),
    ("deeply-nested", b"[" * 50_000 + b"]" * 50_000, JSON),
    ("5000-digit-integer", b'{"to_staff_id": 1' + b"0" * 5000 + b"}", JSON),
    ("text-plain", b'{"name": "A"}', "text/plain"),
    ("form", b"name=A&lat=31", "application/x-www-form-urlencoded"),
]
# Edit and release have no required field, and a body that is not JSON reads as no body at
# all: those two answer a text/plain or form body as if it were {} (see the report).
OPTIONAL_ONLY = ("edit", "release")
RAW_CASES = [
    pytest.param(endpoint, body, content_type, id=f"{label}-{endpoint}")
    for label, body, content_type in RAW_BODIES
    for endpoint in ("create", "edit", "release", "transfer")
    if content_type == JSON or endpoint not in OPTIONAL_ONLY
]


@pytest.fixture
def app(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash must show up as a 500, not raise
    return app


@pytest.fixture
def owned(db, org):
    return make_lead(db, *IN_E1, owner=org["rep_e1"], name="Owned Co")


def good_create() -> dict[str, object]:
    return {"id": "new-lead-1", "name": "Fresh Co", "lat": 31.26, "lon": 121.43, "datum": "wgs84"}


def snapshot(db) -> tuple:
    db.expire_all()
    leads = db.execute(
        sa.select(
            Lead.id, Lead.name, Lead.owner_id, Lead.lat, Lead.stage, Lead.updated_at
        ).order_by(Lead.id)
    ).all()
    counts = [
        db.scalar(sa.select(sa.func.count()).select_from(m))
        for m in (LeadOwnerEvent, CollusionFlag)
    ]
    return tuple(leads), tuple(counts)


def send(client, method, url, body: bytes, content_type, headers):
    headers = dict(headers)
    if content_type is not None:
        headers["Content-Type"] = content_type
    return client.open(url, method=method, data=body, headers=headers)


def assert_refused(response, db, before):
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:300]
    assert_problem(response, response.status_code)
    assert snapshot(db) == before


def endpoints(owned):
    return {
        "create": ("POST", "/api/v1/leads", "rep_e1"),
        "edit": ("PATCH", f"/api/v1/leads/{owned.id}", "rep_e1"),
        "release": ("POST", f"/api/v1/leads/{owned.id}/release", "rep_e1"),
        "transfer": ("POST", f"/api/v1/leads/{owned.id}/transfer", "lead_e1"),
    }


@pytest.mark.parametrize(("endpoint", "body", "content_type"), RAW_CASES)
def test_raw_bad_bodies(client, db, org, headers, owned, endpoint, body, content_type):
    method, url, who = endpoints(owned)[endpoint]
    before = snapshot(db)

    response = send(client, method, url, body, content_type, headers(org[who]))

    assert_refused(response, db, before)


CREATE_SPOILERS = {
    "unknown-field": {"colour": "red"},
    "territory-given": {"territory_id": 1},
    "owner-given": {"owner_id": 1},
    "id-int": {"id": 12345},
    "id-slash": {"id": "../etc"},
    "id-dot": {"id": "a.b"},
    "id-long": {"id": "a" * 65},
    "id-empty": {"id": ""},
    "name-huge": {"name": HUGE},
    "name-empty": {"name": ""},
    "name-null": {"name": None},
    "name-list": {"name": ["A"]},
    "lat-string-word": {"lat": "north"},
    "lat-bool": {"lat": True},
    "lat-list": {"lat": [31.2]},
    "lat-out-of-range": {"lat": 91},
    "lon-out-of-range": {"lon": -181},
    "lat-huge-number": {"lat": 1e308 * 10},
    "datum-unknown": {"datum": "utm"},
    "phone-words": {"phone": "call me maybe"},
    "phone-huge": {"phone": "1" * 10_000},
    "stage-unknown": {"stage": "closed"},
    "address-huge": {"address": HUGE},
    "contact-huge": {"contact_person": HUGE},
    "missing-location": {"lat": None, "lon": None},
}


@pytest.mark.parametrize("label", list(CREATE_SPOILERS))
def test_spoiled_creates(client, db, org, headers, label):
    before = snapshot(db)
    body = {**good_create(), **CREATE_SPOILERS[label]}

    response = send(
        client, "POST", "/api/v1/leads", json.dumps(body).encode(), JSON, headers(org["rep_e1"])
    )

    assert_refused(response, db, before)


def test_nan_as_a_literal_in_a_create(client, db, org, headers):
    before = snapshot(db)
    raw = json.dumps(good_create()).replace("31.26", "NaN").encode()
    assert b"NaN" in raw

    response = send(client, "POST", "/api/v1/leads", raw, JSON, headers(org["rep_e1"]))

    assert_problem(response, 422, "request.validation")
    assert snapshot(db) == before


EDIT_SPOILERS = {
    "unknown-field": {"colour": "red"},
    "owner": {"owner_id": 2},
    "territory": {"territory_id": 2},
    "lat-without-lon": {"lat": 31.25},
    "datum-without-point": {"datum": "gcj02"},
    "lat-nan-string": {"lat": "NaN", "lon": 121.42},
    "lat-inf": {"lat": "Infinity", "lon": 121.42},
    "name-null": {"name": None},
    "name-huge": {"name": HUGE},
    "stage-unknown": {"stage": "won!"},
    "stage-int": {"stage": 3},
    "phone-object": {"phone": {"$ne": None}},
}


@pytest.mark.parametrize("label", list(EDIT_SPOILERS))
def test_spoiled_edits(client, db, org, headers, owned, label):
    before = snapshot(db)
    body = json.dumps(EDIT_SPOILERS[label]).encode()

    response = send(
        client, "PATCH", f"/api/v1/leads/{owned.id}", body, JSON, headers(org["rep_e1"])
    )

    assert_refused(response, db, before)


def test_nan_as_a_literal_in_an_edit(client, db, org, headers, owned):
    before = snapshot(db)

    response = send(
        client,
        "PATCH",
        f"/api/v1/leads/{owned.id}",
        b'{"lat": NaN, "lon": 121.42}',
        JSON,
        headers(org["rep_e1"]),
    )

    assert_problem(response, 422, "request.validation")
    assert snapshot(db) == before


@pytest.mark.parametrize(
    "body",
    [
        {"to_staff_id": "5"},
        {"to_staff_id": 5.5},
        {"to_staff_id": None},
        {"to_staff_id": True},
        {"to_staff_id": 0},
        {"to_staff_id": 10**30},
        {"note": "x"},
        {"to_staff_id": 1, "note": HUGE},
        {"to_staff_id": 1, "owner_id": 1},
    ],
    ids=[
        "string",
        "float",
        "null",
        "bool",
        "zero",
        "huge",
        "missing",
        "note-huge",
        "unknown-field",
    ],
)
def test_spoiled_transfers(client, db, org, headers, owned, body):
    before = snapshot(db)

    response = send(
        client,
        "POST",
        f"/api/v1/leads/{owned.id}/transfer",
        json.dumps(body).encode(),
        JSON,
        headers(org["lead_e1"]),
    )

    assert_refused(response, db, before)


@pytest.mark.parametrize(
    "body",
    [{"note": HUGE}, {"note": 5}, {"note": ["a"]}, {"reason": "bored"}],
    ids=["note-huge", "note-int", "note-list", "unknown-field"],
)
def test_spoiled_releases(client, db, org, headers, owned, body):
    before = snapshot(db)

    response = send(
        client,
        "POST",
        f"/api/v1/leads/{owned.id}/release",
        json.dumps(body).encode(),
        JSON,
        headers(org["rep_e1"]),
    )

    assert_refused(response, db, before)


@pytest.mark.parametrize("lead_id", ["x" * 5000, "%00", "..%2F..%2Fetc", "a b"])
def test_odd_ids_in_the_path_are_404(client, db, org, headers, lead_id):
    before = snapshot(db)

    for method, suffix in (("GET", ""), ("PATCH", ""), ("POST", "/claim"), ("POST", "/release")):
        response = send(
            client, method, f"/api/v1/leads/{lead_id}{suffix}", b"{}", JSON, headers(org["rep_e1"])
        )
        assert_refused(response, db, before)


@pytest.mark.parametrize(
    "query",
    [
        f"org_node_id={10**30}",
        "org_node_id=0",
        "owner=9999999999",
        "owner=someone",
        "stage=closed",
        "limit=0",
        "limit=501",
        "offset=-1",
        "q=" + "x" * 101,
    ],
)
def test_bad_list_queries_are_422(client, org, headers, query):
    response = client.get(f"/api/v1/leads?{query}", headers=headers(org["admin"]))

    assert_problem(response, 422, "request.validation")
