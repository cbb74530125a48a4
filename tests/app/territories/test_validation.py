"""Territory geometry refusals (problem+json with a reason), overlap and parent containment."""

from __future__ import annotations

import math

import pytest
import sqlalchemy as sa

from app import create_app
from app.territories.models import Territory
from geo import polygons
from tests.app.auth.helpers import assert_problem
from tests.conftest import make_settings
from tests.factories import make_node
from tests.factories_geo import box

URL = "/api/v1/territories"
BOW_TIE = {
    "type": "Polygon",
    "coordinates": [
        [[121.41, 31.21], [121.44, 31.24], [121.44, 31.21], [121.41, 31.24], [121.41, 31.21]]
    ],
}


def count(db) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(Territory))


def circle(n: int, lat=31.25, lon=121.425, r=0.01):
    ring = [
        [lon + r * math.cos(2 * math.pi * i / n), lat + r * math.sin(2 * math.pi * i / n)]
        for i in range(n)
    ]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


@pytest.fixture
def sub(db, org):
    """A node under E1: new territories for it must lie inside E1's box."""
    return make_node(db, org["e1"], "E1 sub")


def post(client, headers, node, geometry, query=""):
    return client.post(
        URL + query,
        json={"org_node_id": node.id, "name": "New", "geometry": geometry},
        headers=headers,
    )


def test_self_intersection_is_refused_with_its_location(client, db, org, headers, sub):
    before = count(db)

    response = post(client, headers(org["admin"]), sub, BOW_TIE)

    problem = assert_problem(response, 422, "territory.invalid")
    assert problem["reason_code"] == "territory.invalid_geometry"
    assert "intersection" in problem["reason"].lower()
    assert problem["location"] == pytest.approx([121.425, 31.225])
    assert count(db) == before


def test_repair_true_repairs_the_self_intersection(client, db, org, headers, sub):
    response = post(client, headers(org["admin"]), sub, BOW_TIE, "?repair=true")

    assert response.status_code == 201, response.get_json()
    geometry = response.get_json()["territory"]["geometry"]
    assert geometry["type"] == "MultiPolygon" and len(geometry["coordinates"]) == 2
    assert polygons.parse_geometry(geometry).is_valid


@pytest.mark.parametrize(
    ("geometry", "reason_code"),
    [
        pytest.param(
            {
                **box(121.41, 31.21, 121.42, 31.22),
                "crs": {"type": "name", "properties": {"name": "EPSG:3857"}},
            },
            "territory.wrong_srid",
            id="declared-3857",
        ),
        pytest.param(
            box(13_502_000.0, 3_662_000.0, 13_503_000.0, 3_663_000.0),
            "territory.wrong_srid",
            id="projected-metres",
        ),
        pytest.param(
            box(31.21, 121.41, 31.22, 121.42), "territory.out_of_range", id="lat-lon-swapped"
        ),
        pytest.param(
            {"type": "Point", "coordinates": [121.42, 31.25]},
            "territory.wrong_geometry_type",
            id="point",
        ),
        pytest.param(
            {"type": "LineString", "coordinates": [[121.41, 31.21], [121.42, 31.22]]},
            "territory.wrong_geometry_type",
            id="linestring",
        ),
        pytest.param(
            {"type": "Polygon", "coordinates": "abc"}, "territory.malformed", id="coords-string"
        ),
        pytest.param({"type": "Polygon"}, "territory.malformed", id="no-coordinates"),
        pytest.param({"coordinates": [[[0, 0]]]}, "territory.malformed", id="no-type"),
        pytest.param(
            {
                "type": "Polygon",
                "coordinates": [
                    [[121.41, 31.21], [121.42, 31.21], [121.42, 31.22], [121.41, 31.22]]
                ],
            },
            "territory.malformed",
            id="ring-not-closed",
        ),
        pytest.param(
            {
                "type": "Polygon",
                "coordinates": [[[121.41, 31.21], [121.42, 31.21], [121.41, 31.21]]],
            },
            "territory.malformed",
            id="three-positions",
        ),
        pytest.param(
            {
                "type": "Polygon",
                "coordinates": [
                    [["121.41", "31.21"], [121.42, 31.21], [121.42, 31.22], ["121.41", "31.21"]]
                ],
            },
            "territory.malformed",
            id="string-numbers",
        ),
        pytest.param({"type": "Polygon", "coordinates": []}, "territory.empty", id="empty"),
        pytest.param(
            {
                "type": "Polygon",
                "coordinates": [
                    [[121.41, 31.21], [121.42, 31.21], [121.43, 31.21], [121.41, 31.21]]
                ],
            },
            "territory.invalid_geometry",
            id="collinear",
        ),
        pytest.param(box(121.41, 31.21, 121.410001, 31.210001), "territory.empty", id="speck"),
    ],
)
def test_geometry_refusals_name_their_reason(client, db, org, headers, sub, geometry, reason_code):
    before = count(db)

    response = post(client, headers(org["admin"]), sub, geometry)

    problem = assert_problem(response, 422, "territory.invalid")
    assert problem["reason_code"] == reason_code, problem
    assert problem["detail"]
    assert count(db) == before


def test_geometry_must_be_an_object(client, org, headers, sub):
    response = post(client, headers(org["admin"]), sub, "POLYGON((0 0, 1 0, 1 1, 0 0))")

    assert assert_problem(response, 422, "request.validation")["errors"]["json"]["geometry"]


def test_vertex_cap_is_configurable(settings, sessions, db, org, sub):
    from tests.factories import auth_header

    app = create_app(
        make_settings(settings.instance_path, settings.database_url, territory_max_vertices=10),
        sessions=sessions,
    )
    client = app.test_client()
    admin = auth_header(client, org["admin"])

    too_many = post(client, admin, sub, circle(11))
    at_cap = post(client, admin, sub, circle(10))

    problem = assert_problem(too_many, 422, "territory.invalid")
    assert problem["reason_code"] == "territory.too_many_vertices"
    assert problem["vertices"] == 11 and problem["max"] == 10
    assert at_cap.status_code == 201, at_cap.get_json()
    assert at_cap.get_json()["territory"]["vertex_count"] == 10


def test_the_vertex_cap_applies_to_edits_too(settings, sessions, org):
    from tests.factories import auth_header

    app = create_app(
        make_settings(settings.instance_path, settings.database_url, territory_max_vertices=10),
        sessions=sessions,
    )
    client = app.test_client()

    response = client.patch(
        f"{URL}/{org['t_e1'].id}",
        json={"geometry": circle(40, r=0.02)},
        headers=auth_header(client, org["admin"]),
    )

    assert assert_problem(response, 422, "territory.invalid")["reason_code"] == (
        "territory.too_many_vertices"
    )


def test_overlap_with_another_team_is_a_conflict_naming_it(client, db, org, headers):
    south = make_node(db, org["company"], "South", "region")
    before = count(db)

    response = post(client, headers(org["admin"]), south, box(121.41, 31.21, 121.42, 31.22))

    problem = assert_problem(response, 409, "territory.overlap")
    assert problem["other_territory_id"] in {org["t_e1"].id, org["t_east"].id}
    expected = polygons.area_m2(polygons.parse_geometry(box(121.41, 31.21, 121.42, 31.22)))
    assert problem["overlap_m2"] == pytest.approx(expected, rel=1e-3)
    assert count(db) == before


def test_editing_into_a_sibling_team_is_a_conflict(client, db, org, headers):
    response = client.patch(
        f"{URL}/{org['t_e1'].id}",
        json={"geometry": box(121.40, 31.20, 121.46, 31.30)},
        headers=headers(org["admin"]),
    )

    problem = assert_problem(response, 409, "territory.overlap")
    assert problem["other_territory_id"] == org["t_e2"].id
    assert problem["other_org_node_id"] == org["e2"].id
    db.expire_all()
    assert (
        polygons.to_geojson(polygons.parse_geometry(box(121.40, 31.20, 121.45, 31.30)))
        == (
            client.get(f"{URL}/{org['t_e1'].id}", headers=headers(org["admin"])).get_json()[
                "geometry"
            ]
        )
    )


def test_touching_territories_and_slivers_under_the_tolerance_are_fine(client, db, org, headers):
    south = make_node(db, org["company"], "South", "region")
    north = make_node(db, org["company"], "North", "region")
    admin = headers(org["admin"])

    touching = post(client, admin, south, box(121.30, 31.10, 121.50, 31.20))
    # 0.2° of longitude by 3e-7° of latitude: about 600 m² inside EAST and WEST, under 1,000 m²
    sliver = post(client, admin, north, box(121.30, 31.2999997, 121.50, 31.40))

    assert touching.status_code == 201, touching.get_json()
    assert sliver.status_code == 201, sliver.get_json()


def test_a_slightly_bigger_overlap_is_refused(client, db, org, headers):
    north = make_node(db, org["company"], "North", "region")

    response = post(client, headers(org["admin"]), north, box(121.30, 31.2999990, 121.50, 31.40))

    assert assert_problem(response, 409, "territory.overlap")["overlap_m2"] > 1_000


def test_nested_child_inside_its_parent_is_fine(client, org, headers, sub):
    response = post(client, headers(org["admin"]), sub, box(121.41, 31.21, 121.44, 31.29))

    assert response.status_code == 201, response.get_json()


def test_child_outside_its_parent_is_refused(client, db, org, headers, sub):
    before = count(db)

    response = post(client, headers(org["admin"]), sub, box(121.41, 31.19, 121.42, 31.21))

    problem = assert_problem(response, 422, "territory.outside_parent")
    half = polygons.area_m2(polygons.parse_geometry(box(121.41, 31.19, 121.42, 31.20)))
    assert problem["uncovered_m2"] == pytest.approx(half, rel=1e-3)
    assert count(db) == before


def test_parent_means_the_nearest_ancestor_with_territories(client, db, org, headers):
    # E1 sub-sub: E1 sub has no territory, so E1's box is the limit
    deep = make_node(db, make_node(db, org["e1"], "No territory"), "Deep")
    admin = headers(org["admin"])

    inside = post(client, admin, deep, box(121.41, 31.21, 121.42, 31.22))
    outside = post(client, admin, deep, box(121.41, 31.195, 121.42, 31.22))

    assert inside.status_code == 201, inside.get_json()
    assert_problem(outside, 422, "territory.outside_parent")
