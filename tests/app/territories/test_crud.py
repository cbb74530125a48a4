"""Territory create, read, edit and delete: who may, and how the leads follow each edit."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.leads.models import Lead
from app.territories.models import Territory
from tests.app.auth.helpers import assert_problem
from tests.factories import make_node
from tests.factories_geo import E1_BOX, IN_E1, IN_E2, box, make_lead

URL = "/api/v1/territories"


def body(node, shape, name="T"):
    return {"org_node_id": node.id, "name": name, "geometry": box(*shape)}


def lead_row(db, lead):
    db.expire_all()
    return db.get(Lead, lead.id)


def test_create_moves_the_leads_it_covers_to_the_new_deepest_node(client, db, org, headers):
    sub = make_node(db, org["e1"], "E1 north")
    inside, outside = make_lead(db, 31.28, 121.42), make_lead(db, 31.22, 121.42)
    assert lead_row(db, inside).org_node_id == org["e1"].id

    response = client.post(
        URL, json=body(sub, (121.40, 31.27, 121.45, 31.30)), headers=headers(org["admin"])
    )

    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["leads_moved"] == 1 and created["leads_orphaned"] == 0
    assert created["territory"]["org_node_id"] == sub.id
    assert created["territory"]["vertex_count"] == 4
    assert created["territory"]["area_m2"] == pytest.approx(4_769 * 3_336, rel=0.01)
    assert lead_row(db, inside).territory_id == created["territory"]["id"]
    assert lead_row(db, inside).org_node_id == sub.id
    assert lead_row(db, outside).territory_id == org["t_e1"].id


def test_a_new_territory_picks_up_leads_that_were_in_none(client, db, org, headers):
    node = make_node(db, org["company"], "South", "region")
    stray = make_lead(db, 31.10, 121.42)
    assert stray.territory_id is None

    response = client.post(
        URL, json=body(node, (121.40, 31.05, 121.45, 31.15)), headers=headers(org["admin"])
    )

    assert response.status_code == 201
    assert response.get_json()["leads_moved"] == 1
    assert lead_row(db, stray).org_node_id == node.id


def test_reshaping_reports_moved_and_orphaned_leads(client, db, org, headers):
    sub = make_node(db, org["e1"], "E1 north")
    territory = client.post(
        URL, json=body(sub, (121.40, 31.27, 121.45, 31.30)), headers=headers(org["admin"])
    ).get_json()["territory"]
    north, middle = make_lead(db, 31.29, 121.42), make_lead(db, 31.25, 121.42)

    grown = client.patch(
        f"{URL}/{territory['id']}",
        json={"geometry": box(121.40, 31.24, 121.45, 31.28)},
        headers=headers(org["admin"]),
    )

    assert grown.status_code == 200, grown.get_json()
    # north falls back to E1's own territory, middle comes in: two moved, none orphaned
    assert grown.get_json()["leads_moved"] == 2
    assert grown.get_json()["leads_orphaned"] == 0
    assert lead_row(db, north).territory_id == org["t_e1"].id
    assert lead_row(db, middle).territory_id == territory["id"]


def test_reassigning_a_territory_to_another_node_moves_its_leads(client, db, org, headers):
    sub_a = make_node(db, org["e1"], "A")
    sub_b = make_node(db, org["e1"], "B")
    territory = client.post(
        URL, json=body(sub_a, (121.40, 31.27, 121.45, 31.30)), headers=headers(org["admin"])
    ).get_json()["territory"]
    lead = make_lead(db, 31.29, 121.42)

    moved = client.patch(
        f"{URL}/{territory['id']}",
        json={"org_node_id": sub_b.id, "name": "Renamed"},
        headers=headers(org["lead_e1"]),
    )

    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["leads_moved"] == 1
    assert moved.get_json()["territory"]["name"] == "Renamed"
    assert lead_row(db, lead).org_node_id == sub_b.id


def test_delete_hands_leads_to_the_next_covering_territory(client, db, org, headers):
    lead, gone = make_lead(db, *IN_E1), org["t_e1"].id

    deleted = client.delete(f"{URL}/{gone}", headers=headers(org["admin"]))

    assert deleted.status_code == 200
    assert deleted.get_json() == {"leads_moved": 1, "leads_orphaned": 0}
    assert lead_row(db, lead).territory_id == org["t_east"].id
    assert lead_row(db, lead).org_node_id == org["east"].id
    assert db.get(Territory, gone) is None


def test_deleting_the_last_cover_orphans_the_lead(client, db, org, headers):
    lead = make_lead(db, *IN_E2)
    admin = headers(org["admin"])
    assert client.delete(f"{URL}/{org['t_e2'].id}", headers=admin).status_code == 200

    last = client.delete(f"{URL}/{org['t_east'].id}", headers=admin)

    assert last.get_json() == {"leads_moved": 1, "leads_orphaned": 1}
    assert lead_row(db, lead).territory_id is None


def test_team_lead_manages_territories_inside_the_subtree(client, db, org, headers):
    sub = make_node(db, org["e1"], "E1 north")
    lead_e1 = headers(org["lead_e1"])

    created = client.post(URL, json=body(sub, (121.40, 31.27, 121.45, 31.30)), headers=lead_e1)
    assert created.status_code == 201, created.get_json()
    tid = created.get_json()["territory"]["id"]
    assert client.patch(f"{URL}/{tid}", json={"name": "N"}, headers=lead_e1).status_code == 200
    assert client.delete(f"{URL}/{tid}", headers=lead_e1).status_code == 200


def test_team_lead_cannot_touch_a_sibling_subtree(client, db, org, headers):
    lead_e1 = headers(org["lead_e1"])
    before = db.scalar(sa.select(sa.func.count()).select_from(Territory))

    create = client.post(URL, json=body(org["e2"], (121.46, 31.21, 121.47, 31.22)), headers=lead_e1)
    patch = client.patch(f"{URL}/{org['t_e2'].id}", json={"name": "Mine"}, headers=lead_e1)
    delete = client.delete(f"{URL}/{org['t_e2'].id}", headers=lead_e1)
    read = client.get(f"{URL}/{org['t_e2'].id}", headers=lead_e1)
    move = client.patch(
        f"{URL}/{org['t_e1'].id}", json={"org_node_id": org["e2"].id}, headers=lead_e1
    )

    assert_problem(create, 403, "territory.node_out_of_scope")
    for response in (patch, delete, read):
        assert_problem(response, 404, "resource.not_found")
    assert_problem(move, 403, "territory.node_out_of_scope")
    db.expire_all()
    assert db.scalar(sa.select(sa.func.count()).select_from(Territory)) == before
    assert db.get(Territory, org["t_e2"].id).name == "t_e2"
    assert db.get(Territory, org["t_e1"].id).org_node_id == org["e1"].id


def test_reps_cannot_manage_territories(client, db, org, headers):
    rep = headers(org["rep_e1"])

    create = client.post(URL, json=body(org["e1"], (121.41, 31.21, 121.42, 31.22)), headers=rep)
    patch = client.patch(f"{URL}/{org['t_e1'].id}", json={"name": "Mine"}, headers=rep)
    delete = client.delete(f"{URL}/{org['t_e1'].id}", headers=rep)

    for response in (create, patch, delete):
        assert_problem(response, 403, "auth.forbidden")
    db.expire_all()
    assert db.get(Territory, org["t_e1"].id).name == "t_e1"


def test_listing_and_reading_follow_scope(client, org, headers):
    everything = client.get(URL, headers=headers(org["admin"])).get_json()
    assert len(everything) == 5
    mine = client.get(URL, headers=headers(org["lead_e1"])).get_json()
    assert [t["id"] for t in mine] == [org["t_e1"].id]
    east = client.get(URL, headers=headers(org["lead_east"])).get_json()
    assert {t["id"] for t in east} == {org["t_east"].id, org["t_e1"].id, org["t_e2"].id}
    by_node = client.get(f"{URL}?org_node_id={org['e2'].id}", headers=headers(org["admin"]))
    assert [t["id"] for t in by_node.get_json()] == [org["t_e2"].id]
    one = client.get(f"{URL}/{org['t_e1'].id}", headers=headers(org["rep_e1"]))
    assert one.status_code == 200
    assert one.get_json()["geometry"]["type"] == "MultiPolygon"
    assert one.get_json()["geometry"]["coordinates"][0][0][0] == [E1_BOX[0], E1_BOX[1]]
    assert client.get(f"{URL}/999999", headers=headers(org["admin"])).status_code == 404
