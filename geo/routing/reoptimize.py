"""Re-plan the rest of a day from where the rep is now."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection

from geo.routing.errors import InfeasibleLockedOrder, InvalidShift, InvalidStop
from geo.routing.matrix import MatrixProvider
from geo.routing.plan import DayPlan, DroppedStop, DropReason
from geo.routing.planner import plan_day
from geo.routing.request import DayRequest, LunchBreak, PlannerConfig, Point, TimeWindow


def _remaining_lunch(lunch: LunchBreak | None, now: int, taken: bool) -> LunchBreak | None:
    """The lunch still to take from ``now`` on, or None if taken or no longer possible."""
    if lunch is None or taken:
        return None
    opens = max(lunch.window.start, now)
    if lunch.window.end - opens < lunch.duration_s:
        return None
    return LunchBreak(TimeWindow(opens, lunch.window.end), lunch.duration_s)


def reoptimize(
    request: DayRequest,
    *,
    position: Point,
    now: int,
    visited: Collection[str] = (),
    en_route: str | None = None,
    lunch_taken: bool = False,
    provider: MatrixProvider | None = None,
    config: PlannerConfig | None = None,
) -> DayPlan:
    """Plan the rest of the day from ``position`` at ``now``: visited stops go, ``en_route`` first.

    The rest of the original locked prefix stays locked after the stop en route. A lunch that was
    taken or can no longer fit in its window is left out of the new plan (``plan.lunch`` is None).
    If the stop en route can no longer be served, it is planned like any other stop and, if it
    cannot fit, reported among the dropped stops with its reason. Stops whose visit alone is longer
    than what is left of the shift are reported as ``shift_too_short`` rather than refused.
    """
    ids = {s.id for s in request.stops}
    unknown = sorted(set(visited) - ids)
    if unknown:
        raise InvalidStop(f"visited names unknown stops: {unknown}")
    if en_route is not None and (en_route not in ids or en_route in visited):
        raise InvalidStop(f"stop en route {en_route!r} is unknown or already visited")
    if now >= request.shift.end:
        raise InvalidShift(f"the shift ended at {request.shift.end}; nothing is left to plan")
    start = max(now, request.shift.start)
    rest = [sid for sid in request.locked if sid not in visited and sid != en_route]
    remaining = dataclasses.replace(
        request,
        start=position,
        shift=TimeWindow(start, request.shift.end),
        stops=tuple(s for s in request.stops if s.id not in visited),
        lunch=_remaining_lunch(request.lunch, start, lunch_taken),
        locked=tuple([en_route, *rest] if en_route is not None else rest),
    )
    left = remaining.shift.length
    too_long = tuple(s for s in remaining.stops if s.service_s > left)
    if too_long:  # late in the day: report them instead of refusing the whole re-plan
        gone = {s.id for s in too_long}
        shorter = dataclasses.replace(
            request,
            stops=tuple(s for s in request.stops if s.id not in gone),
            locked=tuple(sid for sid in request.locked if sid not in gone),
        )
        plan = reoptimize(
            shorter,
            position=position,
            now=now,
            visited=visited,
            en_route=None if en_route in gone else en_route,
            lunch_taken=lunch_taken,
            provider=provider,
            config=config,
        )
        extra = tuple(DroppedStop(s.id, DropReason.SHIFT_TOO_SHORT, s.must_visit) for s in too_long)
        return dataclasses.replace(plan, dropped=(*plan.dropped, *extra))
    try:
        return plan_day(remaining, provider=provider, config=config)
    except InfeasibleLockedOrder:
        if en_route is None:
            raise
        return plan_day(
            dataclasses.replace(remaining, locked=tuple(rest)), provider=provider, config=config
        )
