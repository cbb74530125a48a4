"""Route-plan use cases: plan a rep's day, re-optimise it en route, cancel future plans.

Rules: stops given as lead ids must be leads the rep may work (inside their territories);
ad-hoc points and start/end come with a datum and are converted to WGS-84 before any road
engine sees them. Times are the rep's local clock on the plan date; the engine works in
seconds since that local midnight. A new plan for the same day replaces the active one.
"""

from __future__ import annotations

import secrets
import zoneinfo
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.db import utcnow
from app.errors import NotFound, Problem, ServiceUnavailable
from app.leads import service as leads
from app.org.models import Role, Staff
from app.org.scope import Principal, node_in_scope
from app.planning.models import PlanStatus, RoutePlan
from geo import routing


class InvalidPlanRequest(Problem):
    status = 422
    code = "route.invalid_request"
    title = "The day cannot be planned as requested"


def _tz(staff: Staff) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(staff.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _seconds(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def _point(data: dict[str, Any]) -> dict[str, float]:
    loc = leads.to_location(data["lat"], data["lon"], data.get("datum", "wgs84"))
    return {"lat": loc.lat, "lon": loc.lon}


def _stops(
    session: Session, principal: Principal, stops_in: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Normalized stops: WGS-84 points, seconds, lead stops checked against territories."""
    result, seen = [], set()
    for index, stop in enumerate(stops_in):
        if stop.get("lead_id"):
            lead = leads.get_lead(session, principal, lead_id=stop["lead_id"])
            leads.require_in_territory(session, principal, lead)
            stop_id, point = stop.get("id") or lead.id, {"lat": lead.lat, "lon": lead.lon}
        elif stop.get("point"):
            stop_id, point = stop.get("id") or f"stop-{index + 1}", _point(stop["point"])
        else:
            raise InvalidPlanRequest(f"Stop {index}: give a lead_id or a point.")
        if stop_id in seen:
            raise InvalidPlanRequest(f"Stop id {stop_id!r} appears twice.")
        seen.add(stop_id)
        windows = [[_seconds(w["start"]), _seconds(w["end"])] for w in stop.get("windows", [])]
        result.append(
            {
                "id": stop_id,
                "lead_id": stop.get("lead_id"),
                **point,
                "service_s": int(stop.get("duration_min", 30) * 60),
                "windows": windows,
                "must_visit": bool(stop.get("must_visit", False)),
                "prize": stop.get("prize", 1),
            }
        )
    return result


def _day_request(spec: dict[str, Any]) -> routing.DayRequest:
    """The engine's request from a stored, normalized spec (raises RoutingInputError)."""
    lunch = spec.get("lunch")
    return routing.DayRequest(
        start=routing.Point(**spec["start"]),
        end=routing.Point(**spec["end"]),
        shift=routing.TimeWindow(*spec["shift"]),
        stops=tuple(
            routing.Stop(
                id=s["id"],
                point=routing.Point(s["lat"], s["lon"]),
                service_s=s["service_s"],
                windows=tuple(routing.TimeWindow(a, b) for a, b in s["windows"]),
                must_visit=s["must_visit"],
                prize=s["prize"],
            )
            for s in spec["stops"]
        ),
        lunch=routing.LunchBreak(routing.TimeWindow(*lunch["window"]), lunch["duration_s"])
        if lunch
        else None,
        max_stops=spec.get("max_stops"),
        locked=tuple(spec.get("locked", [])),
        objective=spec.get("objective", "time"),
        time_budget_s=spec.get("time_budget_s", 1.0),
    )


def _run(engine_call: Any) -> routing.DayPlan:
    try:
        return engine_call()
    except routing.RoutingInputError as exc:
        raise InvalidPlanRequest(str(exc), reason_code=getattr(exc, "code", "invalid")) from None
    except routing.MatrixError as exc:
        raise ServiceUnavailable(f"The road network service failed: {exc}") from None


def _clock(plan_date: date, tz: zoneinfo.ZoneInfo, seconds: int) -> str:
    moment = datetime.combine(plan_date, time(0), tzinfo=tz) + timedelta(seconds=seconds)
    return moment.isoformat()


def _result(
    plan: routing.DayPlan, spec: dict[str, Any], plan_date: date, tz: zoneinfo.ZoneInfo
) -> dict[str, Any]:
    """The API shape of a planned day: local ISO times, legs, GeoJSON route, dropped stops."""
    by_id = {s["id"]: s for s in spec["stops"]}
    stops = [
        {
            "stop_id": v.stop_id,
            "lead_id": by_id[v.stop_id].get("lead_id"),
            "lat": by_id[v.stop_id]["lat"],
            "lon": by_id[v.stop_id]["lon"],
            "arrival": _clock(plan_date, tz, v.arrival),
            "wait_s": v.wait_s,
            "start": _clock(plan_date, tz, v.start),
            "departure": _clock(plan_date, tz, v.departure),
            "leg_distance_m": v.leg.distance_m,
            "leg_duration_s": v.leg.duration_s,
        }
        for v in plan.visits
    ]
    return {
        "stops": stops,
        "end_leg": {"distance_m": plan.end_leg.distance_m, "duration_s": plan.end_leg.duration_s},
        "lunch": (
            {
                "start": _clock(plan_date, tz, plan.lunch.start),
                "end": _clock(plan_date, tz, plan.lunch.start + spec["lunch"]["duration_s"]),
            }
            if plan.lunch and spec.get("lunch")
            else None
        ),
        "start_time": _clock(plan_date, tz, plan.start_time),
        "end_time": _clock(plan_date, tz, plan.end_time),
        "total_distance_m": plan.total_distance_m,
        "total_travel_s": plan.total_travel_s,
        "total_wait_s": plan.total_wait_s,
        "route": {"type": "LineString", "coordinates": [[p.lon, p.lat] for p in plan.geometry]},
        "dropped": [
            {"stop_id": d.stop_id, "reason": str(d.reason), "must_visit": d.must_visit}
            for d in plan.dropped
        ],
        "solver": {
            "status": str(plan.status),
            "gap_pct": plan.gap_pct,
            "runtime_s": round(plan.solver_runtime_s, 3),
        },
    }


def create_plan(
    session: Session,
    principal: Principal,
    *,
    plan_in: dict[str, Any],
    provider: routing.MatrixProvider | None = None,
) -> RoutePlan:
    """Plan the caller's day. Raises NotFound/OutOfTerritory for lead stops, InvalidPlanRequest."""
    staff = session.get(Staff, principal.staff_id)
    if staff is None:
        raise NotFound()
    tz = _tz(staff)
    plan_date = plan_in.get("date") or utcnow().astimezone(tz).date()
    start = _point(plan_in["start"])
    spec: dict[str, Any] = {
        "start": start,
        "end": _point(plan_in["end"]) if plan_in.get("end") else start,
        "shift": [_seconds(plan_in["shift_start"]), _seconds(plan_in["shift_end"])],
        "stops": _stops(session, principal, plan_in.get("stops", [])),
        "max_stops": plan_in.get("max_stops"),
        "locked": plan_in.get("locked", []),
        "objective": plan_in.get("objective", "time"),
        "time_budget_s": plan_in.get("time_budget_s", 1.0),
    }
    if plan_in.get("lunch"):
        lunch = plan_in["lunch"]
        spec["lunch"] = {
            "window": [_seconds(lunch["earliest"]), _seconds(lunch["latest"])],
            "duration_s": int(lunch["duration_min"] * 60),
        }
    plan = _run(lambda: routing.plan_day(_day_request(spec), provider=provider))
    return _store(session, staff, plan_date, tz, spec, _result(plan, spec, plan_date, tz), None)


def _store(
    session: Session,
    staff: Staff,
    plan_date: date,
    tz: zoneinfo.ZoneInfo,
    spec: dict[str, Any],
    result: dict[str, Any],
    replaces: str | None,
) -> RoutePlan:
    now = utcnow()
    session.execute(
        sa.update(RoutePlan)
        .where(
            RoutePlan.staff_id == staff.id,
            RoutePlan.plan_date == plan_date,
            RoutePlan.status == PlanStatus.ACTIVE.value,
        )
        .values(status=PlanStatus.REPLACED.value, updated_at=now)
    )
    record = RoutePlan(
        id=secrets.token_hex(8),
        staff_id=staff.id,
        org_node_id=staff.org_node_id,
        plan_date=plan_date,
        timezone=str(tz),
        status=PlanStatus.ACTIVE.value,
        replaces_id=replaces,
        request=spec,
        result=result,
        created_at=now,
        updated_at=now,
    )
    session.add(record)
    session.flush()
    return record


def visible(principal: Principal) -> sa.ColumnElement[bool]:
    """Reps see their own plans; managers the plans of reps in their subtree."""
    if principal.role == Role.REP:
        return RoutePlan.staff_id == principal.staff_id
    return node_in_scope(RoutePlan.org_node_id, principal)


def get_plan(session: Session, principal: Principal, *, plan_id: str) -> RoutePlan:
    """One visible plan, or NotFound."""
    plan = session.scalars(
        sa.select(RoutePlan).where(RoutePlan.id == plan_id, visible(principal))
    ).first()
    if plan is None:
        raise NotFound(f"Route plan {plan_id} not found.")
    return plan


def list_plans(
    session: Session, principal: Principal, *, plan_date: date | None = None, limit: int = 50
) -> list[RoutePlan]:
    """Visible plans, newest first, optionally of one day."""
    stmt = sa.select(RoutePlan).where(visible(principal))
    if plan_date is not None:
        stmt = stmt.where(RoutePlan.plan_date == plan_date)
    return list(session.scalars(stmt.order_by(RoutePlan.created_at.desc()).limit(limit)))


def reoptimize(
    session: Session,
    principal: Principal,
    *,
    plan_id: str,
    reopt_in: dict[str, Any],
    provider: routing.MatrixProvider | None = None,
) -> RoutePlan:
    """Re-plan the rest of the day from the current position and time (the rep's own plan)."""
    old = get_plan(session, principal, plan_id=plan_id)
    if old.staff_id != principal.staff_id or old.status != PlanStatus.ACTIVE.value:
        raise InvalidPlanRequest("Only your active plan can be re-optimised.")
    staff = session.get(Staff, old.staff_id)
    tz = zoneinfo.ZoneInfo(old.timezone)
    at = (reopt_in.get("at") or utcnow()).astimezone(tz)
    now_s = int((at - datetime.combine(old.plan_date, time(0), tzinfo=tz)).total_seconds())
    position = _point(reopt_in["position"])
    # The stored spec is the whole day's; what earlier re-plans were told stays told, so a stop
    # visited before the previous re-plan does not come back when only newer visits are sent.
    visited = list(old.request.get("visited", []))
    visited += [sid for sid in dict.fromkeys(reopt_in.get("visited", [])) if sid not in visited]
    lunch_taken = bool(old.request.get("lunch_taken")) or reopt_in.get("lunch_taken", False)
    spec = {**old.request, "visited": visited, "lunch_taken": lunch_taken}
    plan = _run(
        lambda: routing.reoptimize(
            _day_request(spec),
            position=routing.Point(**position),
            now=now_s,
            visited=visited,
            en_route=reopt_in.get("en_route"),
            lunch_taken=lunch_taken,
            provider=provider,
        )
    )
    result = _result(plan, spec, old.plan_date, tz)
    return _store(session, staff, old.plan_date, tz, spec, result, old.id)  # type: ignore[arg-type]


def cancel_future_plans(session: Session, *, staff_id: int, today: date | None = None) -> int:
    """Cancel a person's plans for today and later (HR deprovisioning). Returns how many."""
    today = today or utcnow().date()
    result = session.execute(
        sa.update(RoutePlan)
        .where(
            RoutePlan.staff_id == staff_id,
            RoutePlan.plan_date >= today,
            RoutePlan.status == PlanStatus.ACTIVE.value,
        )
        .values(status=PlanStatus.CANCELLED.value, updated_at=utcnow())
    )
    return result.rowcount or 0
