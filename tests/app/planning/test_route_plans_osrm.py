"""The route-plan API on real roads: the app's `osrm_url` points at a real `osrm-routed`.

The server, its binaries and the generated street grid (one one-way street) come from the
fixtures of tests/geo/routing/test_osrm_real.py, imported here rather than duplicated; this test
skips, with their reason, exactly when those fixtures skip.
"""

from __future__ import annotations

import dataclasses

import pytest

from app import create_app
from geo.routing import HaversineProvider, OsrmProvider
from tests.app.planning.conftest import day, local_seconds, order, recheck
from tests.factories import auth_header
from tests.geo.routing.test_osrm_real import (  # noqa: F401 (fixtures used by name)
    ORIGIN,
    STEP,
    _on_one_way,
    osrm_root,
    osrm_url,
)

pytestmark = pytest.mark.slow


def _where(p):
    return {"lat": p.lat, "lon": p.lon}


def test_a_day_planned_through_the_api_on_a_real_osrm(osrm_url, settings, sessions, db, org):  # noqa: F811
    app = create_app(dataclasses.replace(settings, osrm_url=osrm_url), sessions=sessions)
    roads = OsrmProvider(base_url=osrm_url)
    assert app.extensions["waypoint.route_provider"] == dataclasses.replace(
        roads, fallback=HaversineProvider(detour_factor=1.3, speed_kmh=30.0)
    )
    client = app.test_client()
    rep = auth_header(client, org["rep_e1"])
    home = {"lat": ORIGIN[0], "lon": ORIGIN[1]}
    west, east = _where(_on_one_way(0.5)), _where(_on_one_way(2.5))
    corner = {"lat": ORIGIN[0] + 3 * STEP, "lon": ORIGIN[1] + STEP}
    early = [{"start": "09:10", "end": "10:00"}]

    body = day(
        {"id": "west", "point": west, "duration_min": 5},
        {"id": "east", "point": east, "duration_min": 5, "windows": early},
        {"id": "corner", "point": corner, "duration_min": 5},
        start=home,
        shift_start="09:00",
        shift_end="10:30",
        time_budget_s=0.2,
    )  # fmt: skip
    response = client.post("/api/v1/route-plans", json=body, headers=rep)
    assert response.status_code == 201, response.get_json()
    plan = response.get_json()

    assert sorted(order(plan)) == ["corner", "east", "west"]
    recheck(db, plan, provider=roads)  # legs and ETAs are OSRM's, the line is OSRM's road line
    assert len(plan["plan"]["route"]["coordinates"]) > 5

    # the one-way street shows through the API: out eastbound directly, back by a detour
    one_way = day({"id": "east", "point": east, "duration_min": 5}, start=west, shift_start="09:00")
    response = client.post("/api/v1/route-plans", json=one_way, headers=rep)
    assert response.status_code == 201, response.get_json()
    trip = response.get_json()
    recheck(db, trip, provider=roads)
    out, back = trip["plan"]["stops"][0], trip["plan"]["end_leg"]
    assert 0 < out["leg_duration_s"] < back["duration_s"]
    assert 0 < out["leg_distance_m"] < back["distance_m"]
    assert local_seconds(out["arrival"]) == 9 * 3600 + out["leg_duration_s"]
