"""What the planner answers: the timed route, what was left out and why, and how the solve went."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from geo.routing.request import Objective, Point
from geo.routing.schedule import Leg, LunchSlot, Schedule, ScheduledVisit


class DropReason(StrEnum):
    """Why a stop is not in the plan (stable strings for the API)."""

    #: no window can be reached, even visiting this stop alone right after the locked stops
    NO_TIME_WINDOW_FITS = "no_time_window_fits"
    #: even alone and ignoring its windows, start → stop → end does not fit in the shift
    SHIFT_TOO_SHORT = "shift_too_short"
    #: it would fit, but the plan already holds ``max_stops`` stops
    MAX_STOPS = "max_stops"
    #: the time (or distance) went to stops worth more
    LOWER_VALUE = "lower_value"


class SolveStatus(StrEnum):
    """How the order was found."""

    #: nothing to choose (no candidate stops): the plan is trivially optimal
    EMPTY = "empty"
    #: best order the solver found within the budget (no lower bound known)
    SOLVED = "solved"
    #: the solver's order failed the evaluator and stops were dropped to make it feasible
    REPAIRED = "repaired"
    #: the solver produced nothing within the hard limit; greedy insertion built the plan
    FALLBACK = "fallback"


@dataclass(frozen=True, slots=True)
class DroppedStop:
    """A stop left out, with the reason; ``must_visit`` flags a must-see the day could not hold."""

    stop_id: str
    reason: DropReason
    must_visit: bool = False


@dataclass(frozen=True, slots=True)
class DayPlan:
    """A feasible day: visits with ETAs, legs, lunch, dropped stops, geometry and solve status."""

    visits: tuple[ScheduledVisit, ...]
    end_leg: Leg
    lunch: LunchSlot | None
    dropped: tuple[DroppedStop, ...]
    start_time: int
    end_arrival: int
    end_time: int
    total_distance_m: int
    total_travel_s: int
    total_wait_s: int
    geometry: tuple[Point, ...]
    objective: Objective
    status: SolveStatus
    gap_pct: float | None
    solver_runtime_s: float

    @property
    def order(self) -> tuple[str, ...]:
        """Stop ids in visiting order."""
        return tuple(v.stop_id for v in self.visits)

    @property
    def legs(self) -> tuple[Leg, ...]:
        """Every leg in driving order, the last one into the end point."""
        return (*(v.leg for v in self.visits), self.end_leg)

    @property
    def dropped_must_visits(self) -> tuple[DroppedStop, ...]:
        """Must-visit stops the day could not hold."""
        return tuple(d for d in self.dropped if d.must_visit)

    @classmethod
    def from_schedule(
        cls,
        schedule: Schedule,
        *,
        dropped: tuple[DroppedStop, ...],
        geometry: tuple[Point, ...],
        objective: Objective,
        status: SolveStatus,
        gap_pct: float | None,
        solver_runtime_s: float,
    ) -> DayPlan:
        """Wrap a feasible evaluator schedule with what the solve adds."""
        if not schedule.feasible:
            raise ValueError(f"refusing an infeasible schedule: {schedule.violations}")
        return cls(
            visits=schedule.visits,
            end_leg=schedule.end_leg,
            lunch=schedule.lunch,
            dropped=dropped,
            start_time=schedule.start_time,
            end_arrival=schedule.end_arrival,
            end_time=schedule.end_time,
            total_distance_m=schedule.total_distance_m,
            total_travel_s=schedule.total_travel_s,
            total_wait_s=schedule.total_wait_s,
            geometry=geometry,
            objective=objective,
            status=status,
            gap_pct=gap_pct,
            solver_runtime_s=solver_runtime_s,
        )
