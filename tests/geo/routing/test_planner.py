"""plan_day end to end on the line provider; every plan is re-timed by the evaluator."""

import dataclasses
import random
import time

import pytest

from geo.routing import (
    DayPlan,
    DropReason,
    Evaluator,
    LunchBreak,
    MatrixError,
    PlannerConfig,
    Point,
    SolveStatus,
    Stop,
    TimeWindow,
    plan_day,
)
from geo.routing import planner as planner_module
from tests.geo.routing.builders import FAST, LineProvider, at, day, plan, stop


def reasons(result):
    return {d.stop_id: d.reason for d in result.dropped}


def test_empty_stops_give_an_empty_plan():
    result = plan(day(end=at(5)))
    assert result.visits == () and result.dropped == ()
    assert result.status is SolveStatus.EMPTY and result.gap_pct == 0.0
    assert result.end_arrival == 300 and result.total_distance_m == 5000
    assert result.geometry == (at(0), at(5))


def test_visits_everything_that_fits_in_a_sensible_order():
    request = day(stop("far", 30, 600), stop("near", 10, 600), stop("mid", 20, 600))
    result = plan(request)
    assert result.order in (("near", "mid", "far"), ("far", "mid", "near"))
    assert result.total_distance_m == 60_000 and result.dropped == ()
    assert result.status is SolveStatus.SOLVED and result.gap_pct is None


def test_start_and_end_differ():
    request = day(stop("a", 10, 60), stop("b", 30, 60), start=at(0), end=at(40))
    result = plan(request)
    assert result.order == ("a", "b")
    assert result.geometry == (at(0), at(10), at(30), at(40))
    assert result.end_leg.distance_m == 10_000 and result.total_distance_m == 40_000


def test_reason_shift_too_short():
    # 1,800 s service fits the 3,600 s shift, but not with the 2 x 1,200 s drive there and back
    request = day(stop("far", 20, 1800), stop("ok", 1, 60), shift=(0, 3600))
    assert reasons(plan(request)) == {"far": DropReason.SHIFT_TOO_SHORT}


def test_reason_no_time_window_fits():
    request = day(
        stop("closed", 10, 300, (0, 500)),  # reached at 600 at the earliest
        stop("after_hours", 10, 300, (40_000, 50_000)),
        stop("ok", 10, 300),
    )
    assert reasons(plan(request)) == {
        "closed": DropReason.NO_TIME_WINDOW_FITS,
        "after_hours": DropReason.NO_TIME_WINDOW_FITS,
    }


def test_reason_max_stops():
    result = plan(day(stop("a", 10, 60, prize=5), stop("b", 11, 60, prize=1), max_stops=1))
    assert result.order == ("a",)
    assert reasons(result) == {"b": DropReason.MAX_STOPS}


def test_reason_lower_value():
    # both need the same hour, only one fits; the higher prize wins
    request = day(
        stop("cheap", 10, 3000, (600, 3600), prize=1), stop("rich", 10, 3000, (600, 3600), prize=9)
    )
    result = plan(request)
    assert result.order == ("rich",)
    assert reasons(result) == {"cheap": DropReason.LOWER_VALUE}


def test_must_visit_beats_any_prize():
    request = day(
        stop("must", 10, 3000, (600, 3600), must_visit=True, prize=0),
        *(stop(f"p{i}", 10, 3000, (600, 3600), prize=100) for i in range(3)),
    )
    result = plan(request)
    assert result.order == ("must",)
    assert result.dropped_must_visits == ()


def test_must_visit_that_cannot_fit_is_reported_not_planned_late():
    request = day(
        stop("m1", 10, 3000, (600, 3600), must_visit=True),
        stop("m2", 10, 3000, (600, 3600), must_visit=True),
    )
    result = plan(request)
    assert len(result.order) == 1
    (dropped,) = result.dropped_must_visits
    assert dropped.must_visit and dropped.reason is DropReason.LOWER_VALUE


def test_lunch_inside_its_window():
    stops = [stop(f"s{i}", i, 1200) for i in range(1, 9)]
    lunch = LunchBreak(TimeWindow(12 * 3600, 13 * 3600 + 1800), 3600)
    result = plan(day(*stops, shift=(8 * 3600, 17 * 3600), lunch=lunch))
    assert len(result.order) == 8
    assert result.lunch.start >= 12 * 3600 and result.lunch.end <= 13 * 3600 + 1800


def test_locked_prefix_is_kept_first_and_in_order():
    # the locked order zig-zags; the rest is free
    request = day(*(stop(f"s{i}", i * 5, 60) for i in range(1, 6)), locked=("s4", "s1"))
    result = plan(request)
    assert result.order[:2] == ("s4", "s1")
    assert sorted(result.order[2:]) == ["s2", "s3", "s5"]


def test_multiple_windows_pick_the_one_that_fits():
    request = day(
        stop("two", 10, 600, (0, 300), (7200, 9000)),  # first window ends before it can be reached
        stop("other", 12, 600, (1000, 2000)),
    )
    result = plan(request)
    assert result.order == ("other", "two")
    assert result.visits[1].window_index == 1 and result.visits[1].start == 7200


def test_distance_objective_prefers_the_short_route():
    # by time, waiting for "early" first would be worse; by distance only the line matters
    request = day(
        stop("a", 10, 0, (5000, 6000)), stop("b", 20, 0), objective="distance", end=at(30)
    )
    result = plan(request)
    assert result.total_distance_m == 30_000 and result.order == ("a", "b")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_days_are_always_feasible(seed):
    rng = random.Random(seed)
    stops = []
    for i in range(25):
        windows = []
        if rng.random() < 0.5:
            open_ = rng.randrange(8, 16) * 3600
            windows.append((open_, open_ + rng.choice((1, 2, 3)) * 3600))
        if rng.random() < 0.2:
            windows.append((16 * 3600, 18 * 3600))
        stops.append(
            stop(
                f"s{i}",
                rng.uniform(-60, 60),
                rng.choice((600, 1200, 1800)),
                *windows,
                must_visit=rng.random() < 0.15,
                prize=rng.randint(0, 9),
            )
        )
    request = day(
        *stops,
        shift=(8 * 3600, 17 * 3600),
        lunch=LunchBreak(TimeWindow(12 * 3600, 14 * 3600), 2700),
        max_stops=12,
        locked=(stops[0].id,),
        end=at(5),
    )
    result = plan(request)  # re-checked by the evaluator inside
    assert result.order[0] == "s0" and len(result.order) <= 12


def test_solver_that_gives_nothing_falls_back_to_greedy(monkeypatch):
    def overran(problem, *, budget_s, grace_s, **kwargs):
        time.sleep(budget_s + grace_s)  # used the whole hard limit and produced nothing
        return None

    monkeypatch.setattr(planner_module, "solve_vrp", overran)
    result = plan(day(stop("a", 10, 60), stop("b", 20, 60)))
    assert result.status is SolveStatus.FALLBACK
    assert sorted(result.order) == ["a", "b"]


def test_an_infeasible_solver_order_is_repaired(monkeypatch):
    real = planner_module.solve_vrp

    def reversed_routes(problem, **kwargs):
        solution = real(problem, **kwargs)
        fleet, route = solution.routes[0]
        return dataclasses.replace(solution, routes=((fleet, route[::-1]),))

    monkeypatch.setattr(planner_module, "solve_vrp", reversed_routes)
    request = day(stop("a", 10, 0, (0, 700)), stop("b", 20, 0), stop("c", 30, 0))
    result = plan(request)  # reversed, "a" is reached too late: the repair must drop something
    assert result.status is SolveStatus.REPAIRED
    assert "a" in result.order  # then the greedy fill puts the dropped stop back where it fits


def test_budget_is_capped_and_plan_time_stays_bounded():
    stops = [stop(f"s{i}", i / 2, 60) for i in range(30)]
    config = PlannerConfig(max_time_budget_s=0.3, hard_limit_grace_s=0.5)
    began = time.monotonic()
    result = plan_day(day(*stops, time_budget_s=60), provider=LineProvider(), config=config)
    assert time.monotonic() - began < 2.0
    assert result.solver_runtime_s < 0.3 + 0.5


def test_geometry_follows_the_order():
    request = day(stop("a", 10), stop("b", 20), start=Point(0.0, 0.0), end=Point(0.0, 25.0))
    result = plan(request)
    points = {s.id: s.point for s in request.stops}
    assert result.geometry == (request.start, *(points[i] for i in result.order), request.end)


def test_stop_ids_are_strings_and_prizes_integers():
    with pytest.raises(ValueError):
        Stop("", at(1))
    with pytest.raises(ValueError):
        Stop("x", at(1), prize=-1)
    assert FAST.seeds_for(3) == (1,) and FAST.seeds_for(4) == (1, 2)


def test_a_finite_prize_point_drops_stops_not_worth_the_drive():
    request = day(stop("near", 1, 60), stop("far", 100, 60))
    config = PlannerConfig(prize_point_s=600, hard_limit_grace_s=0.5)
    result = plan_day(request, provider=LineProvider(), config=config)
    assert result.order == ("near",)  # "far" costs 2 x 6,000 s of driving for 600 s of worth
    assert reasons(result) == {"far": DropReason.LOWER_VALUE}


def test_lunch_inside_a_long_locked_prefix():
    # the locked stops run past the lunch window's last start: lunch must fall between them
    lunch = LunchBreak(TimeWindow(3000, 5000), 1200)
    request = day(
        stop("l1", 10, 2000),
        stop("l2", 20, 2000),
        stop("free", 5, 300),
        lunch=lunch,
        locked=("l1", "l2"),
    )
    result = plan(request)
    assert result.order[:2] == ("l1", "l2") and "free" in result.order
    assert result.lunch.after_visits <= 2


def test_lunch_is_planned_by_the_solver_not_repaired():
    stops = [stop(f"s{i}", i * 3, 1500, (i * 2400, i * 2400 + 4000)) for i in range(1, 10)]
    lunch = LunchBreak(TimeWindow(10_000, 14_000), 2400)
    result = plan(day(*stops, lunch=lunch))
    assert result.status is SolveStatus.SOLVED
    assert result.lunch.start >= 10_000 and result.lunch.end <= 14_000


def test_zero_stop_cap_drops_everything_for_max_stops():
    result = plan(day(stop("a", 1), stop("b", 2, 0, (0, 10)), max_stops=0))
    assert result.order == ()
    assert reasons(result) == {"a": DropReason.MAX_STOPS, "b": DropReason.NO_TIME_WINDOW_FITS}


def test_a_provider_answering_the_wrong_size_is_an_error():
    class Short(LineProvider):
        def matrix(self, points):
            return super().matrix(points[:-1])

    with pytest.raises(MatrixError, match="returned 2 points for 3"):
        plan_day(day(stop("a", 1)), provider=Short(), config=FAST)


def test_a_plan_never_wraps_an_infeasible_schedule():
    request = day(stop("a", 10, 0, (0, 100)))
    schedule = Evaluator(request, LineProvider().matrix([at(0), at(0), at(10)])).schedule([0])
    with pytest.raises(ValueError, match="refusing an infeasible schedule"):
        DayPlan.from_schedule(
            schedule, dropped=(), geometry=(), objective="time",
            status=SolveStatus.SOLVED, gap_pct=None, solver_runtime_s=0.0,
        )  # fmt: skip


def test_plan_legs_add_up():
    result = plan(day(stop("a", 10), stop("b", 20), end=at(30)))
    assert sum(leg.distance_m for leg in result.legs) == result.total_distance_m == 30_000
