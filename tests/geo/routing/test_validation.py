"""Bad input is refused with a ValueError subclass whose code and message an API can show."""

import dataclasses
import math

import pytest

from geo.routing import (
    InfeasibleLockedOrder,
    InvalidCoordinates,
    InvalidLockedOrder,
    InvalidLunchBreak,
    InvalidOption,
    InvalidShift,
    InvalidStop,
    InvalidTimeWindow,
    LunchBreak,
    PlannerConfig,
    Point,
    RoutingInputError,
    TimeWindow,
    TooManyStops,
    plan_day,
)
from geo.routing.validation import time_budget
from tests.geo.routing.builders import FAST, LineProvider, at, day, stop


def refused(request, error):
    with pytest.raises(error) as caught:
        plan_day(request, provider=LineProvider(), config=FAST)
    assert isinstance(caught.value, RoutingInputError) and isinstance(caught.value, ValueError)
    assert caught.value.code.startswith("routing.")
    return str(caught.value)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (math.nan, 0.0),
        (0.0, math.nan),
        (math.inf, 0.0),
        (0.0, -math.inf),
        (91.0, 0.0),
        (0.0, 181.0),
    ],
)
def test_bad_coordinates(lat, lon):
    with pytest.raises(InvalidCoordinates, match="must be finite and within"):
        Point(lat, lon)


def test_non_numeric_coordinates():
    with pytest.raises(InvalidCoordinates, match="must be a number"):
        Point("39.9", 116.4)  # type: ignore[arg-type]


def test_window_ending_before_it_starts():
    with pytest.raises(InvalidTimeWindow, match=r"ends \(100\) before it starts \(200\)"):
        TimeWindow(200, 100)
    with pytest.raises(InvalidTimeWindow, match="integer seconds"):
        TimeWindow(0.5, 100)  # type: ignore[arg-type]


def test_shift_shorter_than_any_visit():
    message = refused(day(stop("a", 1, 4000), stop("b", 2, 5000), shift=(0, 3600)), InvalidShift)
    assert "shorter than every visit" in message


def test_empty_shift():
    assert "must end after it starts" in refused(day(shift=(100, 100)), InvalidShift)


def test_start_to_end_does_not_fit_the_shift():
    message = refused(day(end=at(100), shift=(0, 3600)), InvalidShift)
    assert "trip from start to end" in message


def test_over_the_stop_cap():
    stops = [stop(f"s{i}", (i % 90) + 0.5) for i in range(1000)]
    assert "1000 stops exceed the limit of 200" in refused(day(*stops), TooManyStops)


def test_duplicate_stop_ids():
    assert "more than once" in refused(day(stop("a", 1), stop("a", 2)), InvalidStop)


def test_lunch_outside_the_shift_or_longer_than_its_window():
    lunch = LunchBreak(TimeWindow(0, 7200), 1800)
    assert "not inside the shift" in refused(
        day(shift=(3600, 36_000), lunch=lunch), InvalidLunchBreak
    )
    with pytest.raises(InvalidLunchBreak, match="does not fit"):
        LunchBreak(TimeWindow(0, 600), 1800)
    with pytest.raises(InvalidLunchBreak, match="positive"):
        LunchBreak(TimeWindow(0, 600), 0)


def test_locked_order_problems():
    assert "unknown" in refused(day(stop("a", 1), locked=("zz",)), InvalidLockedOrder)
    assert "more than once" in refused(day(stop("a", 1), locked=("a", "a")), InvalidLockedOrder)
    request = day(stop("a", 1), stop("b", 2), locked=("a", "b"), max_stops=1)
    assert "exceed max_stops" in refused(request, InvalidLockedOrder)


def test_locked_order_that_cannot_be_driven():
    request = day(stop("a", 10, 0, (0, 700)), stop("b", 20), locked=("b", "a"))
    assert "cannot be visited in order" in refused(request, InfeasibleLockedOrder)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("objective", "fastest"),
        ("max_stops", -1),
        ("max_stops", 2.5),
        ("time_budget_s", math.nan),
        ("time_budget_s", 0),
        ("time_budget_s", -1.0),
        ("time_budget_s", "1"),
    ],
)
def test_bad_options(option, value):
    refused(day(stop("a", 1), **{option: value}), InvalidOption)


def test_budget_is_capped_not_refused():
    assert time_budget(60, 10.0) == 10.0
    assert time_budget(0.2, 10.0) == 0.2


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("start", (0.0, 0.0), RoutingInputError),
        ("shift", (0, 100), RoutingInputError),
        ("stops", ({"id": "a"},), InvalidStop),
        ("lunch", (0, 100), InvalidLunchBreak),
    ],
)
def test_wrong_types_are_refused(field, value, error):
    request = dataclasses.replace(day(stop("a", 1)), **{field: value})
    refused(request, error)


def test_negative_service_time():
    with pytest.raises(InvalidStop, match="service_s"):
        stop("a", 1, -5)


def test_prize_is_bounded():
    with pytest.raises(InvalidStop, match=r"0\.\.10000"):
        stop("a", 1, 0, prize=10_001)


@pytest.mark.parametrize(
    "settings", [{"seeds": ()}, {"max_time_budget_s": 0}, {"hard_limit_grace_s": -1}]
)
def test_planner_config_is_checked(settings):
    with pytest.raises(ValueError, match="PlannerConfig"):
        PlannerConfig(**settings)
