"""The benchmark's instance readers and checker reproduce the published optima exactly.

This pins the distance conventions (TSPLIB nint, DIMACS truncation x10, TSPTW floor + shortest
paths) without solving anything. The data lives beside the repository in shared/bench-data.
"""

from pathlib import Path

import pytest

from bench import routing as bench

pytestmark = pytest.mark.skipif(
    not bench.DATA.is_dir(), reason=f"benchmark data not found at {bench.DATA}"
)


def tour_ids(path: Path) -> list[int]:
    ids = []
    for token in path.read_text().split("TOUR_SECTION", 1)[1].split():
        if token in ("-1", "EOF"):
            break
        ids.append(int(token))
    return ids


@pytest.mark.parametrize("name", list(bench.TSPLIB))
def test_tsplib_optimal_tours_cost_the_optimum(name):
    instance = bench.tsplib(bench.DATA, name)
    ids = tour_ids(bench.DATA / "tsplib" / f"{name}.opt.tour")
    start = ids.index(1)
    route = [i - 2 for i in ids[start + 1 :] + ids[:start]]  # node k is client k - 2
    assert bench.check(instance.problem, [(0, route)]) == (instance.optimum, True)


@pytest.mark.parametrize("name", list(bench.SOLOMON))
@pytest.mark.parametrize("n", [25, 50, 100])
def test_solomon_lkh_tours_cost_the_optimum(name, n):
    instance = bench.solomon(bench.DATA, name, n)
    (tour,) = (bench.DATA / "solomon" / "lkh3").glob(f"Solomon_{n}__{name}.{n}.*.*.tour")
    routes, current = [], []
    for node in tour_ids(tour):
        if node == 1 or node > n + 1:  # the depot and its copies separate routes
            if current:
                routes.append((0, current))
            current = []
        else:
            current.append(node - 2)
    if current:
        routes.append((0, current))
    assert bench.check(instance.problem, routes) == (instance.optimum, True)


def test_tsptw_solution_costs_the_optimum():
    instance, rows = bench.dumas(bench.DATA, "n40w40.001")
    text = (bench.DATA / "tsptw" / "n40w40.001.txt.solution").read_text().split()
    ids = [int(v) for v in text[:-1]]
    assert int(text[-1]) == instance.optimum == 465
    route = [i - 2 for i in ids if i != 1]
    assert bench.check(instance.problem, [(0, route)]) == (465, True)
    assert len(rows) == 41  # the 999 end marker is not a customer
