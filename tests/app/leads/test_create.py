"""Creating leads: client ids and retries, derived territory, datums, duplicate detection."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.leads.models import Lead
from geo import datums
from geo.distance import haversine_m
from tests.app.auth.helpers import assert_problem
from tests.factories_geo import IN_E1, IN_E2, IN_W, OUTSIDE, make_lead

URL = "/api/v1/leads"


def new_lead(lead_id="c-0001", at=IN_E1, **extra):
    return {"id": lead_id, "name": "Golden Dragon Trading", "lat": at[0], "lon": at[1], **extra}


def count(db) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(Lead))


def test_a_rep_creates_a_lead_placed_by_its_location(client, db, org, headers):
    response = client.post(
        URL,
        json=new_lead(phone="+86 138 1234 5678", address="1 Bund Rd"),
        headers=headers(org["rep_e1"]),
    )

    assert response.status_code == 201, response.get_json()
    lead = response.get_json()
    assert lead["id"] == "c-0001"
    assert lead["territory_id"] == org["t_e1"].id and lead["org_node_id"] == org["e1"].id
    assert lead["owner_id"] is None and lead["stage"] == "new"
    assert (lead["lat"], lead["lon"], lead["datum"]) == (*IN_E1, "wgs84")
    stored = db.get(Lead, "c-0001")
    assert stored.created_by_id == org["rep_e1"].id
    assert stored.phone_key == "13812345678"


def test_a_retried_create_returns_the_same_lead_with_200(client, db, org, headers):
    rep = headers(org["rep_e1"])
    first = client.post(URL, json=new_lead(), headers=rep)

    again = client.post(URL, json=new_lead(), headers=rep)

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert count(db) == 1


@pytest.mark.parametrize("who", ["rep_e1", "rep_e1b"])
def test_the_same_id_with_other_content_is_id_taken(client, db, org, headers, who):
    assert client.post(URL, json=new_lead(), headers=headers(org["rep_e1"])).status_code == 201

    other = new_lead(name="Silver Phoenix Ltd") if who == "rep_e1" else new_lead()
    response = client.post(URL, json=other, headers=headers(org[who]))

    assert_problem(response, 409, "lead.id_taken")
    assert db.get(Lead, "c-0001").name == "Golden Dragon Trading"


@pytest.mark.parametrize(
    "field",
    [
        {"territory_id": 1},
        {"org_node_id": 1},
        {"owner_id": 1},
        {"raw_lat": 31.0},
        {"created_by_id": 1},
    ],
)
def test_derived_fields_in_input_are_refused(client, db, org, headers, field):
    response = client.post(URL, json=new_lead(**field), headers=headers(org["rep_e1"]))

    body = assert_problem(response, 422, "request.validation")
    assert set(body["errors"]["json"]) == set(field)
    assert count(db) == 0


def test_a_team_lead_or_admin_creates_anywhere_in_scope(client, org, headers):
    by_region = client.post(URL, json=new_lead("c-1", IN_E2), headers=headers(org["lead_east"]))
    by_admin = client.post(
        URL, json=new_lead("c-2", IN_W, name="West Co"), headers=headers(org["admin"])
    )

    assert by_region.status_code == 201 and by_region.get_json()["org_node_id"] == org["e2"].id
    assert by_admin.status_code == 201 and by_admin.get_json()["org_node_id"] == org["w"].id


def test_a_location_in_no_territory_is_refused(client, db, org, headers):
    by_admin = client.post(URL, json=new_lead(at=OUTSIDE), headers=headers(org["admin"]))
    by_rep = client.post(URL, json=new_lead(at=OUTSIDE), headers=headers(org["rep_e1"]))

    assert_problem(by_admin, 422, "lead.outside_territories")
    assert_problem(by_rep, 403, "out_of_territory")
    assert count(db) == 0


@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
def test_chinese_datums_are_stored_as_wgs84_with_the_raw_values_kept(
    client, db, org, headers, datum
):
    # 190 m west of the E1/E2 border; read as WGS-84, the shifted values fall in E2
    wgs = (31.25, 121.448)
    raw = datums.from_wgs84(*wgs, datum)

    response = client.post(
        URL,
        json=new_lead(at=raw, datum=datum.upper() if datum == "bd09" else datum),
        headers=headers(org["rep_e1"]),
    )

    if datum == "bd09":  # datum names are case-sensitive choices
        assert_problem(response, 422, "request.validation")
        response = client.post(
            URL, json=new_lead(at=raw, datum=datum), headers=headers(org["rep_e1"])
        )
    assert response.status_code == 201, response.get_json()
    lead = response.get_json()
    assert (lead["raw_lat"], lead["raw_lon"], lead["datum"]) == (*raw, datum)
    assert haversine_m(lead["lat"], lead["lon"], *wgs) < 0.01
    assert lead["territory_id"] == org["t_e1"].id


def test_a_similar_name_within_200_m_is_a_duplicate(client, db, org, headers):
    existing = make_lead(db, 31.25, 121.42, name="Golden Dragon Trading Co., Ltd.")
    near = (31.25 + 150 / 111_195, 121.42)  # 150 m north

    response = client.post(
        URL,
        json=new_lead(at=near, name="GOLDEN DRAGON TRADING (Pudong)"),
        headers=headers(org["rep_e1"]),
    )

    body = assert_problem(response, 409, "lead.duplicate")
    assert body["candidates"] == [
        {
            "id": existing.id,
            "name": existing.name,
            "distance_m": pytest.approx(150, abs=0.5),
            "match": "name_nearby",
        }
    ]
    assert count(db) == 1


def test_a_similar_name_beyond_200_m_is_not_a_duplicate(client, db, org, headers):
    make_lead(db, 31.25, 121.42, name="Golden Dragon Trading")
    far = (31.25 + 250 / 111_195, 121.42)

    response = client.post(URL, json=new_lead(at=far), headers=headers(org["rep_e1"]))

    assert response.status_code == 201, response.get_json()


def test_a_different_name_next_door_is_not_a_duplicate(client, db, org, headers):
    make_lead(db, 31.25, 121.42, name="Silver Phoenix Restaurant")

    response = client.post(URL, json=new_lead(at=(31.2501, 121.42)), headers=headers(org["rep_e1"]))

    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("phone", ["021-6123 4567", "+86 21 6123 4567", "0086 (21) 61234567"])
def test_the_same_phone_anywhere_is_a_duplicate(client, db, org, headers, phone):
    existing = make_lead(db, *IN_E1, name="Something Else", phone="021 61234567")

    response = client.post(URL, json=new_lead(phone=phone), headers=headers(org["rep_e1"]))

    body = assert_problem(response, 409, "lead.duplicate")
    assert [(c["id"], c["match"]) for c in body["candidates"]] == [(existing.id, "phone")]


def test_a_duplicate_in_another_region_blocks_without_revealing_it(client, db, org, headers):
    make_lead(db, *IN_W, name="Something Else", phone="021 61234567")

    response = client.post(
        URL, json=new_lead(phone="+86 21 6123 4567"), headers=headers(org["rep_e1"])
    )

    body = assert_problem(response, 409, "lead.duplicate")
    assert (body["candidates"], body["hidden_matches"]) == ([], 1)


def test_force_true_creates_despite_duplicates(client, db, org, headers):
    make_lead(db, 31.25, 121.42, name="Golden Dragon Trading")

    response = client.post(
        f"{URL}?force=true", json=new_lead(at=(31.2501, 121.42)), headers=headers(org["rep_e1"])
    )

    assert response.status_code == 201, response.get_json()
    assert count(db) == 2


def test_duplicate_candidates_come_nearest_first(client, db, org, headers):
    far = make_lead(db, 31.25 + 180 / 111_195, 121.42, name="Golden Dragon")
    near = make_lead(db, 31.25 + 20 / 111_195, 121.42, name="Golden Dragon Trading Ltd")

    body = client.post(URL, json=new_lead(), headers=headers(org["rep_e1"])).get_json()

    assert [c["id"] for c in body["candidates"]] == [near.id, far.id]
