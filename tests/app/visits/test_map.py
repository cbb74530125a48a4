"""GET /api/v1/visits/map: scope, filters, tracks in fix-time order, datums, bad input, plans.

Visits are inserted as rows (their assessment is not the subject here), with times chosen so
that arrival order, time of record and fix time disagree where that matters.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app import spatial
from app.db import utcnow
from app.leads.models import Lead
from app.org.models import Staff
from app.visits import mapdata
from app.visits.models import Visit
from geo import datums
from tests.app.auth.helpers import assert_problem
from tests.factories import auth_header
from tests.factories_geo import IN_E1, IN_E2, GeoOrg, at, make_geo_org, make_lead, principal_of

URL = "/api/v1/visits/map"
DAY = "from=2026-03-02T00:00:00Z&to=2026-03-03T00:00:00Z"
_ids = itertools.count(1)


def make_visit(
    session: Session,
    rep: Staff,
    lead: Lead,
    *,
    visited_at: datetime,
    fix_time: datetime | None = None,
    received_at: datetime | None = None,
    lat: float | None = None,
    lon: float | None = None,
    verdict: str = "verified",
    findings: list[dict[str, Any]] | None = None,
    located: bool = True,
) -> Visit:
    """Insert a visit row stamped as check-in stamps it (rep's node, lead's territory)."""
    lat, lon = (lat if lat is not None else lead.lat), (lon if lon is not None else lead.lon)
    visit = Visit(
        id=f"map-{next(_ids)}",
        rep_id=rep.id,
        lead_id=lead.id,
        org_node_id=rep.org_node_id,
        territory_id=lead.territory_id,
        device_id="device-map",
        visited_at=visited_at,
        captured_at=visited_at,
        received_at=received_at or visited_at,
        location_collected=located,
        location_not_collected_reason=None if located else "no_location_consent",
        verdict=verdict,
        score=90 if verdict == "verified" else 40,
        findings=findings or [],
    )
    if located:
        visit.lat, visit.lon, visit.geom = lat, lon, spatial.point(lon, lat)
        visit.fix_time = fix_time or visited_at
    session.add(visit)
    session.flush()
    return visit


class World(GeoOrg):
    """The shared two-region org plus one customer in each eastern team."""

    def __init__(self, org: GeoOrg, leads: dict[str, Lead]) -> None:
        super().__init__(org.nodes, org.territories, org.people)
        self.leads = leads

    def __getitem__(self, key: str) -> Any:
        return self.leads[key] if key in self.leads else super().__getitem__(key)


@pytest.fixture
def world(db: Session) -> World:
    org = make_geo_org(db)
    pins = {
        "lead_e1_pin": make_lead(db, *IN_E1, name="E1 Bakery"),
        "lead_e2_pin": make_lead(db, *IN_E2, name="E2 Garage"),
    }
    return World(org, pins)


@pytest.fixture
def auth(client: FlaskClient) -> Callable[[Staff], dict[str, str]]:
    cache: dict[int, dict[str, str]] = {}

    def get(staff: Staff) -> dict[str, str]:
        if staff.id not in cache:
            cache[staff.id] = auth_header(client, staff)
        return cache[staff.id]

    return get


def get_map(client: FlaskClient, headers: dict[str, str], query: str = DAY) -> dict[str, Any]:
    response = client.get(f"{URL}?{query}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/geo+json"
    doc = response.get_json()
    assert doc["type"] == "FeatureCollection"
    return doc


def of_kind(doc: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [f for f in doc["features"] if f["properties"]["kind"] == kind]


def visit_ids(doc: dict[str, Any]) -> set[str]:
    return {f["properties"]["id"] for f in of_kind(doc, "visit")}


# -- scope -------------------------------------------------------------------------------------


def test_a_team_lead_sees_the_team_and_never_the_sibling_team(client, db, world, auth):
    mine = make_visit(db, world["rep_e1"], world["lead_e1_pin"], visited_at=at("2026-03-02 02:00"))
    colleague = make_visit(
        db, world["rep_e1b"], world["lead_e1_pin"], visited_at=at("2026-03-02 03:00")
    )
    sibling = make_visit(
        db, world["rep_e2"], world["lead_e2_pin"], visited_at=at("2026-03-02 04:00")
    )

    doc = get_map(client, auth(world["lead_e1"]))

    assert visit_ids(doc) == {mine.id, colleague.id}
    tracked = {vid for f in of_kind(doc, "track") for vid in f["properties"]["visit_ids"]}
    assert sibling.id not in tracked
    assert {f["properties"]["id"] for f in of_kind(doc, "territory")} == {world["t_e1"].id}
    assert visit_ids(get_map(client, auth(world["lead_east"]))) == {
        mine.id,
        colleague.id,
        sibling.id,
    }


def test_a_rep_sees_only_their_own_visits(client, db, world, auth):
    own = make_visit(db, world["rep_e1"], world["lead_e1_pin"], visited_at=at("2026-03-02 02:00"))
    make_visit(db, world["rep_e1b"], world["lead_e1_pin"], visited_at=at("2026-03-02 03:00"))

    doc = get_map(client, auth(world["rep_e1"]))

    assert visit_ids(doc) == {own.id}
    assert {f["properties"]["rep_id"] for f in of_kind(doc, "visit")} == {world["rep_e1"].id}


def test_a_visit_feature_carries_final_verdict_names_times_and_finding_codes(
    client, db, world, auth
):
    visit = make_visit(
        db,
        world["rep_e1"],
        world["lead_e1_pin"],
        visited_at=at("2026-03-02 02:00"),
        fix_time=at("2026-03-02 01:59"),
        verdict="suspicious",
        findings=[{"code": "place.on_pin", "severity": "high", "message": "On the pin."}],
    )
    visit.review_verdict, visit.checked_out_at = "verified", at("2026-03-02 02:30")
    db.flush()

    (feature,) = of_kind(get_map(client, auth(world["lead_e1"])), "visit")

    assert feature["geometry"] == {"type": "Point", "coordinates": [IN_E1[1], IN_E1[0]]}
    props = feature["properties"]
    assert props["verdict"] == "verified"
    assert props["auto_verdict"] == "suspicious"
    assert props["findings"] == ["place.on_pin"]
    assert props["rep_name"] == world["rep_e1"].name
    assert props["lead_name"] == "E1 Bakery"
    assert props["lead_id"] == world["lead_e1_pin"].id
    assert props["score"] == 40
    assert datetime.fromisoformat(props["visited_at"]) == at("2026-03-02 02:00")
    assert datetime.fromisoformat(props["fix_time"]) == at("2026-03-02 01:59")
    assert datetime.fromisoformat(props["checked_out_at"]) == at("2026-03-02 02:30")


def test_visits_without_a_collected_location_are_left_out(client, db, world, auth):
    make_visit(
        db, world["rep_e1"], world["lead_e1_pin"], visited_at=at("2026-03-02 02:00"), located=False
    )

    assert of_kind(get_map(client, auth(world["lead_e1"])), "visit") == []


def test_org_node_narrows_to_a_subtree_in_scope_and_404s_outside(client, db, world, auth):
    make_visit(db, world["rep_e1"], world["lead_e1_pin"], visited_at=at("2026-03-02 02:00"))
    e2 = make_visit(db, world["rep_e2"], world["lead_e2_pin"], visited_at=at("2026-03-02 02:00"))

    doc = get_map(client, auth(world["lead_east"]), f"{DAY}&org_node={world['e2'].id}")

    assert visit_ids(doc) == {e2.id}
    assert {f["properties"]["id"] for f in of_kind(doc, "territory")} == {world["t_e2"].id}
    response = client.get(f"{URL}?org_node={world['e2'].id}", headers=auth(world["lead_e1"]))
    assert_problem(response, 404, "resource.not_found")
    response = client.get(f"{URL}?org_node=999999", headers=auth(world["lead_e1"]))
    assert_problem(response, 404, "resource.not_found")


def test_rep_filter(client, db, world, auth):
    make_visit(db, world["rep_e1"], world["lead_e1_pin"], visited_at=at("2026-03-02 02:00"))
    other = make_visit(
        db, world["rep_e1b"], world["lead_e1_pin"], visited_at=at("2026-03-02 03:00")
    )

    doc = get_map(client, auth(world["lead_e1"]), f"{DAY}&rep={world['rep_e1b'].id}")

    assert visit_ids(doc) == {other.id}


def test_map_needs_a_login(client):
    assert_problem(client.get(URL), 401, "auth.unauthenticated")


# -- time and place ----------------------------------------------------------------------------


def test_the_window_is_half_open_on_the_time_of_record(client, db, world, auth):
    rep, lead = world["rep_e1"], world["lead_e1_pin"]
    before = make_visit(db, rep, lead, visited_at=at("2026-03-01 23:59:59"))
    first = make_visit(db, rep, lead, visited_at=at("2026-03-02 00:00"))
    last = make_visit(db, rep, lead, visited_at=at("2026-03-02 23:59:59"))
    after = make_visit(db, rep, lead, visited_at=at("2026-03-03 00:00"))

    ids = visit_ids(get_map(client, auth(world["lead_e1"])))

    assert ids == {first.id, last.id}
    assert not ids & {before.id, after.id}


def test_the_default_window_is_the_last_24_hours(client, db, world, auth):
    rep, lead = world["rep_e1"], world["lead_e1_pin"]
    recent = make_visit(db, rep, lead, visited_at=utcnow() - timedelta(hours=1))
    make_visit(db, rep, lead, visited_at=utcnow() - timedelta(hours=25))

    doc = get_map(client, auth(world["lead_e1"]), "")

    assert visit_ids(doc) == {recent.id}
    window = datetime.fromisoformat(doc["to"]) - datetime.fromisoformat(doc["from"])
    assert window == timedelta(hours=24)


def test_bbox_keeps_visits_in_view_and_whole_tracks_of_their_reps(client, db, world, auth):
    rep, lead = world["rep_e1"], world["lead_e1_pin"]
    inside = make_visit(db, rep, lead, visited_at=at("2026-03-02 02:00"), lat=31.25, lon=121.42)
    outside = make_visit(db, rep, lead, visited_at=at("2026-03-02 03:00"), lat=31.28, lon=121.44)
    loner = make_visit(
        db, world["rep_e1b"], lead, visited_at=at("2026-03-02 03:00"), lat=31.28, lon=121.44
    )

    doc = get_map(client, auth(world["lead_e1"]), f"{DAY}&bbox=121.41,31.24,121.43,31.26")

    assert visit_ids(doc) == {inside.id}
    (track,) = of_kind(doc, "track")
    assert track["properties"]["visit_ids"] == [inside.id, outside.id]
    assert loner.id not in track["properties"]["visit_ids"]
    territories = of_kind(doc, "territory")
    assert {f["properties"]["id"] for f in territories} == {world["t_e1"].id}
    assert territories[0]["geometry"]["type"] == "MultiPolygon"


def test_territories_outside_the_bbox_are_left_out(client, db, world, auth):
    doc = get_map(client, auth(world["admin"]), f"{DAY}&bbox=121.46,31.21,121.47,31.22")

    names = {f["properties"]["name"] for f in of_kind(doc, "territory")}
    assert names == {"t_east", "t_e2"}


def test_tracks_follow_fix_time_not_time_of_record_or_arrival(client, db, world, auth):
    rep, lead = world["rep_e1"], world["lead_e1_pin"]
    # Uploaded in reverse and recorded out of fix order (a stale fix at the first check-in).
    c = make_visit(
        db,
        rep,
        lead,
        visited_at=at("2026-03-02 03:00"),
        fix_time=at("2026-03-02 03:00"),
        received_at=at("2026-03-02 05:00"),
        lat=31.27,
        lon=121.43,
    )
    a = make_visit(
        db,
        rep,
        lead,
        visited_at=at("2026-03-02 02:10"),
        fix_time=at("2026-03-02 01:00"),
        received_at=at("2026-03-02 06:00"),
        lat=31.23,
        lon=121.41,
    )
    b = make_visit(
        db,
        rep,
        lead,
        visited_at=at("2026-03-02 02:00"),
        fix_time=at("2026-03-02 02:00"),
        received_at=at("2026-03-02 07:00"),
        lat=31.25,
        lon=121.42,
    )

    (track,) = of_kind(get_map(client, auth(world["lead_e1"])), "track")

    assert track["properties"]["visit_ids"] == [a.id, b.id, c.id]
    assert track["geometry"] == {
        "type": "LineString",
        "coordinates": [[121.41, 31.23], [121.42, 31.25], [121.43, 31.27]],
    }
    assert track["properties"]["rep_id"] == rep.id
    assert datetime.fromisoformat(track["properties"]["started_at"]) == at("2026-03-02 01:00")


def test_one_track_per_rep_and_local_day_and_none_for_a_single_place(client, db, world, auth):
    rep, lead = world["rep_e1"], world["lead_e1_pin"]
    rep.timezone = "Asia/Shanghai"  # 15:30 and 16:30 UTC fall on two Shanghai days
    for hour in ("14:30", "15:30", "16:30", "17:30"):
        make_visit(db, rep, lead, visited_at=at(f"2026-03-02 {hour}"))
    make_visit(db, world["rep_e1b"], lead, visited_at=at("2026-03-02 10:00"))

    tracks = of_kind(get_map(client, auth(world["lead_e1"])), "track")

    assert [(t["properties"]["rep_id"], t["properties"]["day"]) for t in tracks] == [
        (rep.id, "2026-03-02"),
        (rep.id, "2026-03-03"),
    ]
    assert [len(t["geometry"]["coordinates"]) for t in tracks] == [2, 2]


def test_too_many_visits_are_truncated_to_the_newest(client, db, world, auth, monkeypatch):
    monkeypatch.setattr(mapdata, "MAX_VISITS", 2)
    rep, lead = world["rep_e1"], world["lead_e1_pin"]
    visits = [make_visit(db, rep, lead, visited_at=at(f"2026-03-02 0{h}:00")) for h in (1, 2, 3)]

    doc = get_map(client, auth(world["lead_e1"]))

    assert doc["truncated"] is True
    assert visit_ids(doc) == {visits[1].id, visits[2].id}


# -- datums ------------------------------------------------------------------------------------


def test_gcj02_output_shifts_every_coordinate_and_reads_the_bbox_in_gcj02(client, db, world, auth):
    rep, lead = world["rep_e1"], world["lead_e1_pin"]
    make_visit(db, rep, lead, visited_at=at("2026-03-02 02:00"), lat=31.25, lon=121.42)
    make_visit(db, rep, lead, visited_at=at("2026-03-02 03:00"), lat=31.26, lon=121.43)
    g_lat, g_lon = datums.from_wgs84(31.25, 121.42, "gcj02")
    # A tiny box around the GCJ-02 position: the WGS-84 point itself lies ~500 m away.
    bbox = f"{g_lon - 0.0005},{g_lat - 0.0005},{g_lon + 0.0005},{g_lat + 0.0005}"

    doc = get_map(client, auth(world["lead_e1"]), f"{DAY}&datum=gcj02&bbox={bbox}")

    assert doc["datum"] == "gcj02"
    (visit,) = of_kind(doc, "visit")
    assert visit["geometry"]["coordinates"] == pytest.approx([g_lon, g_lat], abs=1e-7)
    (track,) = of_kind(doc, "track")
    assert track["geometry"]["coordinates"][0] == pytest.approx([g_lon, g_lat], abs=1e-7)
    (territory,) = of_kind(doc, "territory")
    corner = territory["geometry"]["coordinates"][0][0][0]
    expected = datums.from_wgs84(31.20, 121.40, "gcj02")
    assert corner == pytest.approx([expected[1], expected[0]], abs=1e-7)
    plain = get_map(client, auth(world["lead_e1"]), f"{DAY}&bbox={bbox}")
    assert of_kind(plain, "visit") == []


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("bbox=121.4,31.2,121.5", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("bbox=121.4,31.2,121.5,31.3,1", "bbox"),
        ("bbox=nan,31.2,121.5,31.3", "bbox"),
        ("bbox=121.4,31.2,inf,31.3", "bbox"),
        ("bbox=121.5,31.2,121.4,31.3", "bbox"),
        ("bbox=121.4,31.3,121.5,31.2", "bbox"),
        ("bbox=181,31.2,182,31.3", "bbox"),
        ("bbox=121.4,-91,121.5,31.3", "bbox"),
        ("bbox=", "bbox"),
        ("from=2026-03-02T00:00:00Z&to=2026-03-02T00:00:00Z", "from"),
        ("from=2026-03-03T00:00:00Z&to=2026-03-02T00:00:00Z", "from"),
        ("from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:01Z", "to"),
        ("from=2020-01-01T00:00:00Z", "to"),
        ("from=2026-03-02T00:00:00", "from"),
        ("to=yesterday", "to"),
        ("datum=bd10", "datum"),
        ("rep=0", "rep"),
        ("org_node=x", "org_node"),
    ],
)
def test_bad_query_arguments_are_422_with_the_field_named(client, world, auth, query, field):
    body = assert_problem(
        client.get(f"{URL}?{query}", headers=auth(world["lead_e1"])), 422, "request.validation"
    )
    assert field in body["errors"]["query"], body


def test_a_31_day_window_is_allowed(client, world, auth):
    get_map(client, auth(world["lead_e1"]), "from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z")


def test_the_spec_documents_geojson(client):
    spec = client.get("/api/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/visits/map"]["get"]
    assert "application/geo+json" in operation["responses"]["200"]["content"]
    assert {p["name"] for p in operation["parameters"]} >= {"bbox", "from", "to", "rep", "datum"}


# -- query plans -------------------------------------------------------------------------------


def _plan(db: Session, stmt: sa.Select[Any]) -> str:
    """The backend's plan for `stmt`, run with its real bound parameters."""
    connection = db.connection()
    postgres = connection.dialect.name == "postgresql"
    if postgres:  # a near-empty table would be scanned; ask which index serves the query
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "

    def explain(conn, cursor, statement, parameters, context, executemany):
        return prefix + statement, parameters

    sa.event.listen(connection, "before_cursor_execute", explain, retval=True)
    try:
        rows = connection.execute(stmt).all()
    finally:
        sa.event.remove(connection, "before_cursor_execute", explain)
    return "\n".join(str(row[0] if postgres else row[-1]) for row in rows)


def test_the_bbox_query_is_served_by_an_index_on_place_and_time(db, world):
    principal = principal_of(db, world["lead_e1"])
    dialect = db.get_bind().dialect.name
    filters = mapdata._visit_filters(
        principal,
        since=at("2026-03-02 00:00"),
        until=at("2026-03-03 00:00"),
        subtree=None,
        rep_id=None,
    )
    stmt = mapdata.visits_query(dialect, filters, bbox=(121.41, 31.24, 121.43, 31.26))

    plan = _plan(db, stmt)

    if dialect == "postgresql":  # one GiST index over (geom, visited_at)
        assert "ix_visits_geom_time" in plan, plan
    else:  # the R*Tree knows no time: the time range leads, the bbox is tested on lat/lon
        assert "SEARCH visits USING INDEX ix_visits_node_visited" in plan, plan
        assert "idx_visits_geom" not in plan, plan


@pytest.mark.parametrize(
    "url", ["/api/v1/visits?rep_id=2147483648", "/api/v1/visits/map?rep=2147483648"]
)
def test_staff_ids_beyond_32_bits_are_a_422_not_a_database_error(client, world, url):
    response = client.get(url, headers=auth_header(client, world["lead_e1"]))
    assert response.status_code == 422
    assert response.get_json()["code"] == "request.validation"
