"""Re-planning from the current position: visited stops go, the stop en route stays first."""

import pytest

from geo.routing import (
    InfeasibleLockedOrder,
    InvalidShift,
    InvalidStop,
    LunchBreak,
    SolveStatus,
    TimeWindow,
    reoptimize,
)
from tests.geo.routing.builders import FAST, LineProvider, at, check_plan, day, stop


def replan(request, **kw):
    provider = LineProvider()
    result = reoptimize(request, provider=provider, config=FAST, **kw)
    return result


def test_visited_dropped_and_en_route_first():
    request = day(*(stop(f"s{i}", i * 10, 300) for i in range(1, 6)))
    result = replan(request, position=at(12), now=5000, visited=("s1",), en_route="s5")
    assert "s1" not in result.order and "s1" not in {d.stop_id for d in result.dropped}
    assert result.order[0] == "s5"
    assert sorted(result.order[1:]) == ["s2", "s3", "s4"]
    assert result.start_time == 5000
    assert result.visits[0].arrival == 5000 + (50 - 12) * 60
    assert result.geometry[0] == at(12)


def test_rest_of_locked_prefix_stays_locked():
    request = day(*(stop(f"s{i}", i * 10, 300) for i in range(1, 6)), locked=("s1", "s4", "s2"))
    result = replan(request, position=at(5), now=1000, visited=("s1",), en_route="s4")
    assert result.order[:2] == ("s4", "s2")


def test_lunch_taken_or_missed_is_left_out():
    lunch = LunchBreak(TimeWindow(12 * 3600, 13 * 3600), 1800)
    request = day(stop("a", 10, 300), stop("b", 20, 300), lunch=lunch, shift=(8 * 3600, 17 * 3600))
    taken = replan(request, position=at(0), now=13 * 3600 - 600, lunch_taken=True)
    assert taken.lunch is None
    missed = replan(request, position=at(0), now=13 * 3600 - 600)
    assert missed.lunch is None
    still = replan(request, position=at(0), now=12 * 3600 + 600)
    assert still.lunch is not None and still.lunch.start >= 12 * 3600 + 600


def test_en_route_stop_that_can_no_longer_be_served_is_reported():
    request = day(stop("late", 10, 300, (0, 2000)), stop("b", 20, 300))
    result = replan(request, position=at(0), now=3000, en_route="late")
    assert result.order == ("b",)
    assert {d.stop_id: d.reason.value for d in result.dropped} == {"late": "no_time_window_fits"}


def test_everything_visited_leaves_the_way_home():
    request = day(stop("a", 10, 300), end=at(0))
    result = replan(request, position=at(30), now=4000, visited=("a",))
    assert result.visits == () and result.status is SolveStatus.EMPTY
    assert result.end_arrival == 4000 + 30 * 60


def test_replanned_days_pass_the_evaluator():
    request = day(*(stop(f"s{i}", i * 7, 600, (i * 1000, i * 1000 + 9000)) for i in range(1, 9)))
    result = replan(request, position=at(3), now=2000, visited=("s1", "s2"), en_route="s3")
    remaining = day(
        *(s for s in request.stops if s.id not in ("s1", "s2")),
        start=at(3),
        shift=(2000, 36_000),
        locked=("s3",),
    )
    check_plan(result, remaining)


@pytest.mark.parametrize(
    ("kw", "error", "message"),
    [
        ({"visited": ("zz",)}, InvalidStop, "visited names unknown"),
        ({"en_route": "zz"}, InvalidStop, "unknown or already visited"),
        ({"visited": ("a",), "en_route": "a"}, InvalidStop, "unknown or already visited"),
        ({"now": 40_000}, InvalidShift, "nothing is left"),
    ],
)
def test_bad_replans(kw, error, message):
    request = day(stop("a", 10, 300))
    with pytest.raises(error, match=message):
        replan(request, **{"position": at(0), "now": 1000, **kw})


def test_infeasible_locked_rest_is_still_refused():
    # without an en-route stop there is nothing to unlock: the error reaches the caller
    request = day(stop("a", 10, 0, (0, 700)), stop("b", 20), locked=("b", "a"))
    with pytest.raises(InfeasibleLockedOrder):
        replan(request, position=at(0), now=0)


def test_visits_longer_than_the_rest_of_the_shift_are_reported():
    request = day(
        stop("long", 10, 7200), stop("short", 5, 300), locked=("long",), shift=(0, 36_000)
    )
    result = replan(request, position=at(0), now=33_000, en_route="long")
    assert result.order == ("short",)
    assert {d.stop_id: d.reason.value for d in result.dropped} == {"long": "shift_too_short"}
    only_long = day(stop("long", 10, 7200))
    assert (
        replan(only_long, position=at(0), now=33_000).dropped[0].reason.value == "shift_too_short"
    )
