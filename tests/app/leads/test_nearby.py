"""Nearby public-pool leads: exactly the brute-force haversine answer, with claimability."""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.leads import nearby
from app.leads.models import Lead
from geo import datums
from geo.distance import haversine_m
from tests.app.auth.helpers import assert_problem
from tests.factories_geo import IN_E1, make_lead, principal_of, set_pool_rules

URL = "/api/v1/leads/nearby"
CENTRE = (31.25, 121.45)


@pytest.fixture
def scattered(db, org):
    """400 leads over both regions (a quarter owned), some stacked on the same spot."""
    rng = random.Random(20260302)
    owners = [None, None, None, org["rep_e1b"]]
    for i in range(400):
        lat = rng.uniform(31.195, 31.305)  # a few fall just outside every territory
        lon = rng.uniform(121.30, 121.50)
        make_lead(db, lat, lon, owner=rng.choice(owners), lead_id=f"N{i:04d}")
    for i in range(3):  # exact ties in distance: broken by id
        make_lead(db, 31.2512, 121.4211, lead_id=f"T{2 - i}")
    return org


def brute_force(db, node_ids, lat, lon, radius_m, limit):
    rows = db.execute(
        sa.select(Lead.id, Lead.lat, Lead.lon).where(
            Lead.owner_id.is_(None), Lead.territory_id.is_not(None), Lead.org_node_id.in_(node_ids)
        )
    ).all()
    hits = sorted(
        (d, lead_id) for lead_id, la, lo in rows if (d := haversine_m(lat, lon, la, lo)) <= radius_m
    )
    return [(lead_id, round(d, 1)) for d, lead_id in hits[:limit]]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # the data is only read
)
@given(
    dlat=st.floats(-0.12, 0.12),
    dlon=st.floats(-0.2, 0.2),
    radius_m=st.one_of(st.floats(1, 50_000), st.sampled_from([1.0, 625.0, 1250.0, 50_000.0])),
    limit=st.integers(1, 100),
    who=st.sampled_from(["rep_e1", "rep_e2", "lead_east", "admin"]),
)
def test_same_set_and_order_as_brute_force(db, scattered, dlat, dlon, radius_m, limit, who):
    lat, lon = CENTRE[0] + dlat, CENTRE[1] + dlon
    principal = principal_of(db, scattered[who])
    node_ids = {
        "rep_e1": [scattered["e1"].id],
        "rep_e2": [scattered["e2"].id],
        "lead_east": [scattered[n].id for n in ("east", "e1", "e2")],
        "admin": [n.id for n in scattered.nodes.values()],
    }[who]

    found = nearby.nearby(db, principal, lat=lat, lon=lon, radius_m=radius_m, limit=limit)

    assert [(f.lead.id, f.distance_m) for f in found] == brute_force(
        db, node_ids, lat, lon, radius_m, limit
    )


def test_ties_in_distance_come_by_id(db, scattered):
    found = nearby.nearby(
        db, principal_of(db, scattered["rep_e1"]), lat=31.2512, lon=121.4211, radius_m=1, limit=5
    )

    assert [f.lead.id for f in found] == ["T0", "T1", "T2"]
    assert {f.distance_m for f in found} == {0.0}


def test_over_http_only_public_leads_in_my_territories_nearest_first(client, db, org, headers):
    near = make_lead(db, 31.2501, 121.42)
    far = make_lead(db, 31.2550, 121.42)
    make_lead(db, 31.2502, 121.42, owner=org["rep_e1b"])  # owned: never listed
    make_lead(db, 31.2503, 121.4505)  # in E2: not my territory
    make_lead(db, 31.1990, 121.42)  # in no territory

    response = client.get(
        f"{URL}?lat=31.25&lon=121.42&radius_m=5000", headers=headers(org["rep_e1"])
    )

    assert response.status_code == 200
    items = response.get_json()
    assert [i["id"] for i in items] == [near.id, far.id]
    assert items[0]["distance_m"] == pytest.approx(11.1, abs=0.1)
    assert items[0]["claimable"] is True and items[0]["reason"] is None
    assert items[0]["territory_id"] == org["t_e1"].id


def test_the_query_point_is_converted_from_its_datum(client, db, org, headers):
    lead = make_lead(db, *IN_E1)
    gcj = datums.from_wgs84(IN_E1[0] + 0.001, IN_E1[1], "gcj02")
    rep = headers(org["rep_e1"])

    as_gcj = client.get(f"{URL}?lat={gcj[0]}&lon={gcj[1]}&datum=gcj02", headers=rep).get_json()
    as_wgs = client.get(f"{URL}?lat={gcj[0]}&lon={gcj[1]}", headers=rep).get_json()

    assert [(i["id"], i["distance_m"]) for i in as_gcj] == [
        (lead.id, pytest.approx(111.2, abs=0.2))
    ]
    assert as_wgs[0]["distance_m"] > 400  # read as WGS-84 the point is ~500 m off


def test_default_radius_is_2_km_and_limit_20(client, db, org, headers):
    for i in range(25):
        make_lead(db, 31.25 + i * 1e-4, 121.42)
    make_lead(db, 31.25 + 2100 / 111_195, 121.43)

    items = client.get(f"{URL}?lat=31.25&lon=121.42", headers=headers(org["rep_e1"])).get_json()

    assert len(items) == 20
    assert max(i["distance_m"] for i in items) < 2000


@pytest.mark.parametrize(
    "query",
    [
        "lat=31.25&lon=121.42&radius_m=0",
        "lat=31.25&lon=121.42&radius_m=50001",
        "lat=31.25&lon=121.42&radius_m=-5",
        "lat=31.25&lon=121.42&radius_m=NaN",
        "lat=31.25&lon=121.42&radius_m=far",
        "lat=31.25&lon=121.42&limit=0",
        "lat=31.25&lon=121.42&limit=101",
        "lat=31.25&lon=121.42&limit=2.5",
        "lat=31.25&lon=121.42&datum=utm",
        "lat=95&lon=121.42",
        "lat=31.25",
        "lon=121.42",
    ],
)
def test_bad_queries_are_422(client, org, headers, query):
    assert_problem(
        client.get(f"{URL}?{query}", headers=headers(org["rep_e1"])), 422, "request.validation"
    )


def claimability(client, headers, lat=31.25, lon=121.42):
    items = client.get(
        f"{URL}?lat={lat}&lon={lon}&radius_m=3000&limit=100", headers=headers
    ).get_json()
    return {i["id"]: (i["claimable"], i["reason"]) for i in items}


def test_a_lead_i_just_released_shows_the_lockout_and_others_the_cool_down(
    client, db, org, headers
):
    lead = make_lead(db, *IN_E1)
    rep = headers(org["rep_e1"])
    assert client.post(f"/api/v1/leads/{lead.id}/claim", headers=rep).status_code == 200
    assert client.post(f"/api/v1/leads/{lead.id}/release", json={}, headers=rep).status_code == 200

    mine = claimability(client, rep)
    theirs = claimability(client, headers(org["rep_e1b"]))

    assert mine[lead.id] == (False, "previous_owner_lockout")
    assert theirs[lead.id] == (False, "release_cooldown")


def test_a_full_private_pool_shows_capacity_reached(client, db, org, headers):
    set_pool_rules(db, org["company"], capacity=1)
    make_lead(db, 31.26, 121.42, owner=org["rep_e1"])
    lead = make_lead(db, *IN_E1)

    assert claimability(client, headers(org["rep_e1"]))[lead.id] == (False, "capacity_reached")
    assert claimability(client, headers(org["rep_e1b"]))[lead.id] == (True, None)


def test_the_daily_cap_shows_daily_cap_reached(client, db, org, headers):
    set_pool_rules(db, org["company"], daily_claim_cap=1)
    first, second = make_lead(db, *IN_E1), make_lead(db, 31.251, 121.42)
    rep = headers(org["rep_e1"])
    assert client.post(f"/api/v1/leads/{first.id}/claim", headers=rep).status_code == 200

    assert claimability(client, rep)[second.id] == (False, "daily_cap_reached")


def test_managers_see_the_pool_but_are_not_reps(client, db, org, headers):
    lead = make_lead(db, *IN_E1)

    assert claimability(client, headers(org["lead_e1"]))[lead.id] == (False, "not_a_rep")


def test_claimability_matches_what_a_claim_then_does(client, db, org, headers):
    set_pool_rules(db, org["company"], capacity=2)
    leads = [make_lead(db, 31.25 + i * 1e-3, 121.42) for i in range(3)]
    rep = headers(org["rep_e1"])

    for lead in leads:
        claimable, reason = claimability(client, rep)[lead.id]
        response = client.post(f"/api/v1/leads/{lead.id}/claim", headers=rep)
        if claimable:
            assert response.status_code == 200
        else:
            assert assert_problem(response, 409, "lead.claim_refused")["reason"] == reason
    db.expire_all()
    assert [db.get(Lead, lead.id).owner_id is not None for lead in leads] == [True, True, False]
