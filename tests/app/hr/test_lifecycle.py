"""The provisioning life cycle as Okta and as Entra perform it, with the payloads they send.

create -> update department (and manager) -> deactivate -> reactivate -> delete, checking
the account, its data scope, its sessions, its leads and the audit trail at each step.
"""

from __future__ import annotations

from urllib.parse import quote

import sqlalchemy as sa

from app.auth.models import Device
from app.hr.models import HrAudit
from app.leads.models import Lead, LeadOwnerEvent
from app.org.models import Staff
from tests.app.auth.helpers import assert_problem, get_me, post_login, post_refresh
from tests.app.hr.conftest import assert_scim_error, fixture, ok
from tests.factories import password_hash
from tests.factories_geo import IN_E1, IN_W, make_lead, set_pool_rules


def _staff(db, user_id: str) -> Staff:
    db.expire_all()
    staff = db.get(Staff, int(user_id))
    assert staff is not None
    return staff


def _filter(scim, expression: str) -> dict:
    return ok(scim.get(f"/Users?filter={quote(expression)}&startIndex=1&count=100"))


def _leaver_events(db, staff_id: int) -> list[LeadOwnerEvent]:
    stmt = sa.select(LeadOwnerEvent).where(
        LeadOwnerEvent.from_owner_id == staff_id, LeadOwnerEvent.reason == "leaver"
    )
    return list(db.scalars(stmt))


def _audit_actions(db, staff_id: int) -> list[str]:
    stmt = sa.select(HrAudit.action).where(HrAudit.staff_id == staff_id).order_by(HrAudit.id)
    return list(db.scalars(stmt))


def test_okta_life_cycle(db, client, scim, mapped):
    org = mapped
    probe = _filter(scim, 'userName eq "LI.WEI@ACME.EXAMPLE"')
    assert probe["totalResults"] == 0 and probe["Resources"] == []

    created = ok(
        scim.post("/Users", fixture("okta_create_user.json"), content_type="application/json"),
        201,
    )
    user_id = created["id"]
    assert created["userName"] == "Li.Wei@acme.example"
    assert created["active"] is True and "password" not in created
    assert created["groups"][0]["value"] == f"node-{org['e1'].id}"
    staff = _staff(db, user_id)
    assert (staff.user_name, staff.external_hr_id) == (
        "li.wei@acme.example",
        "00u1ab2cdEFGH3ijk4l5",
    )
    assert (staff.employee_number, staff.email) == ("A1001", "li.wei@acme.example")
    assert (staff.phone, staff.name, staff.role) == ("+8613800001234", "Li Wei", "rep")
    assert staff.org_node_id == org["e1"].id
    assert staff.password_hash is None  # Okta's password is ignored: no login until set

    found = _filter(scim, 'userName eq "LI.WEI@ACME.EXAMPLE"')
    assert [r["id"] for r in found["Resources"]] == [user_id]
    again = fixture("okta_create_user.json")
    again["userName"] = "li.wei@ACME.example"
    assert_scim_error(scim.post("/Users", again), 409, "uniqueness")

    # The rep works: a password from an admin, a login, two private leads.
    staff.password_hash = password_hash()
    db.flush()
    tokens = post_login(client, "LI.WEI@acme.example").get_json()
    assert get_me(client, tokens["access_token"]).get_json()["org_node_id"] == org["e1"].id
    leads = [make_lead(db, *IN_E1, owner=staff), make_lead(db, *IN_E1, owner=staff)]

    manager = org["rep_w"]
    body = fixture("okta_replace_user.json", user_id=user_id, manager_id=manager.id)
    replaced = ok(scim.put(f"/Users/{user_id}", body))
    assert _staff(db, user_id).org_node_id == org["w"].id
    assert replaced["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"] == {
        "value": str(manager.id),
        "$ref": f"http://localhost/scim/v2/Users/{manager.id}",
    }
    # Scope follows on the next request.
    assert get_me(client, tokens["access_token"]).get_json()["org_node_id"] == org["w"].id

    deactivated = ok(scim.patch(f"/Users/{user_id}", fixture("okta_deactivate.json")))
    assert deactivated["active"] is False
    assert get_me(client, tokens["access_token"]).status_code == 401
    assert post_refresh(client, tokens["refresh_token"]).status_code == 401
    rep_token = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get("/api/v1/sync/pull", headers=rep_token).status_code == 401  # sync too
    assert (
        db.scalar(
            sa.select(sa.func.count()).where(
                Device.staff_id == staff.id, Device.unbound_at.is_(None)
            )
        )
        == 0
    )
    db.expire_all()
    assert all(db.get(Lead, lead.id).owner_id is None for lead in leads)
    assert len(_leaver_events(db, staff.id)) == 2

    # Deactivating again releases nothing more; the user stays readable and filterable.
    ok(scim.patch(f"/Users/{user_id}", fixture("okta_deactivate.json")))
    assert len(_leaver_events(db, staff.id)) == 2
    assert ok(scim.get(f"/Users/{user_id}"))["active"] is False
    inactive = _filter(scim, 'active eq false and userName eq "li.wei@acme.example"')
    assert [r["id"] for r in inactive["Resources"]] == [user_id]
    assert_problem(post_login(client, "A1001"), 403, "auth.account_inactive")

    reactivated = ok(scim.patch(f"/Users/{user_id}", fixture("okta_reactivate.json")))
    assert reactivated["active"] is True
    assert post_login(client, "A1001").status_code == 200
    db.expire_all()
    assert all(db.get(Lead, lead.id).owner_id is None for lead in leads)  # leads stay public

    ok(scim.delete(f"/Users/{user_id}"), 204)
    assert_scim_error(scim.get(f"/Users/{user_id}"), 404)
    assert _filter(scim, 'externalId eq "00u1ab2cdEFGH3ijk4l5"')["totalResults"] == 0
    gone = _staff(db, user_id)
    assert gone.active is False and gone.user_name is None and gone.external_hr_id is None
    assert _audit_actions(db, staff.id) == [
        "create",
        "replace",
        "deactivate",
        "patch",
        "reactivate",
        "delete",
    ]
    # The userName is free again for a re-hire.
    ok(scim.post("/Users", fixture("okta_create_user.json") | {"externalId": "00u-rehire"}), 201)


def test_entra_life_cycle(db, client, scim, mapped):
    org = mapped
    set_pool_rules(db, org["w"], leaver_leads="transfer_to_manager")
    assert _filter(scim, 'userName eq "Zhang.Min@acme.example"')["totalResults"] == 0
    created = ok(scim.post("/Users", fixture("entra_create_user.json")), 201)
    user_id = created["id"]
    assert created["name"] == {"formatted": "Min Zhang", "familyName": "Zhang", "givenName": "Min"}
    assert "title" not in created and "roles" not in created
    staff = _staff(db, user_id)
    assert staff.org_node_id == org["e1"].id and staff.external_hr_id == "zhang.min"

    manager = org["rep_w"]
    updated = ok(
        scim.patch(f"/Users/{user_id}", fixture("entra_update_user.json", manager_id=manager.id))
    )
    enterprise = updated["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]
    assert enterprise["department"] == "Sales W" and enterprise["organization"] == "Acme"
    assert enterprise["manager"]["value"] == str(manager.id)
    assert updated["emails"] == [
        {"primary": True, "type": "work", "value": "min.zhang@acme.example"}
    ]
    assert updated["phoneNumbers"] == [{"type": "mobile", "value": "+8613900005678"}]
    assert updated["name"]["familyName"] == "Zhang-Li" and updated["name"]["givenName"] == "Min"
    staff = _staff(db, user_id)
    assert (staff.name, staff.email, staff.phone) == (
        "Zhang-Li Min",
        "min.zhang@acme.example",
        "+8613900005678",
    )
    assert staff.org_node_id == org["w"].id

    staff.password_hash = password_hash()
    db.flush()
    tokens = post_login(client, "+8613900005678").get_json()
    in_w = make_lead(db, *IN_W, owner=staff)
    in_e1 = make_lead(db, *IN_E1, owner=staff)

    ok(scim.patch(f"/Users/{user_id}", fixture("entra_deactivate.json")))
    assert get_me(client, tokens["access_token"]).status_code == 401
    db.expire_all()
    assert db.get(Lead, in_w.id).owner_id == manager.id  # W says transfer_to_manager
    assert db.get(Lead, in_e1.id).owner_id is None  # outside the manager's territory: pool
    events = _leaver_events(db, staff.id)
    assert sorted((e.lead_id, e.to_owner_id) for e in events) == sorted(
        [(in_w.id, manager.id), (in_e1.id, None)]
    )

    ok(scim.patch(f"/Users/{user_id}", fixture("entra_reactivate.json")))
    assert post_login(client, "+8613900005678", device_id="device-0002").status_code == 200
    db.expire_all()
    assert db.get(Lead, in_w.id).owner_id == manager.id
    ok(scim.delete(f"/Users/{user_id}"), 204)
    assert len(_leaver_events(db, staff.id)) == 2
    actions = _audit_actions(db, staff.id)
    assert actions == ["create", "patch", "deactivate", "reactivate", "delete"]
    entry = db.scalars(
        sa.select(HrAudit).where(HrAudit.staff_id == staff.id, HrAudit.action == "deactivate")
    ).one()
    assert entry.actor == "okta" and entry.before["active"] is True
    assert entry.after["active"] is False
    assert entry.detail["leads_transferred"] == 1 and entry.detail["leads_released"] == 1


def test_entra_groups_move_people_between_nodes(db, client, scim, mapped):
    org = mapped
    user_id = ok(scim.post("/Users", fixture("entra_create_user.json")), 201)["id"]
    group = ok(scim.post("/Groups", fixture("entra_create_group.json")), 201)
    node_id = int(group["id"].removeprefix("node-"))
    assert group["externalId"] == "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159"
    probe = ok(
        scim.get(
            "/Groups?excludedAttributes=members&filter=" + quote('displayName eq "key accounts"')
        )
    )
    assert [g["id"] for g in probe["Resources"]] == [group["id"]]

    added = ok(
        scim.patch(
            f"/Groups/{group['id']}", fixture("entra_group_add_member.json", user_id=user_id)
        )
    )
    assert [m["value"] for m in added["members"]] == [user_id]
    assert _staff(db, user_id).org_node_id == node_id
    expression = quote('members eq "' + user_id + '"')
    member_of = ok(scim.get(f"/Groups?filter={expression}"))
    assert [g["id"] for g in member_of["Resources"]] == [group["id"]]

    removed = ok(
        scim.patch(
            f"/Groups/{group['id']}", fixture("entra_group_remove_member.json", user_id=user_id)
        )
    )
    assert "members" not in removed
    assert _staff(db, user_id).org_node_id is None  # no node, never the parent: empty scope
    alerts = client.get(
        "/api/v1/hr/alerts", headers=_admin_headers(client, org["admin"])
    ).get_json()
    assert any(a["kind"] == "removed_from_group" and a["staff_id"] == int(user_id) for a in alerts)

    ok(scim.delete(f"/Groups/{group['id']}"), 204)
    assert_scim_error(scim.get(f"/Groups/{group['id']}"), 404)


def test_okta_group_push_and_member_removal(db, scim, mapped):
    org = mapped
    user_id = ok(scim.post("/Users", fixture("okta_create_user.json")), 201)["id"]
    group = ok(scim.post("/Groups", fixture("okta_push_group.json", user_id=user_id)), 201)
    assert [m["value"] for m in group["members"]] == [user_id]
    assert group["members"][0]["type"] == "User"
    assert_scim_error(scim.delete(f"/Groups/{group['id']}"), 409)  # still has a member
    body = fixture("okta_group_remove_member.json", user_id=user_id)
    ok(scim.patch(f"/Groups/{group['id']}", body))
    assert _staff(db, user_id).org_node_id is None
    # Pre-existing org nodes are Groups too, but SCIM cannot delete them.
    assert_scim_error(scim.delete(f"/Groups/node-{org['e1'].id}"), 403)


def _admin_headers(client, admin) -> dict[str, str]:
    from tests.factories import auth_header

    return auth_header(client, admin, device_id="admin-device")
