"""A timed route as the evaluator reports it: legs, visits, lunch, totals and violations."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Leg:
    """One drive between consecutive points of the route."""

    distance_m: int
    duration_s: int


@dataclass(frozen=True, slots=True)
class ScheduledVisit:
    """A stop in the plan: when the rep gets there, waits, starts and leaves, and the leg in."""

    stop_id: str
    arrival: int
    wait_s: int
    start: int
    departure: int
    window_index: int | None
    leg: Leg


@dataclass(frozen=True, slots=True)
class LunchSlot:
    """The break: after ``after_visits`` visits, at stop ``at_stop`` (None = start or end point)."""

    start: int
    end: int
    after_visits: int
    at_stop: str | None


@dataclass(frozen=True, slots=True)
class Schedule:
    """The evaluator's verdict on one order: timings, totals and every violation found."""

    feasible: bool
    violations: tuple[str, ...]
    visits: tuple[ScheduledVisit, ...]
    end_leg: Leg
    start_time: int
    end_arrival: int
    end_time: int
    lunch: LunchSlot | None
    lateness_s: int
    #: positions in the order of visits that miss every window
    late_positions: tuple[int, ...] = ()

    @property
    def legs(self) -> tuple[Leg, ...]:
        """Every leg in driving order, the last one into the end point."""
        return (*(v.leg for v in self.visits), self.end_leg)

    @property
    def total_distance_m(self) -> int:
        """Metres driven over the whole route."""
        return sum(leg.distance_m for leg in self.legs)

    @property
    def total_travel_s(self) -> int:
        """Seconds spent driving over the whole route."""
        return sum(leg.duration_s for leg in self.legs)

    @property
    def total_wait_s(self) -> int:
        """Seconds spent waiting for windows to open (lunch excluded)."""
        return sum(v.wait_s for v in self.visits)
