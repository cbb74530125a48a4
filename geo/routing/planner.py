"""Plan a rep's day: validate, build the matrix, solve with PyVRP, prove and repair the order.

The solver sees the stops that can be visited at all (each checked alone after the locked prefix),
starting where and when the locked prefix ends. PyVRP has no breaks: lunch is modelled as a required
group of copies, one at each location, with the lunch window and duration (see _lunch_clients); the
evaluator then re-places lunch exactly, repairs if needed, and a greedy fill adds back stops left
out when they fit and are worth their cost.
Must-visits are optional clients whose prize exceeds any route's cost plus every optional prize,
so the solver only drops one when it cannot fit; it is then reported, never silently planned late.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

from geo.routing.core import VrpClient, VrpFleet, VrpProblem, solve_vrp
from geo.routing.errors import InfeasibleLockedOrder, InvalidShift, MatrixError
from geo.routing.evaluator import Evaluator
from geo.routing.matrix import HaversineProvider, Matrix, MatrixProvider
from geo.routing.plan import DayPlan, DroppedStop, DropReason, SolveStatus
from geo.routing.request import DayRequest, PlannerConfig
from geo.routing.selection import alone_reason, fill, repair
from geo.routing.validation import validate


def _stop_values(request: DayRequest, matrix: Matrix, config: PlannerConfig) -> list[int]:
    """Each stop's worth in objective units; a must-visit outweighs any route and all prizes."""
    if request.objective == "time":
        route_bound, point = request.shift.length, config.prize_point_s
    else:
        route_bound = sum(max(row) for row in matrix.distances_m)
        point = config.prize_point_m
    point = route_bound + 1 if point is None else point
    optional = [s.prize * point for s in request.stops]
    must = (
        route_bound
        + sum(v for s, v in zip(request.stops, optional, strict=True) if not s.must_visit)
        + 1
    )
    return [must if s.must_visit else v for s, v in zip(request.stops, optional, strict=True)]


def _check_base(request: DayRequest, matrix: Matrix) -> list[int]:
    """Refuse a day whose bare trip or locked prefix cannot work; return the locked indices."""
    bare = Evaluator(dataclasses.replace(request, locked=(), max_stops=None), matrix)
    schedule = bare.schedule([])
    if not schedule.feasible:
        raise InvalidShift(
            "the trip from start to end does not fit in the shift: "
            + "; ".join(schedule.violations)
        )
    evaluator = Evaluator(request, matrix)
    locked = evaluator.locked
    schedule = evaluator.schedule(locked)
    if not schedule.feasible:
        raise InfeasibleLockedOrder(
            "the locked stops cannot be visited in order: " + "; ".join(schedule.violations)
        )
    return locked


def _solver_problem(
    request: DayRequest, matrix: Matrix, locked: list[int], candidates: list[int], value: list[int]
) -> VrpProblem:
    """Single-vehicle PyVRP problem over the candidates, starting where the locked prefix ends."""
    relaxed = Evaluator(dataclasses.replace(request, lunch=None, max_stops=None), matrix)
    depart = relaxed.schedule(locked).visits[-1].departure if locked else request.shift.start
    nodes = [locked[-1] + 2 if locked else 0, 1, *(c + 2 for c in candidates)]
    clients = []
    for k, stop_index in enumerate(candidates):
        stop = request.stops[stop_index]
        windows = tuple(
            (w.start, w.end - stop.service_s)
            for w in stop.windows
            if w.end - stop.service_s >= w.start
        )
        clients.append(
            VrpClient(
                location=k + 2,
                service=stop.service_s,
                windows=windows,
                demand=1,
                prize=value[stop_index],
                required=False,
            )
        )
    lunch_clients, groups, shift_end = _lunch_clients(request, depart, len(nodes))
    cap = None if request.max_stops is None else request.max_stops - len(locked)
    fleet = VrpFleet(
        start=0,
        end=1,
        shift_start=depart,
        shift_end=shift_end,
        leave_at_shift_start=True,
        capacity=cap,
    )
    return VrpProblem(
        distances=[[matrix.distances_m[a][b] for b in nodes] for a in nodes],
        durations=[[matrix.durations_s[a][b] for b in nodes] for a in nodes],
        clients=(*clients, *lunch_clients),
        fleets=(fleet,),
        objective="duration" if request.objective == "time" else "distance",
        groups=groups,
    )


def _lunch_clients(
    request: DayRequest, depart: int, locations: int
) -> tuple[list[VrpClient], tuple[bool, ...], int]:
    """Lunch as one required choice among copies at every location, groups, and the shift end.

    A copy at a stop's location costs no extra travel next to that stop, so the solver places
    lunch where the route passes at the right time. If lunch must fall inside the locked prefix,
    the solver gets no copies and a shift shortened by the lunch instead.
    """
    lunch = request.lunch
    if lunch is None:
        return [], (), request.shift.end
    latest = lunch.window.end - lunch.duration_s
    if depart > latest:
        return [], (), max(depart, request.shift.end - lunch.duration_s)
    copies = [
        VrpClient(
            location=loc,
            service=lunch.duration_s,
            windows=((lunch.window.start, latest),),
            required=False,
            group=0,
        )
        for loc in range(locations)
    ]
    return copies, (True,), request.shift.end


def plan_day(
    request: DayRequest,
    *,
    provider: MatrixProvider | None = None,
    config: PlannerConfig | None = None,
) -> DayPlan:
    """Best feasible plan for ``request``; raises RoutingInputError (4xx) or MatrixError (5xx)."""
    config = config or PlannerConfig()
    budget = validate(
        request, max_input_stops=config.max_input_stops, max_time_budget_s=config.max_time_budget_s
    )
    provider = provider or HaversineProvider()
    points = [request.start, request.end, *(s.point for s in request.stops)]
    matrix = provider.matrix(points)
    if matrix.size != len(points):
        raise MatrixError(f"matrix provider returned {matrix.size} points for {len(points)}")
    began = time.monotonic()
    locked = _check_base(request, matrix)
    free_request = dataclasses.replace(request, max_stops=None)
    free = Evaluator(free_request, matrix)
    no_windows = Evaluator(free_request, matrix, ignore_windows=True)
    reasons: dict[int, DropReason] = {}
    candidates: list[int] = []
    for i in range(len(request.stops)):
        if i in locked:
            continue
        reason = alone_reason(free, no_windows, locked, i)
        if reason is None and request.max_stops is not None and len(locked) >= request.max_stops:
            reason = DropReason.MAX_STOPS
        if reason is None:
            candidates.append(i)
        else:
            reasons[i] = reason
    value = _stop_values(request, matrix, config)
    order, status, runtime = _solve(request, matrix, locked, candidates, value, config, budget)
    evaluator = Evaluator(request, matrix)
    deadline = began + budget + config.hard_limit_grace_s
    order, removed = repair(evaluator, order, len(locked), value, deadline)
    if removed and status is SolveStatus.SOLVED:
        status = SolveStatus.REPAIRED
    left_out = [c for c in candidates if c not in order]
    if status is SolveStatus.FALLBACK:  # the greedy fill is the whole plan: give it its own time
        deadline = max(deadline, time.monotonic() + config.hard_limit_grace_s)
    order, fill_reasons = fill(
        free, order, len(locked), left_out, value, cap=request.max_stops, deadline=deadline
    )
    reasons.update(fill_reasons)
    schedule = evaluator.schedule(order)
    return DayPlan.from_schedule(
        schedule,
        dropped=_dropped(request, reasons),
        geometry=provider.path(
            [request.start, *(request.stops[i].point for i in order), request.end]
        ),
        objective=request.objective,
        status=status,
        gap_pct=0.0 if status is SolveStatus.EMPTY else None,
        solver_runtime_s=runtime,
    )


def _solve(
    request: DayRequest,
    matrix: Matrix,
    locked: list[int],
    candidates: list[int],
    value: list[int],
    config: PlannerConfig,
    budget: float,
) -> tuple[list[int], SolveStatus, float]:
    """Solver order (locked prefix first), its status and the seconds it took."""
    if not candidates:
        return list(locked), SolveStatus.EMPTY, 0.0
    problem = _solver_problem(request, matrix, locked, candidates, value)
    seeds = config.seeds_for(len(candidates))
    solution = solve_vrp(
        problem,
        budget_s=budget,
        seeds=seeds,
        grace_s=config.hard_limit_grace_s,
        stall_per_client=config.stall_iterations_per_stop,
    )
    if solution is None:
        return list(locked), SolveStatus.FALLBACK, budget + config.hard_limit_grace_s
    route: Sequence[tuple[int, int]] = solution.routes[0][1] if solution.routes else ()
    stops = [candidates[c] for c, _ in route if c < len(candidates)]  # the rest is lunch
    return [*locked, *stops], SolveStatus.SOLVED, solution.runtime_s


def _dropped(request: DayRequest, reasons: dict[int, DropReason]) -> tuple[DroppedStop, ...]:
    stops = request.stops
    return tuple(DroppedStop(stops[i].id, reasons[i], stops[i].must_visit) for i in sorted(reasons))
