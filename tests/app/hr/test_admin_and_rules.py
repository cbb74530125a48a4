"""HR admin API and CLI, the HR-link login rule, unmapped departments, the route-plan hook."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from app.hr import deprovision
from app.hr.models import DepartmentMapping, HrAudit, ScimToken
from app.hr.tokens import hash_token
from app.org.models import Role, Staff
from app.org.scope import scope_roots
from tests.app.auth.helpers import assert_problem, post_login
from tests.app.hr.conftest import Scim, fixture, ok
from tests.conftest import make_settings
from tests.factories import auth_header, make_staff, password_hash

TOKENS = "/api/v1/hr/scim-tokens"


def test_admins_create_list_and_revoke_tokens(db, client, org):
    admin = org["admin"]
    headers = auth_header(client, admin)
    created = client.post(TOKENS, json={"name": "entra"}, headers=headers)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    secret = body["token"]
    assert body["org_node_id"] == org["company"].id
    stored = db.get(ScimToken, body["id"])
    assert stored.token_hash == hash_token(secret) and secret not in stored.token_hash
    listed = client.get(TOKENS, headers=headers).get_json()
    assert [t["id"] for t in listed] == [body["id"]] and "token" not in listed[0]
    scim = Scim(client, secret)
    assert ok(scim.get("/ServiceProviderConfig"))["patch"]["supported"]
    assert client.delete(f"{TOKENS}/{body['id']}", headers=headers).status_code == 204
    assert scim.get("/Users").status_code == 401
    actions = db.scalars(sa.select(HrAudit.action).order_by(HrAudit.id)).all()
    assert actions == ["token_create", "token_revoke"]


def test_only_admins_manage_tokens_and_only_in_scope(db, client, org):
    rep_headers = auth_header(client, org["rep_e1"])
    assert_problem(client.post(TOKENS, json={"name": "x"}, headers=rep_headers), 403)
    assert_problem(client.get("/api/v1/hr/audit", headers=rep_headers), 403)
    east_admin = make_staff(db, org["east"], Role.ADMIN)
    headers = auth_header(client, east_admin, device_id="d-east")
    response = client.post(
        TOKENS, json={"name": "x", "org_node_id": org["company"].id}, headers=headers
    )
    assert_problem(response, 422, "hr.token_node_invalid")


def test_mappings_api_and_audit_endpoint(db, client, scim, org):
    headers = auth_header(client, org["admin"])
    mapping = client.post(
        "/api/v1/hr/department-mappings",
        json={"department": "  Sales   E2 ", "organization": "ACME", "org_node_id": org["e2"].id},
        headers=headers,
    )
    assert mapping.status_code == 201, mapping.get_json()
    assert mapping.get_json()["department"] == "sales e2"
    user = fixture("entra_create_user.json")
    user["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] |= {
        "department": "sales e2",
        "organization": "Acme",
    }
    user_id = ok(scim.post("/Users", user), 201)["id"]
    assert db.get(Staff, int(user_id)).org_node_id == org["e2"].id
    entries = client.get(f"/api/v1/hr/audit?staff_id={user_id}", headers=headers).get_json()
    assert [(e["action"], e["actor"]) for e in entries] == [("create", "okta")]
    assert entries[0]["after"]["userName"] == "Zhang.Min@acme.example"
    removed = client.delete(
        f"/api/v1/hr/department-mappings/{mapping.get_json()['id']}", headers=headers
    )
    assert removed.status_code == 204


def test_unmapped_department_means_empty_scope_and_an_alert(db, client, scim, org):
    user_id = ok(scim.post("/Users", fixture("okta_create_user.json")), 201)["id"]
    staff = db.get(Staff, int(user_id))
    assert staff.org_node_id is None  # never a default node
    assert scope_roots(db, staff_id=staff.id, org_node_id=None) == ()
    staff.password_hash = password_hash()
    db.flush()
    rep = {"Authorization": f"Bearer {post_login(client, 'A1001').get_json()['access_token']}"}
    for url in ("/api/v1/leads", "/api/v1/territories", "/api/v1/staff", "/api/v1/org/nodes"):
        response = client.get(url, headers=rep)
        if response.status_code == 200:
            body = response.get_json()
            items = body.get("items", body) if isinstance(body, dict) else body
            assert items == [], (url, body)
        else:
            assert response.status_code in (403, 404), (url, response.get_json())
    alerts = client.get("/api/v1/hr/alerts", headers=auth_header(client, org["admin"])).get_json()
    assert [a["kind"] for a in alerts if a["staff_id"] == staff.id] == ["department_unmapped"]
    resolved = client.post(
        f"/api/v1/hr/alerts/{alerts[0]['id']}/resolve", headers=auth_header(client, org["admin"])
    )
    assert resolved.get_json()["resolved_at"] is not None


def test_login_needs_an_hr_link_when_required(settings, sessions, db, org):
    from app import create_app

    app: Flask = create_app(
        make_settings(settings.instance_path, settings.database_url, require_hr_link=True),
        sessions=sessions,
    )
    client = app.test_client()
    unlinked = org["rep_e1"]
    assert_problem(post_login(client, unlinked.employee_number), 403, "auth.hr_link_required")
    linked = make_staff(db, org["e1"], Role.REP, external_hr_id="okta-123")
    glass = make_staff(db, org["company"], Role.ADMIN, break_glass=True)
    assert post_login(client, linked.employee_number).status_code == 200
    assert post_login(client, glass.employee_number).status_code == 200


def test_deprovisioning_calls_the_route_plan_hook(db, scim, mapped, monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(
        deprovision,
        "cancel_future_route_plans",
        lambda session, *, staff_id, now: calls.append(staff_id) or 3,
    )
    user_id = ok(scim.post("/Users", fixture("okta_create_user.json")), 201)["id"]
    ok(scim.patch(f"/Users/{user_id}", fixture("okta_deactivate.json")))
    assert calls == [int(user_id)]
    entry = db.scalars(sa.select(HrAudit).where(HrAudit.action == "deactivate")).one()
    assert entry.detail["route_plans_cancelled"] == 3


def test_break_glass_accounts_are_invisible_to_scim(db, scim, org):
    glass = make_staff(db, org["company"], Role.ADMIN, break_glass=True)
    assert scim.get(f"/scim/v2/Users/{glass.id}".removeprefix("/scim/v2")).status_code == 404
    listed = ok(scim.get("/Users?count=200"))["Resources"]
    assert str(glass.id) not in {r["id"] for r in listed}


def test_existing_staff_are_linked_by_employee_number(db, scim, org):
    rep = org["rep_e1"]
    user = fixture("okta_create_user.json")
    user["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["employeeNumber"] = (
        rep.employee_number
    )
    linked = ok(scim.post("/Users", user), 201)
    assert linked["id"] == str(rep.id)
    db.expire_all()
    assert db.get(Staff, rep.id).external_hr_id == "00u1ab2cdEFGH3ijk4l5"


def test_cli_creates_tokens_and_mappings(app, db, org, monkeypatch):
    from app.hr import cli

    monkeypatch.setattr(cli, "_sessions", lambda: _joined(db))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["hr", "create-token", "--name", "okta"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert db.scalars(sa.select(ScimToken).where(ScimToken.token_hash == hash_token(secret))).one()
    result = runner.invoke(
        args=["hr", "map-department", "--department", "Sales", "--node", str(org["w"].id)]
    )
    assert result.exit_code == 0, result.output
    assert db.scalars(sa.select(DepartmentMapping.department)).all() == ["sales"]
    assert "sales" in runner.invoke(args=["hr", "mappings"]).output


def _joined(db):
    from sqlalchemy.orm import sessionmaker

    return sessionmaker(bind=db.connection(), join_transaction_mode="create_savepoint")
