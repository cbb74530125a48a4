"""Route-plan API tests: the two-region org, cached logins, and an independent plan checker.

Every plan the API returns goes through `recheck`: the stored request is rebuilt into the
engine's `DayRequest` (as the service does), the returned order is re-timed by
`geo.routing.evaluate` over the provider's matrix, and the API's times are checked both
against that schedule and on their own (legs add up, visits inside windows and the shift,
lunch inside its window and apart from visits, locked prefix first, totals).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.org.models import Staff
from app.planning import service
from app.planning.models import RoutePlan
from geo import routing
from tests.factories import auth_header
from tests.factories_geo import GeoOrg, make_geo_org

URL = "/api/v1/route-plans"
DAY = "2026-12-01"
TZ = "Asia/Shanghai"
UTC_OFFSET = timedelta(hours=8)
#: the app's default provider (no WAYPOINT_OSRM_URL): great circle x 1.3 at 30 km/h
ESTIMATE = routing.HaversineProvider(detour_factor=1.3, speed_kmh=30.0)
HOME = {"lat": 31.25, "lon": 121.425}  # inside team E1's territory


@pytest.fixture
def org(db: Session) -> GeoOrg:
    org = make_geo_org(db)
    for key in ("rep_e1", "rep_e1b", "lead_e1", "lead_e2", "rep_e2"):
        org[key].timezone = TZ
    db.flush()
    return org


@pytest.fixture
def headers(client: FlaskClient) -> Callable[[Staff], dict[str, str]]:
    """`headers(staff)`: an Authorization header, logging each person in once per test."""
    cache: dict[int, dict[str, str]] = {}

    def get(staff: Staff) -> dict[str, str]:
        if staff.id not in cache:
            cache[staff.id] = auth_header(client, staff)
        return cache[staff.id]

    return get


def point(lat: float, lon: float, **extra: Any) -> dict[str, Any]:
    return {"lat": lat, "lon": lon, **extra}


def near(dlat: float, dlon: float) -> dict[str, float]:
    """An ad-hoc point offset from HOME (0.01 degree is about 1 km)."""
    return point(round(HOME["lat"] + dlat, 6), round(HOME["lon"] + dlon, 6))


def window(start: str, end: str) -> dict[str, str]:
    return {"start": start, "end": end}


def day(*stops: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A plan request: 09:00-17:00 from HOME back to HOME on DAY, a 0.1 s solver budget."""
    body: dict[str, Any] = {
        "date": DAY,
        "start": dict(HOME),
        "shift_start": "09:00",
        "shift_end": "17:00",
        "stops": list(stops),
        "time_budget_s": 0.1,
    }
    body.update(fields)
    return body


def local_seconds(stamp: str, plan_date: str = DAY) -> int:
    """Seconds since local midnight of the plan date, from an ISO time in the rep's zone."""
    moment = datetime.fromisoformat(stamp)
    assert moment.utcoffset() == UTC_OFFSET, f"{stamp} is not in the rep's time zone"
    midnight = datetime.fromisoformat(f"{plan_date}T00:00:00")
    return int((moment.replace(tzinfo=None) - midnight).total_seconds())


def stored_request(db: Session, plan_id: str) -> routing.DayRequest:
    """The engine request rebuilt from the stored, normalized spec (as the service does)."""
    record = db.get(RoutePlan, plan_id)
    assert record is not None
    return service._day_request(record.request)


def recheck(
    db: Session,
    body: dict[str, Any],
    *,
    request: routing.DayRequest | None = None,
    provider: routing.MatrixProvider = ESTIMATE,
) -> routing.Schedule:
    """Re-verify a returned plan independently of the planner; returns the evaluator's schedule.

    `request` defaults to the stored request; pass the remaining day for re-optimised plans.
    """
    request = request or stored_request(db, body["id"])
    plan = body["plan"]
    order = [s["stop_id"] for s in plan["stops"]]
    matrix = provider.matrix([request.start, request.end, *(s.point for s in request.stops)])

    schedule = routing.evaluate(request, matrix, order)
    assert schedule.feasible, schedule.violations
    for visit, stop in zip(schedule.visits, plan["stops"], strict=True):
        got = (
            local_seconds(stop["arrival"]),
            stop["wait_s"],
            local_seconds(stop["start"]),
            local_seconds(stop["departure"]),
            stop["leg_distance_m"],
            stop["leg_duration_s"],
        )
        want = (
            visit.arrival,
            visit.wait_s,
            visit.start,
            visit.departure,
            visit.leg.distance_m,
            visit.leg.duration_s,
        )
        assert got == want, stop["stop_id"]

    # the same facts checked by hand, without the evaluator
    by_id = {s.id: s for s in request.stops}
    shift = request.shift
    lunch = plan["lunch"]
    eat = (local_seconds(lunch["start"]), local_seconds(lunch["end"])) if lunch else None
    if request.lunch is None:
        assert eat is None
    else:
        assert eat is not None, "the plan skipped a lunch it had to hold"
        assert eat[1] - eat[0] == request.lunch.duration_s
        assert request.lunch.window.start <= eat[0] and eat[1] <= request.lunch.window.end
    assert local_seconds(plan["start_time"]) == shift.start
    assert len(set(order)) == len(order)
    assert order[: len(request.locked)] == list(request.locked)
    if request.max_stops is not None:
        assert len(order) <= request.max_stops
    t = shift.start
    for stop in plan["stops"]:
        spec = by_id[stop["stop_id"]]
        arrival = local_seconds(stop["arrival"])
        start, departure = local_seconds(stop["start"]), local_seconds(stop["departure"])
        leg = stop["leg_duration_s"]
        if eat and t <= eat[0] and eat[1] <= start:  # lunch in this gap: before or after driving
            assert arrival in (t + leg, eat[1] + leg)
        else:
            assert arrival == t + leg
        on_arrival = eat is not None and arrival <= eat[0] and eat[1] <= start
        assert stop["wait_s"] == start - arrival - (eat[1] - eat[0] if on_arrival else 0) >= 0
        assert departure == start + spec.service_s
        assert not eat or eat[1] <= start or departure <= eat[0], "lunch overlaps a visit"
        if spec.windows:
            assert any(w.start <= start and departure <= w.end for w in spec.windows)
        assert (stop["lat"], stop["lon"]) == (spec.point.lat, spec.point.lon)
        t = departure
    end_time = local_seconds(plan["end_time"])
    assert t + plan["end_leg"]["duration_s"] <= end_time <= shift.end
    legs = [*((s["leg_distance_m"], s["leg_duration_s"]) for s in plan["stops"])]
    legs.append((plan["end_leg"]["distance_m"], plan["end_leg"]["duration_s"]))
    assert plan["total_distance_m"] == sum(d for d, _ in legs)
    assert plan["total_travel_s"] == sum(s for _, s in legs)
    assert plan["total_wait_s"] == sum(s["wait_s"] for s in plan["stops"])
    route = plan["route"]
    assert route["type"] == "LineString"
    line = provider.path([request.start, *(by_id[sid].point for sid in order), request.end])
    assert route["coordinates"] == [[p.lon, p.lat] for p in line]
    dropped = [d["stop_id"] for d in plan["dropped"]]
    assert sorted(dropped + order) == sorted(by_id), "every stop is planned or dropped, once"
    for gone in plan["dropped"]:
        assert gone["must_visit"] == by_id[gone["stop_id"]].must_visit
    return schedule


def reasons(body: dict[str, Any]) -> dict[str, str]:
    return {d["stop_id"]: d["reason"] for d in body["plan"]["dropped"]}


def order(body: dict[str, Any]) -> list[str]:
    return [s["stop_id"] for s in body["plan"]["stops"]]
