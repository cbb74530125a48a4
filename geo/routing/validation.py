"""Whole-request checks that no single field can make alone; each failure names the rule broken."""

from __future__ import annotations

import math

from geo.routing.errors import (
    InvalidLockedOrder,
    InvalidLunchBreak,
    InvalidOption,
    InvalidShift,
    InvalidStop,
    RoutingInputError,
    TooManyStops,
)
from geo.routing.request import DayRequest, LunchBreak, Point, Stop, TimeWindow


def _check_types(request: DayRequest) -> None:
    if not isinstance(request.start, Point) or not isinstance(request.end, Point):
        raise RoutingInputError("start and end must be points")
    if not isinstance(request.shift, TimeWindow):
        raise RoutingInputError("shift must be a time window")
    if not all(isinstance(s, Stop) for s in request.stops):
        raise InvalidStop("every stop must be a Stop")
    if request.lunch is not None and not isinstance(request.lunch, LunchBreak):
        raise InvalidLunchBreak("lunch must be a LunchBreak or None")


def _check_stops(request: DayRequest, max_input_stops: int) -> None:
    if len(request.stops) > max_input_stops:
        raise TooManyStops(
            f"{len(request.stops)} stops exceed the limit of {max_input_stops} per plan"
        )
    seen: set[str] = set()
    for stop in request.stops:
        if stop.id in seen:
            raise InvalidStop(f"stop id {stop.id!r} appears more than once")
        seen.add(stop.id)
    shift = request.shift
    if shift.length <= 0:
        raise InvalidShift(f"shift must end after it starts ({shift.start}..{shift.end})")
    if request.stops:
        shortest = min(s.service_s for s in request.stops)
        if shortest > shift.length:
            raise InvalidShift(
                f"shift of {shift.length} s is shorter than every visit (shortest {shortest} s)"
            )


def _check_lunch(request: DayRequest) -> None:
    lunch, shift = request.lunch, request.shift
    if lunch is not None and not (
        shift.start <= lunch.window.start and lunch.window.end <= shift.end
    ):
        raise InvalidLunchBreak(
            f"lunch window {lunch.window.start}..{lunch.window.end} is not inside the shift "
            f"{shift.start}..{shift.end}"
        )


def _check_options(request: DayRequest) -> None:
    if request.objective not in ("time", "distance"):
        raise InvalidOption(f"objective must be 'time' or 'distance', got {request.objective!r}")
    cap = request.max_stops
    if cap is not None and (not isinstance(cap, int) or isinstance(cap, bool) or cap < 0):
        raise InvalidOption(f"max_stops must be an integer >= 0 or None, got {cap!r}")
    ids = {s.id for s in request.stops}
    unknown = [sid for sid in request.locked if sid not in ids]
    if unknown:
        raise InvalidLockedOrder(f"locked order names unknown stops: {unknown}")
    if len(set(request.locked)) != len(request.locked):
        raise InvalidLockedOrder("locked order names a stop more than once")
    if cap is not None and len(request.locked) > cap:
        raise InvalidLockedOrder(f"{len(request.locked)} locked stops exceed max_stops={cap}")


def time_budget(requested: float, cap: float) -> float:
    """The solver budget to use: the requested seconds, capped; refuses non-positive or NaN."""
    if isinstance(requested, bool) or not isinstance(requested, int | float):
        raise InvalidOption(f"time budget must be a number of seconds, got {requested!r}")
    if not math.isfinite(requested) or requested <= 0:
        raise InvalidOption(f"time budget must be a positive number of seconds, got {requested}")
    return min(float(requested), cap)


def validate(request: DayRequest, *, max_input_stops: int, max_time_budget_s: float) -> float:
    """Check the request as a whole; return the capped solver budget or raise RoutingInputError."""
    _check_types(request)
    _check_stops(request, max_input_stops)
    _check_lunch(request)
    _check_options(request)
    return time_budget(request.time_budget_s, max_time_budget_s)
