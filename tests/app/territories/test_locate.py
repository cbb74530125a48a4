"""Which territory a point belongs to: deepest node, border points to exactly one, datums."""

from __future__ import annotations

import pytest

from app.org.models import Role
from geo import datums
from tests.app.auth.helpers import assert_problem
from tests.factories import make_node, make_staff
from tests.factories_geo import IN_E1, IN_W, OUTSIDE, make_lead, make_territory

URL = "/api/v1/territories/locate"


def locate(client, headers, lat, lon, datum=None):
    query = f"{URL}?lat={lat!r}&lon={lon!r}" + (f"&datum={datum}" if datum else "")
    return client.get(query, headers=headers)


def test_a_point_inside_a_team_belongs_to_the_team_not_the_region(client, org, headers):
    response = locate(client, headers(org["rep_e1"]), *IN_E1)

    assert response.status_code == 200
    found = response.get_json()
    assert found["territory"] == {"id": org["t_e1"].id, "name": "t_e1", "org_node_id": org["e1"].id}
    assert found["org_node"]["id"] == org["e1"].id
    assert found["org_node"]["path"] == org["e1"].path
    assert (found["lat"], found["lon"]) == IN_E1


@pytest.mark.parametrize("lat", [31.20, 31.25, 31.30])
def test_the_shared_border_of_siblings_belongs_to_the_lowest_id(client, org, headers, lat):
    lowest = min(org["t_e1"], org["t_e2"], key=lambda t: t.id)

    responses = [locate(client, headers(org["admin"]), lat, 121.45) for _ in range(3)]

    assert {r.get_json()["territory"]["id"] for r in responses} == {lowest.id}


def test_border_ties_go_to_the_lowest_id_whatever_the_creation_order(client, db, org, headers):
    north = make_node(db, org["company"], "North", "region")
    a, b = make_node(db, north, "A"), make_node(db, north, "B")
    first = make_territory(db, b, (121.50, 31.30, 121.60, 31.40))  # B's territory gets the lower id
    make_territory(db, a, (121.40, 31.30, 121.50, 31.40))

    response = locate(client, headers(org["admin"]), 31.35, 121.50)

    assert response.get_json()["territory"]["id"] == first.id


def test_a_point_on_the_region_border_goes_to_a_team_territory(client, org, headers):
    # lon 121.40: on the edge of WEST, W, EAST and E1 at once
    found = locate(client, headers(org["admin"]), 31.25, 121.40).get_json()

    assert found["territory"]["id"] == min(org["t_e1"].id, org["t_w"].id)


def test_nested_territories_resolve_to_the_deepest_node(client, db, org, headers):
    sub = make_node(db, org["e1"], "E1 sub")
    subsub = make_node(db, sub, "E1 sub sub")
    inner = make_territory(db, subsub, (121.41, 31.24, 121.43, 31.26))
    make_territory(db, sub, (121.405, 31.23, 121.44, 31.27))

    found = locate(client, headers(org["admin"]), *IN_E1).get_json()

    assert found["territory"]["id"] == inner.id
    assert found["org_node"]["id"] == subsub.id


def test_outside_every_territory_is_404(client, org, headers):
    assert_problem(locate(client, headers(org["admin"]), *OUTSIDE), 404, "resource.not_found")


def test_another_regions_point_is_404(client, org, headers):
    assert_problem(locate(client, headers(org["rep_e1"]), *IN_W), 404, "resource.not_found")
    assert_problem(locate(client, headers(org["lead_e2"]), *IN_E1), 404, "resource.not_found")
    assert locate(client, headers(org["lead_east"]), *IN_E1).status_code == 200


def test_gcj02_input_is_converted_before_locating(client, org, headers):
    # 190 m west of the E1/E2 border in WGS-84; the same place in GCJ-02 reads ~450 m east of it
    lat, lon = 31.25, 121.448
    gcj_lat, gcj_lon = datums.from_wgs84(lat, lon, "gcj02")
    assert gcj_lon > 121.45

    as_gcj = locate(client, headers(org["admin"]), gcj_lat, gcj_lon, "gcj02").get_json()
    as_wgs = locate(client, headers(org["admin"]), gcj_lat, gcj_lon).get_json()

    assert as_gcj["territory"]["id"] == org["t_e1"].id
    assert (as_gcj["lat"], as_gcj["lon"]) == pytest.approx((lat, lon), abs=1e-7)
    assert as_wgs["territory"]["id"] == org["t_e2"].id


def test_bd09_input_is_converted_before_locating(client, org, headers):
    bd_lat, bd_lon = datums.from_wgs84(31.25, 121.448, "bd09")

    found = locate(client, headers(org["admin"]), bd_lat, bd_lon, "bd09").get_json()

    assert found["territory"]["id"] == org["t_e1"].id


@pytest.mark.parametrize(
    "query",
    [
        "lat=31.25",
        "lon=121.4",
        "lat=91&lon=121.4",
        "lat=31.25&lon=181",
        "lat=NaN&lon=121.4",
        "lat=31.25&lon=inf",
        "lat=north&lon=121.4",
        "lat=31.25&lon=121.4&datum=nad27",
    ],
)
def test_bad_locate_queries_are_422(client, org, headers, query):
    assert_problem(client.get(f"{URL}?{query}", headers=headers(org["admin"])), 422)


def test_locate_needs_a_login(client, org):
    assert_problem(locate(client, {}, *IN_E1), 401, "auth.unauthenticated")


FIJI = {
    "type": "Polygon",
    "coordinates": [
        [[177.0, -19.0], [-178.0, -19.0], [-178.0, -16.0], [177.0, -16.0], [177.0, -19.0]]
    ],
}


@pytest.fixture
def fiji(db):
    company = make_node(db, None, "Pacific", "company")
    team = make_node(db, company, "Fiji")
    return {
        "team": team,
        "territory": make_territory(db, team, FIJI, name="Fiji"),
        "admin": make_staff(db, company, Role.ADMIN),
    }


@pytest.mark.parametrize("lon", [177.0, 178.5, 179.999, 180.0, -180.0, -179.5, -178.0])
def test_a_territory_across_the_antimeridian_covers_both_sides(client, fiji, headers, lon):
    response = locate(client, headers(fiji["admin"]), -17.5, lon)

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["territory"]["id"] == fiji["territory"].id


@pytest.mark.parametrize(
    ("lat", "lon"), [(-17.5, 176.9), (-17.5, -177.9), (-15.9, 179.0), (-17.5, 0.0)]
)
def test_points_beside_the_antimeridian_territory_are_outside(client, fiji, headers, lat, lon):
    assert locate(client, headers(fiji["admin"]), lat, lon).status_code == 404


def test_an_antimeridian_territory_is_stored_split_and_reads_back(client, fiji, headers):
    shape = client.get(
        f"/api/v1/territories/{fiji['territory'].id}", headers=headers(fiji["admin"])
    ).get_json()

    assert shape["geometry"]["type"] == "MultiPolygon"
    assert len(shape["geometry"]["coordinates"]) == 2
    # 5° by 3° at 17.5° S: about 530 km by 334 km
    assert shape["area_m2"] == pytest.approx(530e3 * 334e3, rel=0.01)


def test_leads_across_the_antimeridian_get_the_territory(db, fiji):
    east, west = make_lead(db, -17.0, 179.9), make_lead(db, -17.0, -179.9)

    assert east.territory_id == west.territory_id == fiji["territory"].id
    assert east.org_node_id == fiji["team"].id
