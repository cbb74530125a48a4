import math

import pytest

from geo.distance import haversine_m, metres_per_degree_lat


def test_zero_distance():
    assert haversine_m(39.9, 116.4, 39.9, 116.4) == 0.0


def test_one_degree_of_latitude():
    assert haversine_m(0, 0, 1, 0) == pytest.approx(metres_per_degree_lat(), rel=1e-12)


def test_known_city_pair_beijing_shanghai():
    # Beijing (Tiananmen) to Shanghai (People's Square): about 1,067 km on the sphere.
    assert haversine_m(39.9087, 116.3975, 31.2304, 121.4737) == pytest.approx(1_067_000, rel=0.01)


def test_antipodes_do_not_raise():
    assert haversine_m(0, 0, 0, 180) == pytest.approx(math.pi * 6_371_008.8)


def test_symmetry_across_antimeridian():
    assert haversine_m(10, 179.9, 10, -179.9) == pytest.approx(haversine_m(10, -179.9, 10, 179.9))
    assert haversine_m(10, 179.9, 10, -179.9) < 25_000
