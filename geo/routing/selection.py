"""Which stops stay: single-stop checks, repair of an infeasible order, greedy fill, drop reasons.

Everything here decides with the evaluator only, so a plan is only ever as good as it proves.
``value`` is a stop's worth in objective units (must-visits worth more than any route costs).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from geo.routing.evaluator import Evaluator, Schedule
from geo.routing.plan import DropReason
from geo.routing.request import Objective

_CAP_EXCESS = 1 << 40  # repair: one stop over the cap weighs more than any lateness


def alone_reason(
    free: Evaluator, no_windows: Evaluator, locked: list[int], stop: int
) -> DropReason | None:
    """Why ``stop`` cannot be visited even alone after the locked prefix, or None if it can."""
    order = [*locked, stop]
    if free.feasible(order):
        return None
    if no_windows.feasible(order):
        return DropReason.NO_TIME_WINDOW_FITS
    return DropReason.SHIFT_TOO_SHORT


def cost(schedule: Schedule, objective: Objective) -> int:
    """The objective of a schedule: end of day (time) or metres driven (distance)."""
    return schedule.end_time if objective == "time" else schedule.total_distance_m


def repair(
    evaluator: Evaluator,
    order: list[int],
    n_locked: int,
    value: Sequence[int],
    deadline: float = float("inf"),
) -> tuple[list[int], list[int]]:
    """Drop unlocked stops until the evaluator accepts ``order``; (order, dropped stops).

    Each round drops the stop whose removal helps most (feasible, else least lateness), the
    least valuable on ties. Past ``deadline`` it drops the least valuable stop that can matter.
    """
    cap = evaluator.request.max_stops
    removed: list[int] = []
    while not evaluator.feasible(order):
        if len(order) <= n_locked:
            raise RuntimeError("the locked prefix alone is infeasible; validate it first")
        positions = range(n_locked, len(order))
        if time.monotonic() > deadline:
            # something at or before the first late visit has to go; the cheapest of those
            late = evaluator.schedule(order).late_positions
            upto = range(n_locked, late[0] + 1) if late and late[0] >= n_locked else positions
            removed.append(order.pop(min(upto, key=lambda k: value[order[k]])))
            continue

        def badness(k: int) -> tuple[bool, int, int]:
            trial = order[:k] + order[k + 1 :]
            if evaluator.feasible(trial):
                return (False, 0, value[order[k]])
            sched = evaluator.schedule(trial)
            excess = max(0, len(trial) - cap) if cap is not None else 0
            return (True, sched.lateness_s + excess * _CAP_EXCESS, value[order[k]])

        removed.append(order.pop(min(positions, key=badness)))
    return order, removed


def best_insertion(
    free: Evaluator, order: list[int], n_locked: int, stop: int, objective: Objective
) -> tuple[int, int] | None:
    """Cheapest feasible (position, added cost) for ``stop`` after the locked prefix, or None."""
    base = cost(free.schedule(order), objective)
    best: tuple[int, int] | None = None
    for pos in range(n_locked, len(order) + 1):
        trial = [*order[:pos], stop, *order[pos:]]
        if not free.feasible(trial):
            continue
        sched = free.schedule(trial)
        if sched.feasible:
            delta = cost(sched, objective) - base
            if best is None or delta < best[1]:
                best = (pos, delta)
    return best


def fill(
    free: Evaluator,
    order: list[int],
    n_locked: int,
    candidates: Sequence[int],
    value: Sequence[int],
    *,
    cap: int | None,
    deadline: float,
) -> tuple[list[int], dict[int, DropReason]]:
    """Insert left-out stops, best value first, where worth their cost; reasons for the rest.

    ``free`` must not enforce the stop cap: ``cap`` is applied here so that a stop which would
    fit but for the cap is told apart (``max_stops``) from one that does not fit (``lower_value``).
    """
    request = free.request
    reasons: dict[int, DropReason] = {}
    for stop in sorted(candidates, key=lambda s: -value[s]):
        capped = cap is not None and len(order) >= cap
        if time.monotonic() > deadline:
            reasons[stop] = DropReason.MAX_STOPS if capped else DropReason.LOWER_VALUE
            continue
        found = best_insertion(free, order, n_locked, stop, request.objective)
        if found is None:
            reasons[stop] = DropReason.LOWER_VALUE
        elif capped:
            reasons[stop] = DropReason.MAX_STOPS
        elif value[stop] > found[1]:
            order = [*order[: found[0]], stop, *order[found[0] :]]
        else:
            reasons[stop] = DropReason.LOWER_VALUE
    return order, reasons
