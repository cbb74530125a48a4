"""The evaluator on cases small enough to add up by hand (1 degree = 60 s = 1,000 m)."""

import dataclasses

import pytest

from geo.routing import Evaluator, LunchBreak, Matrix, TimeWindow, evaluate
from tests.geo.routing.builders import LineProvider, at, day, stop


def timed(request, order):
    points = [request.start, request.end, *(s.point for s in request.stops)]
    return evaluate(request, LineProvider().matrix(points), order)


def test_straight_run_without_windows():
    request = day(stop("a", 10, 300), stop("b", 20, 300), end=at(30))
    s = timed(request, ["a", "b"])
    assert s.feasible and s.violations == ()
    a, b = s.visits
    assert (a.arrival, a.wait_s, a.start, a.departure) == (600, 0, 600, 900)
    assert (b.arrival, b.wait_s, b.start, b.departure) == (1500, 0, 1500, 1800)
    assert s.end_arrival == s.end_time == 2400
    assert [leg.duration_s for leg in s.legs] == [600, 600, 600]
    assert s.total_distance_m == 30_000 and s.total_travel_s == 1800


def test_waits_for_the_window_to_open():
    s = timed(day(stop("a", 10, 300, (1000, 2000))), ["a"])
    (a,) = s.visits
    assert (a.arrival, a.wait_s, a.start, a.departure, a.window_index) == (600, 400, 1000, 1300, 0)
    assert s.end_time == 1900 and s.total_wait_s == 400


def test_visit_must_end_inside_the_window():
    # arrival 600, service 300: the visit would end at 900, after the window closes at 800
    s = timed(day(stop("a", 10, 300, (0, 800))), ["a"])
    assert not s.feasible
    assert "stop 'a'" in s.violations[0]
    assert s.lateness_s == 100


def test_takes_the_first_window_the_visit_fits_in():
    s = timed(day(stop("a", 10, 300, (0, 700), (5000, 6000))), ["a"])
    (a,) = s.visits
    assert s.feasible and a.window_index == 1 and a.start == 5000


def test_order_matters():
    request = day(stop("a", 10, 0, (0, 700)), stop("b", 20, 0))
    assert timed(request, ["a", "b"]).feasible
    assert not timed(request, ["b", "a"]).feasible  # a reached at 1800, closed at 700


def test_shift_end_is_enforced():
    s = timed(day(stop("a", 10, 300), shift=(0, 1400)), ["a"])
    assert not s.feasible and "after the shift ends" in s.violations[0]
    assert timed(day(stop("a", 10, 300), shift=(0, 1500)), ["a"]).feasible


def test_lunch_is_taken_while_waiting_without_delay():
    # a opens at 3000, reached at 600: a 30-minute lunch from 1000 fits in the wait
    request = day(stop("a", 10, 300, (3000, 4000)), lunch=LunchBreak(TimeWindow(1000, 3000), 1800))
    s = timed(request, ["a"])
    assert s.feasible
    assert (s.lunch.start, s.lunch.end, s.lunch.after_visits, s.lunch.at_stop) == (
        1000,
        2800,
        0,
        "a",
    )
    (a,) = s.visits
    assert a.start == 3000 and a.wait_s == 3000 - 600 - 1800
    assert s.end_time == 3900  # the same as without lunch


def test_lunch_before_driving_on_when_that_is_the_only_fit():
    # lunch must end by 1600: right after a (leaving 900) it does; on arrival at b (1800) not
    request = day(
        stop("a", 10, 300), stop("b", 40, 0), lunch=LunchBreak(TimeWindow(900, 1600), 600)
    )
    s = timed(request, ["a", "b"])
    assert s.feasible
    assert (s.lunch.start, s.lunch.end, s.lunch.at_stop) == (900, 1500, "a")
    assert s.visits[1].arrival == 1500 + 1800


def test_lunch_that_cannot_fit_is_a_violation():
    request = day(
        stop("a", 10, 3000, (0, 3700)),
        lunch=LunchBreak(TimeWindow(700, 1400), 700),
        shift=(0, 4400),
    )
    s = timed(request, ["a"])
    assert not s.feasible
    assert any("lunch" in v or "stop 'a'" in v or "shift" in v for v in s.violations)


def test_lunch_at_the_end_point():
    request = day(stop("a", 10, 0), lunch=LunchBreak(TimeWindow(5000, 8000), 600))
    s = timed(request, ["a"])
    assert s.feasible and s.lunch.after_visits == 1 and s.lunch.at_stop is None
    assert s.end_arrival == 1200 and s.end_time == 5600


def test_structure_checks():
    request = day(stop("a", 10), stop("b", 20), stop("c", 30), locked=("b",), max_stops=2)
    assert timed(request, ["b", "a"]).feasible
    assert "locked prefix" in " ".join(timed(request, ["a", "b"]).violations)
    assert "more than once" in " ".join(timed(request, ["b", "a", "a"]).violations)
    assert "max_stops" in " ".join(timed(request, ["b", "a", "c"]).violations)


def test_unknown_stop_and_wrong_matrix_are_refused():
    request = day(stop("a", 10))
    with pytest.raises(ValueError, match="unknown"):
        timed(request, ["zzz"])
    with pytest.raises(ValueError, match="matrix covers"):
        Evaluator(request, Matrix.from_rows([[0]], [[0]]))


def test_ignoring_windows_keeps_everything_else():
    request = dataclasses.replace(day(stop("a", 10, 300, (0, 100))), shift=(TimeWindow(0, 1500)))
    matrix = LineProvider().matrix([request.start, request.end, request.stops[0].point])
    assert not Evaluator(request, matrix).feasible([0])
    assert Evaluator(request, matrix, ignore_windows=True).feasible([0])


def test_unknown_index_and_late_lunch_are_violations():
    request = day(stop("a", 10), lunch=LunchBreak(TimeWindow(0, 700), 700), shift=(0, 36_000))
    matrix = LineProvider().matrix([at(0), at(0), at(10)])
    with pytest.raises(ValueError, match="outside"):
        Evaluator(request, matrix).schedule([5])
    late = dataclasses.replace(request, shift=TimeWindow(100, 36_000))  # lunch cannot start by 0
    assert "after its window closes" in " ".join(Evaluator(late, matrix).schedule([0]).violations)
