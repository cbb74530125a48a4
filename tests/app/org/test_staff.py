"""Staff accounts: scoped listing and reads, who may manage whom, validation, consent."""

import pytest
import sqlalchemy as sa

from app.org.models import LocationConsent, Role, Staff
from tests.factories import auth_header, make_node, make_staff


@pytest.fixture
def org(db):
    company = make_node(db, None, "Company", "company")
    east = make_node(db, company, "East", "region")
    west = make_node(db, company, "West", "region")
    team_e, team_w = make_node(db, east, "Team E"), make_node(db, west, "Team W")
    people = {
        "admin": make_staff(db, company, Role.ADMIN),
        "hr": make_staff(db, company, Role.HR),
        "lead_e": make_staff(db, team_e, Role.TEAM_LEAD),
        "rep_e": make_staff(db, team_e, Role.REP),
        "rep_w": make_staff(db, team_w, Role.REP),
        "lead_w": make_staff(db, team_w, Role.TEAM_LEAD),
    }
    return {
        "company": company,
        "east": east,
        "west": west,
        "team_e": team_e,
        "team_w": team_w,
        **people,
    }


def new_staff(org, node="team_e", **extra):
    body = {
        "employee_number": "N-100",
        "name": "New Person",
        "org_node_id": org[node].id,
        "password": "long-enough-password",
    }
    body.update(extra)
    return body


def test_team_lead_lists_only_own_subtree(client, org):
    response = client.get("/api/v1/staff", headers=auth_header(client, org["lead_e"]))
    assert response.status_code == 200
    ids = {s["id"] for s in response.get_json()["items"]}
    assert ids == {org["lead_e"].id, org["rep_e"].id}


def test_admin_lists_everyone_with_filters_and_paging(client, org):
    headers = auth_header(client, org["admin"])
    everyone = client.get("/api/v1/staff", headers=headers).get_json()
    assert everyone["total"] == 6
    reps = client.get("/api/v1/staff?role=rep&limit=1", headers=headers).get_json()
    assert reps["total"] == 2 and len(reps["items"]) == 1
    west = client.get(f"/api/v1/staff?org_node_id={org['west'].id}", headers=headers).get_json()
    assert {s["id"] for s in west["items"]} == {org["rep_w"].id, org["lead_w"].id}


@pytest.mark.parametrize("path", ["", "/devices"])
def test_reading_staff_outside_subtree_is_404(client, org, path):
    headers = auth_header(client, org["lead_e"])
    response = client.get(f"/api/v1/staff/{org['rep_w'].id}{path}", headers=headers)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_reps_cannot_list_or_read_others_but_can_read_themselves(client, org):
    headers = auth_header(client, org["rep_e"])
    assert client.get("/api/v1/staff", headers=headers).status_code == 403
    assert client.get(f"/api/v1/staff/{org['lead_e'].id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/staff/{org['rep_e'].id}", headers=headers).status_code == 200


def test_cross_subtree_writes_are_refused_and_change_nothing(client, db, org):
    headers = auth_header(client, org["lead_e"])
    patch = client.patch(f"/api/v1/staff/{org['rep_w'].id}", json={"name": "X"}, headers=headers)
    assert patch.status_code == 404
    deactivate = client.post(f"/api/v1/staff/{org['rep_w'].id}/deactivate", headers=headers)
    assert deactivate.status_code == 404
    create = client.post("/api/v1/staff", json=new_staff(org, "team_w"), headers=headers)
    assert create.status_code == 403
    db.expire_all()
    assert db.get(Staff, org["rep_w"].id).active
    assert db.scalar(sa.select(Staff).where(Staff.employee_number == "N-100")) is None


def test_team_lead_creates_reps_only(client, org):
    headers = auth_header(client, org["lead_e"])
    created = client.post("/api/v1/staff", json=new_staff(org), headers=headers)
    assert created.status_code == 201
    assert created.get_json()["role"] == "rep"
    assert "password" not in created.get_json()
    escalate = client.post(
        "/api/v1/staff", json=new_staff(org, employee_number="N-101", role="admin"), headers=headers
    )
    assert escalate.status_code == 403


def test_team_lead_cannot_edit_peer_team_lead(client, db, org):
    other_lead = make_staff(db, org["team_e"], Role.TEAM_LEAD)
    headers = auth_header(client, org["lead_e"])
    response = client.patch(f"/api/v1/staff/{other_lead.id}", json={"name": "X"}, headers=headers)
    assert response.status_code == 403


def test_duplicate_employee_number_is_409(client, org):
    headers = auth_header(client, org["admin"])
    body = new_staff(org, employee_number=org["rep_e"].employee_number)
    response = client.post("/api/v1/staff", json=body, headers=headers)
    assert response.status_code == 409
    assert response.get_json()["code"] == "staff.duplicate"


@pytest.mark.parametrize(
    "changes",
    [
        {"working_hours": {"mon": [["18:00", "09:00"]]}},
        {"working_hours": {"someday": [["09:00", "18:00"]]}},
        {"working_hours": {"mon": "all day"}},
        {"timezone": "Mars/Olympus"},
        {"password": "short"},
        {"role": "king"},
        {"org_node_id": "east"},
        {"name": "x" * 10_000},
        {"phone": "call me"},
        {"is_superuser": True},
    ],
)
def test_invalid_staff_fields_are_422(client, org, changes):
    response = client.post(
        "/api/v1/staff", json=new_staff(org, **changes), headers=auth_header(client, org["admin"])
    )
    assert response.status_code == 422
    assert response.get_json()["code"] == "request.validation"


def test_working_hours_and_timezone_are_stored(client, org):
    hours = {"mon": [["08:30", "12:00"], ["13:00", "17:30"]], "sat": [["10:00", "14:00"]]}
    response = client.post(
        "/api/v1/staff",
        json=new_staff(org, working_hours=hours, timezone="Asia/Shanghai"),
        headers=auth_header(client, org["admin"]),
    )
    assert response.status_code == 201
    assert response.get_json()["working_hours"] == hours
    assert response.get_json()["timezone"] == "Asia/Shanghai"


def test_cannot_deactivate_yourself(client, org):
    response = client.post(
        f"/api/v1/staff/{org['admin'].id}/deactivate", headers=auth_header(client, org["admin"])
    )
    assert response.status_code == 409


def test_moving_a_person_moves_their_visibility(client, db, org):
    admin_headers = auth_header(client, org["admin"], "admin-dev")
    lead_w = auth_header(client, org["lead_w"], "lead-dev")
    assert client.get(f"/api/v1/staff/{org['rep_e'].id}", headers=lead_w).status_code == 404
    moved = client.patch(
        f"/api/v1/staff/{org['rep_e'].id}",
        json={"org_node_id": org["team_w"].id},
        headers=admin_headers,
    )
    assert moved.status_code == 200
    assert client.get(f"/api/v1/staff/{org['rep_e'].id}", headers=lead_w).status_code == 200


def test_location_consent_lifecycle(client, db, org):
    headers = auth_header(client, org["rep_e"])
    given = client.post(
        "/api/v1/me/location-consent", json={"document_version": "2026-03"}, headers=headers
    )
    assert given.status_code == 201
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert me["location_consent"]["document_version"] == "2026-03"
    assert me["location_consent"]["recorded_by_id"] == org["rep_e"].id
    assert client.delete("/api/v1/me/location-consent", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).get_json()["location_consent"] is None
    history = db.scalars(
        sa.select(LocationConsent).where(LocationConsent.staff_id == org["rep_e"].id)
    ).all()
    assert len(history) == 1 and history[0].withdrawn_at is not None
