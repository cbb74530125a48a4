"""Who sees which leads; the cross-region guard on every action (403, or 404 leaking nothing)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.leads.models import Lead, LeadOwnerEvent
from tests.app.auth.helpers import assert_problem
from tests.factories_geo import IN_E1, IN_E2, IN_W, make_lead

URL = "/api/v1/leads"


@pytest.fixture
def leads(db, org):
    made = {
        "pub_e1": make_lead(db, *IN_E1),
        "own_e1": make_lead(db, 31.26, 121.42, owner=org["rep_e1"]),
        "other_e1": make_lead(db, 31.27, 121.42, owner=org["rep_e1b"]),
        "pub_e2": make_lead(db, *IN_E2),
        "own_e2": make_lead(db, 31.26, 121.48, owner=org["rep_e2"]),
        "pub_w": make_lead(db, *IN_W),
        "own_w": make_lead(db, 31.26, 121.35, owner=org["rep_w"]),
        "no_territory_e1": make_lead(db, 31.28, 121.42),
    }
    made["no_territory_e1"].territory_id = None  # its territory was deleted; the node stays
    db.flush()
    return made


def listed(client, headers, query=""):
    response = client.get(f"{URL}?limit=500{query}", headers=headers)
    assert response.status_code == 200
    return {item["id"] for item in response.get_json()["items"]}


def ids(leads, *names):
    return {leads[name].id for name in names}


def test_a_rep_sees_the_public_pool_of_their_territories_and_their_own_leads(
    client, org, leads, headers
):
    assert listed(client, headers(org["rep_e1"])) == ids(leads, "pub_e1", "own_e1")
    assert listed(client, headers(org["rep_e1"]), "&owner=me") == ids(leads, "own_e1")
    assert listed(client, headers(org["rep_e1"]), "&owner=public") == ids(leads, "pub_e1")
    assert listed(client, headers(org["rep_w"])) == ids(leads, "pub_w", "own_w")


def test_team_leads_see_their_whole_subtree_and_nothing_beside_it(client, org, leads, headers):
    e1 = ids(leads, "pub_e1", "own_e1", "other_e1", "no_territory_e1")
    e2 = ids(leads, "pub_e2", "own_e2")
    assert listed(client, headers(org["lead_e1"])) == e1
    assert listed(client, headers(org["lead_e2"])) == e2
    assert listed(client, headers(org["lead_east"])) == e1 | e2
    assert listed(client, headers(org["lead_w"])) == ids(leads, "pub_w", "own_w")
    assert listed(client, headers(org["admin"])) == e1 | e2 | ids(leads, "pub_w", "own_w")


def test_list_filters(client, org, leads, headers):
    lead_east = headers(org["lead_east"])
    assert listed(client, lead_east, f"&owner={org['rep_e2'].id}") == ids(leads, "own_e2")
    assert listed(client, lead_east, f"&org_node_id={org['e2'].id}") == ids(
        leads, "pub_e2", "own_e2"
    )
    page = client.get(f"{URL}?limit=2&offset=1", headers=lead_east).get_json()
    assert page["total"] == 6 and len(page["items"]) == 2 and page["offset"] == 1


@pytest.mark.parametrize(
    ("who", "lead", "visible"),
    [
        ("rep_e1", "pub_e1", True),
        ("rep_e1", "own_e1", True),
        ("rep_e1", "other_e1", False),
        ("rep_e1", "no_territory_e1", False),
        ("rep_e1", "pub_e2", False),
        ("rep_e1", "own_w", False),
        ("lead_e1", "other_e1", True),
        ("lead_e1", "pub_e2", False),
        ("lead_w", "own_e1", False),
        ("lead_east", "own_e2", True),
    ],
)
def test_reading_and_history_outside_scope_are_404(client, org, leads, headers, who, lead, visible):
    for path in ("", "/history"):
        response = client.get(f"{URL}/{leads[lead].id}{path}", headers=headers(org[who]))
        if visible:
            assert response.status_code == 200
        else:
            assert_problem(response, 404, "resource.not_found")


def test_an_unknown_id_reads_as_the_same_404(client, org, leads, headers):
    unknown = client.get(f"{URL}/no-such-lead", headers=headers(org["rep_e1"])).get_json()
    hidden = client.get(f"{URL}/{leads['pub_e2'].id}", headers=headers(org["rep_e1"])).get_json()

    assert {k: v for k, v in unknown.items() if k != "detail"} == {
        k: v for k, v in hidden.items() if k != "detail"
    }


def test_a_rep_cannot_create_in_another_teams_territory(client, db, org, headers):
    for n, at in enumerate((IN_E2, IN_W)):
        body = {"id": f"x-{n}", "name": "Far Away Co", "lat": at[0], "lon": at[1]}
        response = client.post(URL, json=body, headers=headers(org["rep_e1"]))
        assert_problem(response, 403, "out_of_territory")
    assert db.scalar(sa.select(sa.func.count()).select_from(Lead).where(Lead.id.like("x-%"))) == 0


def test_a_team_lead_cannot_create_in_a_sibling_subtree(client, org, headers):
    body = {"id": "x-1", "name": "Far Away Co", "lat": IN_E2[0], "lon": IN_E2[1]}

    assert_problem(
        client.post(URL, json=body, headers=headers(org["lead_e1"])), 403, "out_of_territory"
    )


@pytest.mark.parametrize(
    ("lead", "status", "code"),
    [
        ("pub_e2", 404, "resource.not_found"),
        ("pub_w", 404, "resource.not_found"),
        ("no_territory_e1", 404, "resource.not_found"),
        # in my territory but someone else's: the answer a rep who lost a claim race gets
        ("other_e1", 409, "already_claimed"),
    ],
)
def test_a_rep_cannot_claim_outside_their_territories_or_anothers_lead(
    client, db, org, leads, headers, lead, status, code
):
    response = client.post(f"{URL}/{leads[lead].id}/claim", headers=headers(org["rep_e1"]))

    assert_problem(response, status, code)
    db.expire_all()
    assert db.get(Lead, leads[lead].id).owner_id == (leads[lead].owner_id)
    assert db.scalar(sa.select(sa.func.count()).select_from(LeadOwnerEvent)) == 0


def test_claiming_an_unknown_id_is_404(client, org, headers):
    response = client.post(f"{URL}/no-such-lead/claim", headers=headers(org["rep_e1"]))

    assert_problem(response, 404, "resource.not_found")


@pytest.mark.parametrize("lead", ["own_e2", "own_w", "other_e1"])
def test_a_rep_cannot_edit_or_release_anothers_lead(client, db, org, leads, headers, lead):
    rep = headers(org["rep_e1"])
    lead_id, owner = leads[lead].id, leads[lead].owner_id

    edit = client.patch(f"{URL}/{lead_id}", json={"name": "Mine now"}, headers=rep)
    release = client.post(f"{URL}/{lead_id}/release", json={}, headers=rep)

    assert_problem(edit, 404)
    assert_problem(release, 404)
    db.expire_all()
    assert db.get(Lead, lead_id).owner_id == owner
    assert db.get(Lead, lead_id).name != "Mine now"


def test_a_rep_edits_only_leads_they_own(client, db, org, leads, headers):
    rep = headers(org["rep_e1"])

    public = client.patch(f"{URL}/{leads['pub_e1'].id}", json={"name": "Mine"}, headers=rep)
    own = client.patch(f"{URL}/{leads['own_e1'].id}", json={"stage": "contacted"}, headers=rep)

    assert_problem(public, 403, "lead.not_owner")
    assert own.status_code == 200 and own.get_json()["stage"] == "contacted"


def test_a_rep_cannot_move_their_lead_into_another_teams_territory(client, db, org, leads, headers):
    lead_id = leads["own_e1"].id

    response = client.patch(
        f"{URL}/{lead_id}", json={"lat": IN_E2[0], "lon": IN_E2[1]}, headers=headers(org["rep_e1"])
    )

    assert_problem(response, 403, "out_of_territory")
    db.expire_all()
    assert (db.get(Lead, lead_id).lat, db.get(Lead, lead_id).territory_id) == (
        31.26,
        org["t_e1"].id,
    )


def test_moving_a_lead_re_derives_its_territory(client, db, org, leads, headers):
    response = client.patch(
        f"{URL}/{leads['pub_e1'].id}",
        json={"lat": IN_E2[0], "lon": IN_E2[1]},
        headers=headers(org["lead_east"]),
    )

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["territory_id"] == org["t_e2"].id
    assert response.get_json()["org_node_id"] == org["e2"].id


@pytest.mark.parametrize("action", ["release", "transfer", "patch"])
def test_a_team_lead_cannot_act_in_a_sibling_subtree(client, db, org, leads, headers, action):
    lead_id = leads["own_e2"].id
    lead_e1 = headers(org["lead_e1"])
    if action == "patch":
        response = client.patch(f"{URL}/{lead_id}", json={"name": "X"}, headers=lead_e1)
    else:
        body = {"to_staff_id": org["rep_e1"].id} if action == "transfer" else {}
        response = client.post(f"{URL}/{lead_id}/{action}", json=body, headers=lead_e1)

    assert_problem(response, 404, "resource.not_found")
    db.expire_all()
    assert db.get(Lead, lead_id).owner_id == org["rep_e2"].id


def test_reps_cannot_transfer_and_managers_cannot_claim(client, org, leads, headers):
    transfer = client.post(
        f"{URL}/{leads['own_e1'].id}/transfer",
        json={"to_staff_id": org["rep_e1b"].id},
        headers=headers(org["rep_e1"]),
    )
    claim = client.post(f"{URL}/{leads['pub_e1'].id}/claim", headers=headers(org["lead_e1"]))

    assert_problem(transfer, 403, "auth.forbidden")
    assert_problem(claim, 403, "auth.forbidden")
