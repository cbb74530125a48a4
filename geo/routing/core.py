"""A general routing core on PyVRP: N vehicles, integer matrices, optional prize-collecting clients.

Both the day planner (one rep) and the benchmark (Solomon fleets, TSPLIB tours) go through
``solve_vrp``. Client windows here are PyVRP's: the window bounds the *start* of service.

Multiple windows: a client with k > 1 windows becomes k optional copies at one location, one per
window, in a mutually exclusive PyVRP client group (required if the client is): the solver picks at
most one copy, i.e. one window. Callers may declare their own groups too (the day planner's lunch).

Several seeds run in parallel threads (PyVRP's search releases the GIL) for the same wall time; the
best feasible solution wins. Each run checks a shared deadline between iterations, and the caller
waits at most budget + grace: a run that overstays is told to stop and ignored.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pyvrp import Client, ClientGroup, Depot, Location, ProblemData, VehicleType, solve
from pyvrp.Result import Result

_FAR = int(np.iinfo(np.int64).max)  # PyVRP's own "no limit": data without windows stays fast


@dataclass(frozen=True, slots=True)
class VrpClient:
    """A location to serve: service time, service-start windows (none = any time), worth."""

    location: int
    service: int = 0
    windows: tuple[tuple[int, int], ...] = ()
    demand: int = 0
    prize: int = 0
    required: bool = True
    #: index into ``VrpProblem.groups``: at most one client of a group is served (exactly one if
    #: the group is required); grouped clients need a single window and ``required=False``
    group: int | None = None


@dataclass(frozen=True, slots=True)
class VrpFleet:
    """Identical vehicles: start/end locations, shift window, capacity (None = unlimited)."""

    count: int = 1
    start: int = 0
    end: int = 0
    shift_start: int = 0
    shift_end: int = _FAR
    leave_at_shift_start: bool = False
    capacity: int | None = None


@dataclass(frozen=True, slots=True)
class VrpProblem:
    """Integer distance and duration matrices over locations, clients and fleets."""

    distances: Sequence[Sequence[int]]
    durations: Sequence[Sequence[int]]
    clients: tuple[VrpClient, ...]
    fleets: tuple[VrpFleet, ...]
    objective: Literal["distance", "duration"] = "distance"
    #: mutually exclusive client groups, each given by whether serving one of them is required
    groups: tuple[bool, ...] = ()


@dataclass(frozen=True, slots=True)
class VrpSolution:
    """Routes as (fleet index, [(client index, window index), ...]) and how the run went."""

    routes: tuple[tuple[int, tuple[tuple[int, int], ...]], ...]
    cost: int
    feasible: bool
    seeds: int
    iterations: int
    runtime_s: float

    @property
    def visited(self) -> frozenset[int]:
        """Indices of the clients served by some route."""
        return frozenset(c for _, route in self.routes for c, _ in route)


class _Deadline:
    """PyVRP stopping criterion: deadline, external stop signal, or a long stall."""

    def __init__(self, deadline: float, stop: threading.Event, stall: int | None):
        self._deadline = deadline
        self._stop = stop
        self._stall = stall
        self._best = math.inf
        self._since = 0

    def __call__(self, best_cost: float) -> bool:
        if best_cost < self._best:
            self._best, self._since = best_cost, 0
        else:
            self._since += 1
        if self._stall is not None and self._since >= self._stall:
            return True
        return self._stop.is_set() or time.monotonic() >= self._deadline


def _problem_data(problem: VrpProblem) -> tuple[ProblemData, list[tuple[int, int]]]:
    """PyVRP data, and for each PyVRP client the (client index, window index) it stands for."""
    n = len(problem.distances)
    locations = [Location(x=0.0, y=0.0, name=str(i)) for i in range(n)]
    depot_locs = sorted({f.start for f in problem.fleets} | {f.end for f in problem.fleets})
    depot_of = {loc: k for k, loc in enumerate(depot_locs)}
    depots = [Depot(location=loc) for loc in depot_locs]
    capacity = any(f.capacity is not None for f in problem.fleets)
    total_demand = sum(c.demand for c in problem.clients)
    clients: list[Client] = []
    groups = [ClientGroup(required=required) for required in problem.groups]
    origin: list[tuple[int, int]] = []
    for index, c in enumerate(problem.clients):
        windows = c.windows or ((0, _FAR),)  # PyVRP's defaults: no time-window work at all
        if c.group is not None and (len(windows) > 1 or c.required):
            raise ValueError(f"client {index}: grouped clients need one window and required=False")
        if len(windows) > 1:
            groups.append(ClientGroup(required=c.required))
        group = len(groups) - 1 if len(windows) > 1 else c.group
        for k, (early, late) in enumerate(windows):
            if group is not None:
                groups[group].add_client(len(clients))
            clients.append(
                Client(
                    location=c.location,
                    delivery=[c.demand] if capacity else [],
                    service_duration=c.service,
                    tw_early=early,
                    tw_late=late,
                    prize=c.prize,
                    required=c.required and group is None,
                    group=group,
                )
            )
            origin.append((index, k))
    vehicle_types = [
        VehicleType(
            num_available=f.count,
            capacity=[f.capacity if f.capacity is not None else total_demand] if capacity else [],
            start_depot=depot_of[f.start],
            end_depot=depot_of[f.end],
            tw_early=f.shift_start,
            tw_late=f.shift_end,
            start_late=f.shift_start if f.leave_at_shift_start else None,
            unit_distance_cost=1 if problem.objective == "distance" else 0,
            unit_duration_cost=1 if problem.objective == "duration" else 0,
        )
        for f in problem.fleets
    ]
    dist = np.asarray(problem.distances, dtype=np.int64)
    dur = np.asarray(problem.durations, dtype=np.int64)
    # PyVRP's stub spells its matrices ndarray[int], which no real array type matches
    data = ProblemData(locations, clients, depots, vehicle_types, [dist], [dur], groups)  # type: ignore[list-item]
    return data, origin


def _run_seed(
    data: ProblemData, seed: int, deadline: float, stop: threading.Event, stall: int | None
) -> Result:
    return solve(data, stop=_Deadline(deadline, stop, stall), seed=seed, collect_stats=False)


def solve_vrp(
    problem: VrpProblem,
    *,
    budget_s: float,
    seeds: Sequence[int] = (1,),
    grace_s: float = 1.0,
    stall_per_client: int | None = 1000,
) -> VrpSolution | None:
    """Best solution found within ``budget_s`` wall seconds, or None if no run finished in time.

    A run also ends after ``stall_per_client`` x clients iterations without improvement, so small
    problems return long before the budget (None: always use the whole budget).
    """
    if not problem.clients:
        return VrpSolution((), 0, True, 0, 0, 0.0)
    data, origin = _problem_data(problem)
    began = time.monotonic()
    stop = threading.Event()
    pool = ThreadPoolExecutor(max_workers=len(seeds), thread_name_prefix="pyvrp")
    stall = None if stall_per_client is None else stall_per_client * len(problem.clients)
    futures = [pool.submit(_run_seed, data, s, began + budget_s, stop, stall) for s in seeds]
    done, _ = wait(futures, timeout=budget_s + grace_s, return_when=FIRST_EXCEPTION)
    if len(done) < len(futures):
        done, _ = wait(futures, timeout=max(0.0, began + budget_s + grace_s - time.monotonic()))
    stop.set()
    pool.shutdown(wait=False, cancel_futures=True)
    results = [f.result() for f in done]
    if not results:
        return None
    best = min(results, key=lambda r: (not r.is_feasible(), r.cost()))
    routes = tuple(
        (route.vehicle_type(), tuple(origin[a.idx] for a in route if a.is_client()))
        for route in best.best.routes()
    )
    cost = best.cost()
    return VrpSolution(
        routes=routes,
        cost=int(cost) if math.isfinite(cost) else -1,
        feasible=best.is_feasible(),
        seeds=len(results),
        iterations=sum(r.num_iterations for r in results),
        runtime_s=time.monotonic() - began,
    )
