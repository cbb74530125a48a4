"""Schemathesis against the served OpenAPI document, as a rep, a team lead and an admin.

Every operation in /api/openapi.json gets a bounded, derandomized run per role, in-process
(WSGI) and inside the test's rolled-back transaction, with four checks: no 5xx, the response
matches its documented schema, its status code is documented, and so is its content type.
The org is seeded (make_geo_org, leads, a visit) and path ids are drawn either by schemathesis
or from that seed, so requests get past "not found" into the services.

Nothing is excluded: every operation runs in seconds. SCIM (/scim/v2) is not in the document
(it speaks SCIM errors, not problem+json, and tests/app/hr runs a SCIM compliance checker on it),
so schemathesis never sees it. Run alone: `pytest tests/fuzz` (a few minutes per backend).
"""

from __future__ import annotations

import gzip
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session, sessionmaker

from app import create_app
from app.auth.models import Device
from app.db import utcnow
from app.org.models import LocationConsent, Role, Staff
from tests.conftest import make_settings
from tests.factories import auth_header
from tests.factories_geo import IN_E1, IN_E2, IN_W, GeoOrg, make_geo_org, make_lead

DEVICE = "device-0001"
ALWAYS = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
ROLES = {"rep": "rep_e1", "team_lead": "lead_e1", "admin": "admin"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20260807,
        "generation": {"max-examples": 20, "deterministic": True, "database": "none"},
    }
)
pytestmark = pytest.mark.slow
# Ids the seed created, by path parameter name; set per test by the `seeded` fixture.
KNOWN_IDS: dict[str, Any] = {}


def served_schema() -> Any:
    """The document as the app serves it (built once at collection; it needs no database)."""
    spec_only = Path(tempfile.gettempdir()) / "waypoint-fuzz-spec"
    app = create_app(make_settings(spec_only, "sqlite:///:memory:"), sessions=sessionmaker())
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=CONFIG)


schema = served_schema()


@schema.hook
def flatmap_path_parameters(_context: Any, path_parameters: dict[str, Any] | None) -> Any:
    """Half the time, swap each path id for one that exists in the seeded org."""
    known = {name: KNOWN_IDS[name] for name in path_parameters or {} if name in KNOWN_IDS}
    if not known:
        return st.just(path_parameters)
    return st.sampled_from([path_parameters, {**path_parameters, **known}])


@schema.hook
def after_call(_context: Any, _case: Any, response: Any) -> None:
    """Undo `Content-Encoding: gzip` (sync pull) as every HTTP client does; WSGI calls do not."""
    if "gzip" in response.headers.get("content-encoding", []):
        response.content = gzip.decompress(response.content)


def ready_for_visits(session: Session, staff: Staff) -> None:
    """Always working, consent given, the login device bound (as the visits tests arrange)."""
    staff.timezone, staff.working_hours = "Asia/Shanghai", ALWAYS
    session.add(
        LocationConsent(
            staff_id=staff.id,
            document_version="2026-01",
            consented_at=utcnow(),
            recorded_by_id=staff.id,
        )
    )
    session.add(Device(staff_id=staff.id, device_id=DEVICE, platform="android"))
    session.flush()


def check_in_body(visit_id: str, lead_id: str, lat: float, lon: float) -> dict[str, Any]:
    """An honest check-in a few metres from the customer, captured just now."""
    captured = utcnow() - timedelta(seconds=5)
    return {
        "id": visit_id,
        "lead_id": lead_id,
        "device_id": DEVICE,
        "captured_at": captured.isoformat(),
        "upload_device_time": (captured + timedelta(seconds=3)).isoformat(),
        "fix": {
            "lat": lat + 0.0002,
            "lon": lon + 0.0001,
            "accuracy_m": 8.0,
            "provider": "gps",
            "satellites": 14,
            "fix_time": (captured - timedelta(seconds=4)).isoformat(),
        },
        "notes": "Met the buyer, left samples.",
        "outcome": "interested",
    }


@pytest.fixture
def seeded(db: Session, client: FlaskClient) -> GeoOrg:
    """The two-region org ready for visits, leads in every team, and one check-in."""
    org = make_geo_org(db)
    for person in org.people.values():
        if person.role in (Role.REP, Role.TEAM_LEAD):
            ready_for_visits(db, person)
    own = make_lead(db, *IN_E1, owner=org["rep_e1"], lead_id="L-FUZZ-E1-OWN", phone="13800000001")
    make_lead(db, *IN_E1, lead_id="L-FUZZ-E1-POOL")
    make_lead(db, *IN_E2, lead_id="L-FUZZ-E2-POOL")
    make_lead(db, *IN_W, owner=org["rep_w"], lead_id="L-FUZZ-W-OWN")
    response = client.post(
        "/api/v1/visits",
        json=check_in_body("V-FUZZ-1", own.id, own.lat, own.lon),
        headers=auth_header(client, org["rep_e1"], DEVICE),
    )
    assert response.status_code == 201, response.get_json()
    KNOWN_IDS.clear()
    KNOWN_IDS.update(
        node_id=org["e1"].id,
        staff_id=org["rep_e1"].id,
        territory_id=org["t_e1"].id,
        lead_id=own.id,
        visit_id="V-FUZZ-1",
        device_id=DEVICE,
    )
    return org


@pytest.fixture(params=sorted(ROLES))
def role_headers(
    request: pytest.FixtureRequest, client: FlaskClient, seeded: GeoOrg
) -> dict[str, str]:
    """An Authorization header for the role's person, logged in once per test."""
    return auth_header(client, seeded[ROLES[request.param]], DEVICE)


@schema.parametrize()
@hypothesis.settings(suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture])
def test_api_conforms_to_its_document(case: Any, app: Flask, role_headers: dict[str, str]) -> None:
    """No 5xx; status, content type and body as documented, for every operation and role."""
    case.call_and_validate(app=app, headers=role_headers, checks=CHECKS)
