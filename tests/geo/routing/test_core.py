"""The general PyVRP core: fleets, capacity, optional clients, window groups, the deadline."""

import time

import pytest

from geo.routing import VrpClient, VrpFleet, VrpProblem, core, solve_vrp

# four clients on a line at 10, 20, 30, 40 from a depot at 0
LINE = [[abs(a - b) for b in (0, 10, 20, 30, 40)] for a in (0, 10, 20, 30, 40)]


ONE_VEHICLE = (VrpFleet(),)


def problem(clients, fleets=ONE_VEHICLE, objective="distance"):
    return VrpProblem(LINE, LINE, tuple(clients), tuple(fleets), objective)


def test_empty_problem():
    solution = solve_vrp(problem([]), budget_s=0.1)
    assert solution.routes == () and solution.feasible


def test_single_vehicle_tour():
    solution = solve_vrp(problem(VrpClient(location=i) for i in range(1, 5)), budget_s=0.1)
    assert solution.feasible and solution.cost == 80
    assert solution.visited == {0, 1, 2, 3}


def test_capacity_splits_the_fleet():
    clients = [VrpClient(location=i, demand=1) for i in range(1, 5)]
    solution = solve_vrp(problem(clients, (VrpFleet(count=2, capacity=2),)), budget_s=0.1)
    assert solution.feasible and len(solution.routes) == 2
    assert all(len(route) == 2 for _, route in solution.routes)


def test_optional_clients_need_a_prize_worth_the_drive():
    clients = [
        VrpClient(location=1, prize=100, required=False),
        VrpClient(location=4, prize=5, required=False),
    ]
    solution = solve_vrp(problem(clients), budget_s=0.1)
    assert solution.visited == {0}


def test_one_window_of_several_is_used():
    client = VrpClient(location=1, service=5, windows=((0, 5), (50, 60)), required=True)
    late_first = VrpClient(location=2, windows=((0, 25),))
    solution = solve_vrp(problem([client, late_first], objective="duration"), budget_s=0.1)
    assert solution.feasible
    ((_, route),) = solution.routes
    # client 0 first misses its early window and then client 1 is late: so 1, then 0 at 50
    assert route == ((1, 0), (0, 1))


def test_shift_and_departure():
    fleet = VrpFleet(shift_start=100, shift_end=150, leave_at_shift_start=True)
    clients = [VrpClient(location=i, required=False, prize=1000) for i in (1, 4)]
    solution = solve_vrp(problem(clients, (fleet,)), budget_s=0.1)
    assert solution.visited == {0}  # 100 + 80 > 150 for the far one


def test_two_seeds_share_the_wall_clock_budget():
    clients = [VrpClient(location=i) for i in range(1, 5)]
    began = time.monotonic()
    solution = solve_vrp(problem(clients), budget_s=0.2, seeds=(1, 2), grace_s=0.5)
    assert time.monotonic() - began < 0.2 + 0.5
    assert solution.seeds == 2 and solution.cost == 80


def test_required_group_serves_exactly_one_copy():
    copies = [VrpClient(location=i, service=3, required=False, group=0) for i in (1, 4)]
    solution = solve_vrp(
        VrpProblem(LINE, LINE, tuple(copies), ONE_VEHICLE, "distance", groups=(True,)),
        budget_s=0.1,
    )
    assert solution.feasible and solution.visited == {0}  # the near copy


def test_grouped_clients_must_be_optional_with_one_window():
    bad = VrpClient(location=1, required=True, group=0)
    with pytest.raises(ValueError, match="grouped clients"):
        solve_vrp(VrpProblem(LINE, LINE, (bad,), ONE_VEHICLE, groups=(True,)), budget_s=0.1)


def test_no_run_finishing_within_the_hard_limit_gives_none(monkeypatch):
    def stuck(data, seed, deadline, stop, stall):
        stop.wait(2.0)  # a run that ignores its deadline until told to stop

    monkeypatch.setattr(core, "_run_seed", stuck)
    clients = tuple(VrpClient(location=i) for i in range(1, 5))
    began = time.monotonic()
    assert solve_vrp(problem(clients), budget_s=0.05, grace_s=0.05) is None
    assert time.monotonic() - began < 0.5
