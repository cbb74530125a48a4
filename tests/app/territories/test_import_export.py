"""GeoJSON FeatureCollection import (hundreds of polygons, all or nothing) and export."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app import create_app
from app.leads.models import Lead
from app.territories.models import Territory
from tests.app.auth.helpers import assert_problem
from tests.factories import make_node
from tests.factories_geo import box, make_geo_org, make_lead

IMPORT, EXPORT = "/api/v1/territories/import", "/api/v1/territories/export"
CELL = 0.005


def grid(node_id: int, columns: int = 20, rows: int = 10) -> dict:
    """columns x rows touching cells east of EAST (lon 121.50-121.60, lat 31.20-31.25)."""
    features = [
        {
            "type": "Feature",
            "geometry": box(
                121.50 + c * CELL, 31.20 + r * CELL, 121.50 + (c + 1) * CELL, 31.20 + (r + 1) * CELL
            ),
            "properties": {"name": f"Cell {r}-{c}", "org_node_id": node_id},
        }
        for r in range(rows)
        for c in range(columns)
    ]
    return {"type": "FeatureCollection", "features": features}


def count(db) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(Territory))


@pytest.fixture
def grid_node(db, org):
    return make_node(db, org["company"], "Grid", "region")


def test_two_hundred_polygons_import_in_one_call(client, db, org, headers, grid_node):
    lead = make_lead(db, 31.2012, 121.5012)
    assert lead.territory_id is None
    before = count(db)

    response = client.post(IMPORT, json=grid(grid_node.id), headers=headers(org["admin"]))

    assert response.status_code == 201, response.get_json()
    result = response.get_json()
    assert result["created"] == 200 and len(result["territory_ids"]) == 200
    assert result["leads_moved"] == 1
    assert count(db) == before + 200
    db.expire_all()
    assert db.get(Lead, lead.id).territory_id == result["territory_ids"][0]


BAD_FEATURES = {
    "self-intersection": (
        lambda f: f.update(
            geometry={
                "type": "Polygon",
                "coordinates": [
                    [
                        [121.55, 31.21],
                        [121.56, 31.22],
                        [121.56, 31.21],
                        [121.55, 31.22],
                        [121.55, 31.21],
                    ]
                ],
            }
        ),
        422,
        "territory.invalid",
    ),
    "point": (
        lambda f: f.update(geometry={"type": "Point", "coordinates": [121.55, 31.21]}),
        422,
        "territory.invalid",
    ),
    "no-geometry": (lambda f: f.update(geometry=None), 422, "territory.invalid"),
    "not-a-feature": (lambda f: f.update(type="Polygon"), 422, "territory.invalid"),
    "no-name": (lambda f: f["properties"].pop("name"), 422, "territory.invalid"),
    "name-not-text": (lambda f: f["properties"].update(name=7), 422, "territory.invalid"),
    "node-not-int": (lambda f: f["properties"].update(org_node_id="3"), 422, "territory.invalid"),
    "node-missing": (
        lambda f: f["properties"].update(org_node_id=99_999_999),
        403,
        "territory.node_out_of_scope",
    ),
    "overlaps-east": (
        lambda f: f.update(geometry=box(121.45, 31.21, 121.46, 31.22)),
        409,
        "territory.overlap",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FEATURES))
def test_one_bad_feature_fails_the_whole_import_naming_it(
    client, db, org, headers, grid_node, case
):
    spoil, status, code = BAD_FEATURES[case]
    doc = grid(grid_node.id, 10, 6)
    spoil(doc["features"][37])
    before = count(db)

    response = client.post(IMPORT, json=doc, headers=headers(org["admin"]))

    problem = assert_problem(response, status, code)
    assert problem["feature_index"] == 37, problem
    assert "37" in problem["detail"]
    assert count(db) == before


def test_the_last_of_two_hundred_features_failing_undoes_the_199_before(
    client, db, org, headers, grid_node
):
    lead = make_lead(db, 31.2012, 121.5012)
    doc = grid(grid_node.id)
    BAD_FEATURES["self-intersection"][0](doc["features"][199])
    before = count(db)

    response = client.post(IMPORT, json=doc, headers=headers(org["admin"]))

    assert assert_problem(response, 422, "territory.invalid")["feature_index"] == 199
    assert count(db) == before
    db.expire_all()
    assert db.get(Lead, lead.id).territory_id is None


def test_a_team_lead_imports_only_into_the_subtree(client, db, org, headers):
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": box(121.41, 31.21, 121.42, 31.22),
                "properties": {"name": "a", "org_node_id": make_node(db, org["e1"], "S").id},
            },
            {
                "type": "Feature",
                "geometry": box(121.46, 31.21, 121.47, 31.22),
                "properties": {"name": "b", "org_node_id": org["e2"].id},
            },
        ],
    }
    before = count(db)

    response = client.post(IMPORT, json=doc, headers=headers(org["lead_e1"]))

    assert assert_problem(response, 403, "territory.node_out_of_scope")["feature_index"] == 1
    assert count(db) == before


@pytest.mark.parametrize(
    "doc",
    [
        {"type": "FeatureCollection", "features": []},
        {"type": "Feature", "features": [{}]},
        {"type": "FeatureCollection"},
        {"type": "FeatureCollection", "features": {"0": {}}},
        {"type": "FeatureCollection", "features": ["feature"]},
        {
            "type": "FeatureCollection",
            "features": [{}],
            "crs": {"type": "name", "properties": {"name": "EPSG:3857"}},
        },
    ],
)
def test_documents_that_are_not_feature_collections_are_422(client, db, org, headers, doc):
    before = count(db)

    response = client.post(IMPORT, json=doc, headers=headers(org["admin"]))

    assert_problem(response, 422)
    assert count(db) == before


def test_reps_cannot_import(client, org, headers):
    doc = grid(org["e1"].id, 1, 1)
    assert_problem(
        client.post(IMPORT, json=doc, headers=headers(org["rep_e1"])), 403, "auth.forbidden"
    )


def comparable(doc: dict) -> list[tuple]:
    return sorted(
        (f["properties"]["name"], f["properties"]["org_node_id"], json.dumps(f["geometry"]))
        for f in doc["features"]
    )


def test_export_then_import_round_trips(client, db, org, headers):
    admin = headers(org["admin"])
    exported = client.get(EXPORT, headers=admin)
    assert exported.status_code == 200
    doc = exported.get_json()
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 5
    for tid in sorted((f["id"] for f in doc["features"]), reverse=True):  # children first
        assert client.delete(f"/api/v1/territories/{tid}", headers=admin).status_code == 200
    assert count(db) == 0

    imported = client.post(IMPORT, json=doc, headers=admin)

    assert imported.status_code == 201, imported.get_json()
    assert comparable(client.get(EXPORT, headers=admin).get_json()) == comparable(doc)


def test_export_follows_scope(client, org, headers):
    doc = client.get(EXPORT, headers=headers(org["lead_e2"])).get_json()

    assert [f["id"] for f in doc["features"]] == [org["t_e2"].id]
    assert doc["features"][0]["properties"]["name"] == "t_e2"


@pytest.fixture
def cli_app(settings, committed, engine):
    app = create_app(settings, sessions=committed)
    app.extensions["waypoint.engine"] = engine
    return app


def test_cli_import_and_export(cli_app, committed, tmp_path):
    with committed() as session:
        org = make_geo_org(session)
        grid_id = make_node(session, org["company"], "Grid", "region").id
        session.commit()
    source, target = tmp_path / "grid.geojson", tmp_path / "out.geojson"
    source.write_text(json.dumps(grid(grid_id, 5, 4)))
    runner = cli_app.test_cli_runner()

    imported = runner.invoke(args=["territories", "import", str(source)])
    exported = runner.invoke(args=["territories", "export", str(target)])

    assert imported.exit_code == 0, imported.output
    assert "imported 20 territories" in imported.output
    assert exported.exit_code == 0, exported.output
    assert len(json.loads(target.read_text())["features"]) == 25


def test_cli_import_is_all_or_nothing(cli_app, committed, tmp_path):
    with committed() as session:
        org = make_geo_org(session)
        grid_id = make_node(session, org["company"], "Grid", "region").id
        session.commit()
    doc = grid(grid_id, 5, 4)
    doc["features"][7]["geometry"] = {"type": "Point", "coordinates": [121.5, 31.2]}
    source = tmp_path / "bad.geojson"
    source.write_text(json.dumps(doc))

    result = cli_app.test_cli_runner().invoke(args=["territories", "import", str(source)])

    assert result.exit_code != 0
    assert "Feature 7" in result.output and "nothing was imported" in result.output
    with committed() as session:
        assert count(session) == 5
