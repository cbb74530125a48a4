"""POST /api/v1/route-plans and /reoptimize: feasible plans, drop reasons, lunch, locked stops,
re-optimisation, territory rules, datums, bad input, visibility, HR and sync.

Solves use a 0.1-0.2 s budget; every returned plan is re-checked by `recheck` (conftest).
"""

from __future__ import annotations

import dataclasses
import json
import socket
import zoneinfo
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app import create_app
from app.config import Settings, SettingsError
from app.hr.deprovision import cancel_future_route_plans
from app.planning.models import RoutePlan
from app.sync.models import SyncRejection
from geo import datums, routing
from tests.app.auth.helpers import assert_problem
from tests.app.planning.conftest import (
    DAY,
    ESTIMATE,
    HOME,
    URL,
    day,
    local_seconds,
    near,
    order,
    point,
    reasons,
    recheck,
    stored_request,
    window,
)
from tests.factories import auth_header
from tests.factories_geo import IN_E1, IN_E2, IN_W, OUTSIDE, make_lead


def plans_in_db(db) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(RoutePlan))


def create(client, headers, staff, body, status=201):
    response = client.post(URL, json=body, headers=headers(staff))
    assert response.status_code == status, response.get_json()
    return response.get_json()


# --- feasible plans -------------------------------------------------------------------------


def test_a_day_with_leads_windows_and_lunch_is_feasible_and_in_local_time(client, db, org, headers):
    lead = make_lead(db, IN_E1[0] + 0.01, IN_E1[1])
    body = day(
        {"lead_id": lead.id, "must_visit": True, "windows": [window("10:00", "11:00")]},
        {"id": "pm", "point": near(-0.01, 0.01), "must_visit": True, "duration_min": 20,
         "windows": [window("14:00", "15:00")]},
        {"id": "two-windows", "point": near(0.02, -0.01), "duration_min": 15,
         "windows": [window("09:00", "09:10"), window("15:30", "16:30")]},
        {"id": "free", "point": near(0.005, 0.005), "prize": 3},
        {"id": "free-2", "point": near(-0.015, -0.005), "duration_min": 45, "prize": 2},
        lunch={"earliest": "12:00", "latest": "13:30", "duration_min": 45},
        time_budget_s=0.2,
    )  # fmt: skip

    plan = create(client, headers, org["rep_e1"], body)

    assert plan["staff_id"] == org["rep_e1"].id and plan["status"] == "active"
    assert (plan["plan_date"], plan["timezone"]) == (DAY, "Asia/Shanghai")
    assert plan["replaces_id"] is None
    assert plan["plan"]["stops"][0]["arrival"].endswith("+08:00")
    assert plan["plan"]["dropped"] == []
    assert sorted(order(plan)) == sorted([lead.id, "pm", "two-windows", "free", "free-2"])
    assert plan["plan"]["solver"]["status"] in ("solved", "repaired")
    by_id = {s["stop_id"]: s for s in plan["plan"]["stops"]}
    assert by_id[lead.id]["lead_id"] == lead.id and by_id["pm"]["lead_id"] is None
    schedule = recheck(db, plan)
    assert schedule.lunch is not None
    assert client.get(f"{URL}/{plan['id']}", headers=headers(org["rep_e1"])).get_json() == plan


def test_an_empty_day_is_an_empty_plan(client, db, org, headers):
    plan = create(client, headers, org["rep_e1"], day(end=near(0.01, 0.01)))

    assert plan["plan"]["stops"] == [] and plan["plan"]["dropped"] == []
    assert plan["plan"]["solver"] == {"status": "empty", "gap_pct": 0.0, "runtime_s": 0.0}
    assert len(plan["plan"]["route"]["coordinates"]) == 2
    assert plan["plan"]["total_distance_m"] > 0
    recheck(db, plan)


def test_the_app_provider_follows_the_detour_and_speed_settings(settings, sessions, db, org):
    slow = create_app(
        dataclasses.replace(settings, route_detour_factor=2.0, route_speed_kmh=10.0),
        sessions=sessions,
    )
    client = slow.test_client()
    provider = routing.HaversineProvider(detour_factor=2.0, speed_kmh=10.0)
    assert slow.extensions["waypoint.route_provider"] == provider

    response = client.post(
        URL,
        json=day({"id": "a", "point": near(0.02, 0)}),
        headers=auth_header(client, org["rep_e1"]),
    )
    assert response.status_code == 201, response.get_json()
    plan = response.get_json()

    recheck(db, plan, provider=provider)
    home, stop = routing.Point(**HOME), routing.Point(**near(0.02, 0))
    leg = plan["plan"]["stops"][0]
    assert (leg["leg_distance_m"], leg["leg_duration_s"]) == provider.leg(home, stop)
    assert (leg["leg_distance_m"], leg["leg_duration_s"]) != ESTIMATE.leg(home, stop)


def test_a_configured_osrm_that_is_down_is_a_503(settings, sessions, db, org):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = create_app(
        dataclasses.replace(settings, osrm_url=f"http://127.0.0.1:{port}"), sessions=sessions
    )
    assert isinstance(down.extensions["waypoint.route_provider"], routing.OsrmProvider)
    client = down.test_client()
    response = client.post(
        URL,
        json=day({"id": "a", "point": near(0.01, 0)}),
        headers=auth_header(client, org["rep_e1"]),
    )

    assert_problem(response, 503, "server.unavailable")
    assert plans_in_db(db) == 0


def test_route_settings_come_from_the_environment():
    env = {
        "WAYPOINT_OSRM_URL": "http://osrm.internal:5000",
        "WAYPOINT_ROUTE_DETOUR_FACTOR": "1.5",
        "WAYPOINT_ROUTE_SPEED_KMH": "25",
    }
    settings = Settings.from_env(env)
    assert (settings.osrm_url, settings.route_detour_factor, settings.route_speed_kmh) == (
        "http://osrm.internal:5000",
        1.5,
        25.0,
    )
    defaults = Settings.from_env({})
    assert (defaults.osrm_url, defaults.route_detour_factor, defaults.route_speed_kmh) == (
        "",
        1.3,
        30.0,
    )
    for name, bad in [
        ("WAYPOINT_OSRM_URL", "osrm:5000"),
        ("WAYPOINT_ROUTE_DETOUR_FACTOR", "fast"),
        ("WAYPOINT_ROUTE_DETOUR_FACTOR", "0.8"),
        ("WAYPOINT_ROUTE_SPEED_KMH", "0"),
        ("WAYPOINT_ROUTE_SPEED_KMH", "nan"),
    ]:
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({name: bad})


# --- what is left out, and why --------------------------------------------------------------


def test_stops_that_cannot_fit_are_dropped_with_their_reason(client, db, org, headers):
    body = day(
        {"id": "ok", "point": near(0.01, 0)},
        {"id": "early", "point": near(0, 0.01), "must_visit": True,
         "windows": [window("06:00", "07:00")]},
        {"id": "long", "point": near(-0.01, 0), "duration_min": 600},  # 10 h in an 8 h shift
    )  # fmt: skip

    plan = create(client, headers, org["rep_e1"], body)

    assert order(plan) == ["ok"]
    assert reasons(plan) == {"early": "no_time_window_fits", "long": "shift_too_short"}
    assert {d["stop_id"]: d["must_visit"] for d in plan["plan"]["dropped"]} == {
        "early": True,
        "long": False,
    }
    recheck(db, plan)


def test_a_far_stop_the_shift_cannot_reach_is_shift_too_short(client, db, org, headers):
    # 0.5 degree north is about 55 km, x 1.3 at 30 km/h: well over an hour each way
    plan = create(
        client,
        headers,
        org["rep_e1"],
        day({"id": "far", "point": near(0.5, 0)}, {"id": "ok", "point": near(0.01, 0)},
            shift_start="09:00", shift_end="11:00"),
    )  # fmt: skip

    assert order(plan) == ["ok"] and reasons(plan) == {"far": "shift_too_short"}
    recheck(db, plan)


def test_the_least_valuable_stop_gives_way(client, db, org, headers):
    # three 80-minute visits next door in a 3-hour shift: only two fit
    stops = [
        {"id": f"p{prize}", "point": near(0.001 * prize, 0), "duration_min": 80, "prize": prize}
        for prize in (5, 1, 3)
    ]
    plan = create(
        client, headers, org["rep_e1"], day(*stops, shift_start="09:00", shift_end="12:00")
    )

    assert sorted(order(plan)) == ["p3", "p5"]
    assert reasons(plan) == {"p1": "lower_value"}
    recheck(db, plan)


def test_the_stop_cap_leaves_out_stops_that_would_fit(client, db, org, headers):
    stops = [
        {"id": f"s{i}", "point": near(0.002 * i, 0), "duration_min": 10, "prize": i}
        for i in range(1, 5)
    ]
    plan = create(client, headers, org["rep_e1"], day(*stops, max_stops=2))

    assert sorted(order(plan)) == ["s3", "s4"]
    assert reasons(plan) == {"s1": "max_stops", "s2": "max_stops"}
    recheck(db, plan)


def test_a_visit_longer_than_the_shift_is_dropped_when_others_fit(client, db, org, headers):
    body = day(
        {"id": "short", "point": near(0.01, 0), "duration_min": 30},
        {"id": "too-long", "point": near(0.01, 0.01), "duration_min": 120},
        shift_start="09:00",
        shift_end="10:00",
    )
    plan = create(client, headers, org["rep_e1"], body)

    assert order(plan) == ["short"] and reasons(plan) == {"too-long": "shift_too_short"}
    recheck(db, plan)


# --- lunch and locked stops -----------------------------------------------------------------


def test_lunch_is_taken_inside_its_window_and_apart_from_visits(client, db, org, headers):
    # visits pinned around noon leave one gap for a 40-minute lunch: 12:30-13:10
    body = day(
        {"id": "late-morning", "point": near(0.01, 0), "duration_min": 60,
         "windows": [window("11:30", "12:30")]},
        {"id": "early-afternoon", "point": near(0.01, 0.002), "duration_min": 60,
         "windows": [window("13:15", "14:30")]},
        {"id": "any", "point": near(-0.01, 0), "duration_min": 30},
        lunch={"earliest": "11:00", "latest": "14:00", "duration_min": 40},
    )  # fmt: skip
    plan = create(client, headers, org["rep_e1"], body)

    assert reasons(plan) == {}
    lunch = plan["plan"]["lunch"]
    start, end = local_seconds(lunch["start"]), local_seconds(lunch["end"])
    assert end - start == 40 * 60
    assert start >= 12 * 3600 + 30 * 60
    assert end <= 13 * 3600 + 30 * 60
    recheck(db, plan)


def test_a_lunch_the_day_cannot_hold_is_refused_not_skipped(client, db, org, headers):
    body = day(lunch={"earliest": "08:00", "latest": "09:30", "duration_min": 60})
    response = client.post(URL, json=body, headers=headers(org["rep_e1"]))

    problem = assert_problem(response, 422, "route.invalid_request")
    assert problem["reason_code"] == "routing.invalid_lunch_break"  # window outside the shift


def test_the_locked_prefix_comes_first_in_the_given_order(client, db, org, headers):
    stops = [{"id": f"s{i}", "point": near(0.004 * i, 0.004 * (i % 2))} for i in range(1, 6)]
    plan = create(client, headers, org["rep_e1"], day(*stops, locked=["s5", "s1", "s4"]))

    assert order(plan)[:3] == ["s5", "s1", "s4"]
    assert sorted(order(plan)[3:]) == ["s2", "s3"]
    recheck(db, plan)


def test_a_locked_order_that_cannot_be_driven_is_refused(client, db, org, headers):
    body = day(
        {"id": "late", "point": near(0.01, 0), "windows": [window("15:00", "16:00")]},
        {"id": "early", "point": near(-0.01, 0), "windows": [window("09:30", "10:30")]},
        locked=["late", "early"],
    )
    response = client.post(URL, json=body, headers=headers(org["rep_e1"]))

    problem = assert_problem(response, 422, "route.invalid_request")
    assert problem["reason_code"] == "routing.infeasible_locked_order"
    assert plans_in_db(db) == 0


# --- re-optimisation and replacement --------------------------------------------------------


def remaining_day(db, body, *, position, now, visited, en_route=None, lunch_taken=False):
    """The day left to plan, built from the stored request as issue 6 defines re-optimisation."""
    request = stored_request(db, body["id"])
    start = max(now, request.shift.start)
    lunch = request.lunch
    if lunch is not None and not lunch_taken:
        opens = max(lunch.window.start, start)
        lunch = (
            routing.LunchBreak(routing.TimeWindow(opens, lunch.window.end), lunch.duration_s)
            if lunch.window.end - opens >= lunch.duration_s
            else None
        )
    else:
        lunch = None
    rest = [sid for sid in request.locked if sid not in visited and sid != en_route]
    return dataclasses.replace(
        request,
        start=routing.Point(position["lat"], position["lon"]),
        shift=routing.TimeWindow(start, request.shift.end),
        stops=tuple(s for s in request.stops if s.id not in visited),
        lunch=lunch,
        locked=tuple([en_route, *rest] if en_route else rest),
    )


def test_reoptimize_drops_visited_stops_and_keeps_the_one_en_route_first(client, db, org, headers):
    rep = headers(org["rep_e1"])
    stops = [{"id": f"s{i}", "point": near(0.006 * i, 0.003 * (i % 3)), "duration_min": 20}
             for i in range(1, 6)]  # fmt: skip
    lunch = {"earliest": "11:30", "latest": "13:30", "duration_min": 30}
    first = create(client, headers, org["rep_e1"], day(*stops, lunch=lunch))
    planned = order(first)
    recheck(db, first)

    visited, en_route = planned[:2], planned[-1]  # drives to the last one first now
    position = near(0.001, 0.001)
    reopt = {
        "position": position,
        "at": f"{DAY}T10:30:00+08:00",
        "visited": visited,
        "en_route": en_route,
    }
    response = client.post(f"{URL}/{first['id']}/reoptimize", json=reopt, headers=rep)
    assert response.status_code == 201, response.get_json()
    second = response.get_json()

    assert second["replaces_id"] == first["id"] and second["status"] == "active"
    assert order(second)[0] == en_route
    assert sorted(order(second)) == sorted(set(planned) - set(visited))
    assert reasons(second) == {}
    assert local_seconds(second["plan"]["start_time"]) == 10 * 3600 + 30 * 60
    assert second["plan"]["lunch"] is not None
    remaining = remaining_day(
        db, second, position=position, now=10 * 3600 + 1800, visited=visited, en_route=en_route
    )
    recheck(db, second, request=remaining)
    old = client.get(f"{URL}/{first['id']}", headers=rep).get_json()
    assert old["status"] == "replaced" and old["plan"] == first["plan"]

    # the replaced plan cannot be re-optimised again
    again = client.post(f"{URL}/{first['id']}/reoptimize", json=reopt, headers=rep)
    assert_problem(again, 422, "route.invalid_request")

    # after lunch, only what was visited since the last re-plan is reported
    later = {
        "position": position,
        "at": f"{DAY}T13:45:00+08:00",
        "visited": [en_route],
        "lunch_taken": True,
    }
    response = client.post(f"{URL}/{second['id']}/reoptimize", json=later, headers=rep)
    assert response.status_code == 201, response.get_json()
    third = response.get_json()
    gone = [*visited, en_route]
    assert sorted(order(third)) == sorted(set(planned) - set(gone)), "a visited stop came back"
    assert third["plan"]["lunch"] is None
    remaining = remaining_day(
        db, third, position=position, now=13 * 3600 + 2700, visited=gone, lunch_taken=True
    )
    recheck(db, third, request=remaining)
    statuses = {p["id"]: p["status"] for p in client.get(URL, headers=rep).get_json()}
    assert statuses == {first["id"]: "replaced", second["id"]: "replaced", third["id"]: "active"}


def test_reoptimize_refuses_unknown_stops_and_a_finished_day(client, db, org, headers):
    rep = headers(org["rep_e1"])
    plan = create(client, headers, org["rep_e1"], day({"id": "a", "point": near(0.01, 0)}))
    url = f"{URL}/{plan['id']}/reoptimize"

    unknown = {"position": HOME, "at": f"{DAY}T10:00:00+08:00", "visited": ["nope"]}
    over = {"position": HOME, "at": f"{DAY}T17:30:00+08:00"}
    bad_en_route = {"position": HOME, "at": f"{DAY}T10:00:00+08:00", "en_route": "nope"}

    for body, reason in [
        (unknown, "routing.invalid_stop"),
        (over, "routing.invalid_shift"),
        (bad_en_route, "routing.invalid_stop"),
    ]:
        problem = assert_problem(client.post(url, json=body, headers=rep), 422)
        assert problem["reason_code"] == reason
    naive = {"position": HOME, "at": f"{DAY}T10:00:00"}
    assert_problem(client.post(url, json=naive, headers=rep), 422, "request.validation")
    assert client.get(url.removesuffix("/reoptimize"), headers=rep).get_json()["status"] == "active"


def test_a_new_plan_for_the_same_day_replaces_the_active_one(client, db, org, headers):
    rep = headers(org["rep_e1"])
    first = create(client, headers, org["rep_e1"], day({"id": "a", "point": near(0.01, 0)}))
    other_day = create(client, headers, org["rep_e1"], day(date="2026-12-02"))
    second = create(client, headers, org["rep_e1"], day({"id": "b", "point": near(0, 0.01)}))
    recheck(db, second)

    listed = client.get(URL, query_string={"date": DAY}, headers=rep).get_json()
    assert [(p["id"], p["status"]) for p in listed] == [
        (second["id"], "active"),
        (first["id"], "replaced"),
    ]
    assert client.get(f"{URL}/{other_day['id']}", headers=rep).get_json()["status"] == "active"
    # another rep's plan for the same day is theirs alone
    mine = create(client, headers, org["rep_e1b"], day())
    assert client.get(f"{URL}/{second['id']}", headers=rep).get_json()["status"] == "active"
    assert client.get(f"{URL}/{mine['id']}", headers=rep).status_code == 404


# --- territory, datum -----------------------------------------------------------------------


def test_leads_outside_the_reps_territories_are_refused(client, db, org, headers):
    rep = headers(org["rep_e1"])
    # the rep's own lead, left outside every territory when the map was redrawn
    stray = make_lead(db, *OUTSIDE, owner=org["rep_e1"])
    stray.org_node_id = org["e1"].id
    sibling, west = make_lead(db, *IN_E2), make_lead(db, *IN_W)
    db.flush()

    forbidden = client.post(URL, json=day({"lead_id": stray.id}), headers=rep)
    assert_problem(forbidden, 403, "out_of_territory")
    for lead in (west, sibling):  # another region, or a sibling team: not even visible
        missing = client.post(URL, json=day({"lead_id": lead.id}), headers=rep)
        assert_problem(missing, 404, "resource.not_found")
    assert_problem(client.post(URL, json=day({"lead_id": "L-no-such-lead"}), headers=rep), 404)
    assert plans_in_db(db) == 0


def test_gcj02_points_are_converted_to_wgs84_before_planning(client, db, org, headers):
    raw_start, raw_stop = (31.25, 121.43), (31.26, 121.44)
    body = day(
        {"id": "shop", "point": point(*raw_stop, datum="gcj02")},
        start=point(*raw_start, datum="gcj02"),
        end=point(*IN_E1, datum="bd09"),
    )
    plan = create(client, headers, org["rep_e1"], body)

    spec = db.get(RoutePlan, plan["id"]).request
    start, stop, end = (
        datums.to_wgs84(*raw_start, "gcj02"),
        datums.to_wgs84(*raw_stop, "gcj02"),
        datums.to_wgs84(*IN_E1, "bd09"),
    )
    assert (spec["start"]["lat"], spec["start"]["lon"]) == pytest.approx(start, abs=1e-9)
    assert (spec["stops"][0]["lat"], spec["stops"][0]["lon"]) == pytest.approx(stop, abs=1e-9)
    assert (spec["end"]["lat"], spec["end"]["lon"]) == pytest.approx(end, abs=1e-9)
    assert abs(spec["stops"][0]["lon"] - raw_stop[1]) > 0.003  # really moved (~450 m here)
    shop = plan["plan"]["stops"][0]
    assert (shop["lat"], shop["lon"]) == pytest.approx(stop, abs=1e-9)
    assert plan["plan"]["route"]["coordinates"][0] == pytest.approx([start[1], start[0]])
    recheck(db, plan)


# --- bad input ------------------------------------------------------------------------------


def _stop(**fields):
    return {"id": "a", "point": near(0.01, 0), **fields}


BAD_BODIES = {
    "window ends before it starts": (
        day(_stop(windows=[window("11:00", "10:00")])),
        "request.validation",
        None,
    ),
    "shift ends before it starts": (
        day(shift_start="17:00", shift_end="09:00"),
        "request.validation",
        None,
    ),
    "shift shorter than every visit": (
        day(_stop(duration_min=120), shift_start="09:00", shift_end="10:00"),
        "route.invalid_request",
        "routing.invalid_shift",
    ),
    "201 stops": (
        day(*({"id": f"s{i}", "point": near(0.0001 * i, 0)} for i in range(201))),
        "request.validation",
        None,
    ),
    "lunch longer than its window": (
        day(lunch={"earliest": "12:00", "latest": "12:30", "duration_min": 45}),
        "route.invalid_request",
        "routing.invalid_lunch_break",
    ),
    "lunch window backwards": (
        day(lunch={"earliest": "13:00", "latest": "12:00", "duration_min": 30}),
        "request.validation",
        None,
    ),
    "duplicate stop ids": (
        day(_stop(), _stop(point=near(0, 0.01))),
        "route.invalid_request",
        None,
    ),
    "unknown locked id": (
        day(_stop(), locked=["b"]),
        "route.invalid_request",
        "routing.invalid_locked_order",
    ),
    "stop with both a lead and a point": (
        day(_stop(lead_id="L000001")),
        "request.validation",
        None,
    ),
    "stop with neither a lead nor a point": (
        day({"id": "a"}),
        "request.validation",
        None,
    ),
    "latitude out of range": (
        day(_stop(point=point(91.0, 121.4))),
        "request.validation",
        None,
    ),
    "unknown datum": (
        day(_stop(point=point(31.25, 121.42, datum="osgb36"))),
        "request.validation",
        None,
    ),
    "time 25:00": (day(shift_end="25:00"), "request.validation", None),
    "unknown objective": (day(objective="fuel"), "request.validation", None),
    "time budget too large": (day(time_budget_s=60), "request.validation", None),
    "max_stops 0": (day(_stop(), max_stops=0), "request.validation", None),
}


@pytest.mark.parametrize("name", BAD_BODIES)
def test_bad_input_is_a_clear_422(client, db, org, headers, name):
    body, code, reason = BAD_BODIES[name]
    response = client.post(URL, json=body, headers=headers(org["rep_e1"]))

    problem = assert_problem(response, 422, code)
    if reason is not None:
        assert problem["reason_code"] == reason
    assert problem["detail"]
    assert plans_in_db(db) == 0


@pytest.mark.parametrize("where", ["start", "stop", "end"])
@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_coordinates_sent_as_raw_json_tokens_are_a_422(
    client, db, org, headers, where, token
):
    body = day(_stop(), end=dict(HOME))
    target = {"start": body["start"], "end": body["end"], "stop": body["stops"][0]["point"]}
    target[where]["lat"] = "__TOKEN__"
    raw = json.dumps(body).replace('"__TOKEN__"', token)
    assert f'"lat": {token}' in raw
    response = client.post(
        URL, data=raw, content_type="application/json", headers=headers(org["rep_e1"])
    )

    problem = assert_problem(response, 422, "request.validation")
    assert "errors" in problem
    assert plans_in_db(db) == 0


def test_nan_durations_and_budgets_are_a_422(client, db, org, headers):
    for field, body in [
        ("duration_min", day(_stop(duration_min="__TOKEN__"))),
        ("time_budget_s", day(time_budget_s="__TOKEN__")),
    ]:
        raw = json.dumps(body).replace('"__TOKEN__"', "NaN")
        response = client.post(
            URL, data=raw, content_type="application/json", headers=headers(org["rep_e1"])
        )
        assert_problem(response, 422, "request.validation")
        assert field in json.dumps(response.get_json()["errors"])


def test_no_login_no_plan(client, org):
    assert client.post(URL, json=day()).status_code == 401


# --- who sees a plan ------------------------------------------------------------------------


def test_team_leads_see_their_reps_plans_and_siblings_do_not(client, db, org, headers):
    plan = create(client, headers, org["rep_e1"], day({"id": "a", "point": near(0.01, 0)}))
    url = f"{URL}/{plan['id']}"

    for viewer in ("lead_e1", "lead_east", "admin"):
        assert client.get(url, headers=headers(org[viewer])).get_json()["id"] == plan["id"]
        listed = client.get(URL, headers=headers(org[viewer])).get_json()
        assert plan["id"] in [p["id"] for p in listed], viewer
    for outsider in ("lead_e2", "lead_w", "rep_e1b", "rep_e2"):
        assert_problem(client.get(url, headers=headers(org[outsider])), 404, "resource.not_found")
        assert client.get(URL, headers=headers(org[outsider])).get_json() == [], outsider
    # seeing is not re-planning: only the rep re-optimises their own day
    body = {"position": HOME, "at": f"{DAY}T10:00:00+08:00"}
    assert_problem(
        client.post(f"{url}/reoptimize", json=body, headers=headers(org["lead_e1"])), 422
    )
    assert_problem(
        client.post(f"{url}/reoptimize", json=body, headers=headers(org["lead_e2"])), 404
    )


# --- HR deprovisioning ----------------------------------------------------------------------


def test_deprovisioning_cancels_todays_and_future_plans_only(client, db, org, headers):
    rep = org["rep_e1"]
    days = ("2026-12-01", "2026-12-02", "2026-12-03")
    ids = {d: create(client, headers, rep, day(date=d))["id"] for d in days}
    replaced = ids["2026-12-03"]
    ids["2026-12-03"] = create(client, headers, rep, day(date="2026-12-03"))["id"]
    other = create(client, headers, org["rep_e1b"], day(date="2026-12-03"))["id"]

    # 17:00 UTC on Dec 1 is already 01:00 on Dec 2 in Shanghai: Dec 1 is the past
    now = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
    assert cancel_future_route_plans(db, staff_id=rep.id, now=now) == 2
    db.expire_all()

    status = {pid: db.get(RoutePlan, pid).status for pid in [*ids.values(), replaced, other]}
    assert status == {
        ids["2026-12-01"]: "active",
        ids["2026-12-02"]: "cancelled",
        ids["2026-12-03"]: "cancelled",
        replaced: "replaced",
        other: "active",
    }
    assert (
        client.get(URL, query_string={"date": "2026-12-02"}, headers=headers(rep)).get_json()[0][
            "status"
        ]
        == "cancelled"
    )
    assert cancel_future_route_plans(db, staff_id=rep.id, now=now) == 0  # nothing twice


# --- sync -----------------------------------------------------------------------------------


def _pull(client, auth, cursor=None):
    response = client.get(
        "/api/v1/sync/pull",
        query_string={
            "last_pulled_at": "null" if cursor is None else cursor,
            "schema_version": 1,
            "migration": "null",
        },
        headers=auth,
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_plans_reach_the_phone_read_only(client, db, org, headers):
    rep = headers(org["rep_e1"])
    plan = create(client, headers, org["rep_e1"], day({"id": "a", "point": near(0.01, 0)}))
    db.commit()

    body = _pull(client, rep)
    records = body["changes"]["route_plans"]["created"]
    assert [r["id"] for r in records] == [plan["id"]]
    raw = records[0]
    assert (raw["plan_date"], raw["status"], raw["replaces_id"]) == (DAY, "active", None)
    assert json.loads(raw["plan_json"]) == plan["plan"]
    assert isinstance(raw["created_at"], int) and isinstance(raw["updated_at"], int)
    assert "request" not in raw and "staff_id" not in raw

    cursor = body["timestamp"]
    pushed = {**raw, "status": "cancelled", "_status": "updated", "_changed": "status"}
    forged = {**raw, "id": "forgedplan000001", "_status": "created", "_changed": ""}
    changes = {"route_plans": {"created": [forged], "updated": [pushed], "deleted": [plan["id"]]}}
    response = client.post(
        "/api/v1/sync/push", query_string={"last_pulled_at": cursor}, json=changes, headers=rep
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "experimentalRejectedIds": {"route_plans": ["forgedplan000001", plan["id"], plan["id"]]}
    }
    codes = db.scalars(
        sa.select(SyncRejection.code).where(SyncRejection.table_name == "route_plans")
    ).all()
    assert codes == ["sync.read_only"] * 3
    db.expire_all()
    assert db.get(RoutePlan, plan["id"]).status == "active"
    assert db.get(RoutePlan, "forgedplan000001") is None

    # a re-plan reaches the phone as a new record plus the old one's status change
    replan = create(client, headers, org["rep_e1"], day({"id": "b", "point": near(0, 0.01)}))
    db.commit()
    later = _pull(client, rep, cursor)["changes"]["route_plans"]
    assert [r["id"] for r in later["created"]] == [replan["id"]]
    assert [(r["id"], r["status"]) for r in later["updated"]] == [(plan["id"], "replaced")]
    # a team lead's phone carries only their own plans, not their reps'
    lead_pull = _pull(client, headers(org["lead_e1"]))
    assert lead_pull["changes"]["route_plans"]["created"] == []


def test_the_default_date_is_today_in_the_reps_time_zone(client, db, org, headers):
    body = day()
    del body["date"]
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    before = datetime.now(UTC).astimezone(shanghai).date().isoformat()
    plan = create(client, headers, org["rep_e1"], body)
    after = datetime.now(UTC).astimezone(shanghai).date().isoformat()

    assert plan["plan_date"] in (before, after)  # (the test may straddle midnight)
