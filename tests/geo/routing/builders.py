"""Builders for the routing tests: a hand-computable matrix provider, requests, a plan checker."""

from __future__ import annotations

from collections.abc import Sequence

from geo.routing import (
    DayPlan,
    DayRequest,
    Matrix,
    PlannerConfig,
    Point,
    Stop,
    TimeWindow,
    evaluate,
    plan_day,
)

#: fast solves for tests; the multi-seed path starts at 4 candidates so it is exercised too
FAST = PlannerConfig(hard_limit_grace_s=0.5, multi_seed_from=4)


class LineProvider:
    """Points on the equator; one degree of longitude = 60 s and 1,000 m. Easy to add up by hand."""

    def __init__(self) -> None:
        self.calls = 0

    def matrix(self, points: Sequence[Point]) -> Matrix:
        self.calls += 1
        steps = [[abs(a.lon - b.lon) for b in points] for a in points]
        return Matrix.from_rows(
            [[round(s * 1000) for s in row] for row in steps],
            [[round(s * 60) for s in row] for row in steps],
        )

    def path(self, points: Sequence[Point]) -> tuple[Point, ...]:
        return tuple(points)


def at(x: float) -> Point:
    """A point ``x`` degrees east on the equator."""
    return Point(0.0, x)


def stop(sid: str, x: float, service: int = 0, *windows: tuple[int, int], **kw: object) -> Stop:
    """A stop at ``at(x)`` with optional (start, end) windows."""
    return Stop(sid, at(x), service, tuple(TimeWindow(a, b) for a, b in windows), **kw)  # type: ignore[arg-type]


def day(*stops: Stop, shift: tuple[int, int] = (0, 36_000), **kw: object) -> DayRequest:
    """A day from x=0 back to x=0 with a 0.2 s budget unless told otherwise."""
    options: dict[str, object] = {"start": at(0), "end": at(0), "time_budget_s": 0.2, **kw}
    return DayRequest(shift=TimeWindow(*shift), stops=stops, **options)  # type: ignore[arg-type]


def plan(request: DayRequest, provider: LineProvider | None = None) -> DayPlan:
    """Plan with the line provider and the fast config, and re-check the result."""
    provider = provider or LineProvider()
    result = plan_day(request, provider=provider, config=FAST)
    check_plan(result, request, provider)
    return result


def check_plan(plan: DayPlan, request: DayRequest, provider: LineProvider | None = None) -> None:
    """Re-time the plan with the evaluator and check it accounts for every stop exactly once."""
    provider = provider or LineProvider()
    points = [request.start, request.end, *(s.point for s in request.stops)]
    schedule = evaluate(request, provider.matrix(points), plan.order)
    assert schedule.feasible, schedule.violations
    assert schedule.visits == plan.visits
    assert schedule.end_time == plan.end_time
    assert schedule.lunch == plan.lunch
    dropped = [d.stop_id for d in plan.dropped]
    assert sorted([*plan.order, *dropped]) == sorted(s.id for s in request.stops)
    if request.lunch is not None:
        assert plan.lunch is not None
        assert request.lunch.window.start <= plan.lunch.start
        assert plan.lunch.end <= request.lunch.window.end
        assert plan.lunch.end - plan.lunch.start == request.lunch.duration_s
