"""Repair and fill on their own, including the cheap paths taken past the deadline."""

import pytest

from geo.routing import DropReason, Evaluator
from geo.routing.selection import fill, repair
from tests.geo.routing.builders import LineProvider, day, stop

PAST = 0.0  # a monotonic deadline long gone


def evaluator_for(request):
    points = [request.start, request.end, *(s.point for s in request.stops)]
    return Evaluator(request, LineProvider().matrix(points))


# "a" closes at 700 and is reached at 600 only if visited first; "b" and "c" are free
REQUEST = day(stop("a", 10, 0, (0, 700)), stop("b", 20), stop("c", 30))


def test_repair_drops_the_stop_whose_removal_helps():
    ev = evaluator_for(REQUEST)
    order, removed = repair(ev, [2, 1, 0], 0, [5, 1, 9])
    assert order == [2, 1] and removed == [0]  # only dropping the late "a" makes it feasible


def test_cheap_repair_past_the_deadline_drops_the_least_valuable_that_can_matter():
    ev = evaluator_for(REQUEST)
    order, removed = repair(ev, [2, 1, 0], 0, [5, 1, 9], PAST)
    assert removed == [1, 0] and order == [2] and ev.feasible(order)


def test_cheap_repair_only_drops_stops_up_to_the_first_late_one():
    ev = evaluator_for(REQUEST)
    # "a" (position 2) is late; "c" is the cheapest before it, but only dropping both b and c helps
    order, removed = repair(ev, [2, 1, 0], 0, [5, 1, 0], PAST)
    assert order == [0] and sorted(removed) == [1, 2]


def test_repair_refuses_an_infeasible_locked_prefix():
    ev = evaluator_for(day(stop("a", 10, 0, (0, 700)), stop("b", 20), locked=("b", "a")))
    with pytest.raises(RuntimeError, match="locked prefix"):
        repair(ev, [1, 0], 2, [1, 1])


def test_fill_past_the_deadline_gives_reasons_without_searching():
    ev = evaluator_for(REQUEST)
    order, reasons = fill(ev, [1], 0, [0, 2], [1, 1, 1], cap=1, deadline=PAST)
    assert order == [1]
    assert reasons == {0: DropReason.MAX_STOPS, 2: DropReason.MAX_STOPS}
    order, reasons = fill(ev, [1], 0, [0, 2], [1, 1, 1], cap=None, deadline=PAST)
    assert reasons == {0: DropReason.LOWER_VALUE, 2: DropReason.LOWER_VALUE}


def test_fill_inserts_where_it_fits():
    ev = evaluator_for(REQUEST)
    worth = [10**6] * 3
    order, reasons = fill(ev, [1], 0, [0, 2], worth, cap=None, deadline=float("inf"))
    assert order[0] == 0 and sorted(order) == [0, 1, 2] and reasons == {}


def test_fill_leaves_out_what_is_not_worth_its_cost_or_over_the_cap():
    ev = evaluator_for(REQUEST)
    order, reasons = fill(ev, [1], 0, [0, 2], [10**6, 0, 1], cap=2, deadline=float("inf"))
    assert order == [0, 1]  # "a" fits for free at the front; then the cap is reached
    assert reasons == {2: DropReason.MAX_STOPS}
    order, reasons = fill(ev, [1], 0, [2], [0, 0, 1], cap=None, deadline=float("inf"))
    assert order == [1] and reasons == {2: DropReason.LOWER_VALUE}
