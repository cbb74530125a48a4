"""Matrices and the haversine provider."""

import pytest

from geo.distance import haversine_m
from geo.routing import HaversineProvider, Matrix, MatrixError, Point

BEIJING = Point(39.9087, 116.3975)
SHANGHAI = Point(31.2304, 121.4737)


def test_haversine_provider_applies_detour_and_speed():
    provider = HaversineProvider(detour_factor=1.3, speed_kmh=36.0)
    m = provider.matrix([BEIJING, SHANGHAI, BEIJING])
    metres = haversine_m(BEIJING.lat, BEIJING.lon, SHANGHAI.lat, SHANGHAI.lon) * 1.3
    assert m.distances_m[0][1] == round(metres) == m.distances_m[1][0]
    assert m.durations_s[0][1] == round(metres / 10.0)  # 36 km/h = 10 m/s
    assert m.distances_m[0][0] == 0 and m.distances_m[0][2] == 0
    assert provider.path([BEIJING, SHANGHAI]) == (BEIJING, SHANGHAI)


@pytest.mark.parametrize(("detour", "speed"), [(0, 30), (1.3, 0), (float("nan"), 30), (1.3, -5)])
def test_haversine_provider_settings(detour, speed):
    with pytest.raises(ValueError, match="positive finite"):
        HaversineProvider(detour_factor=detour, speed_kmh=speed)


def test_matrix_shape_and_values_are_checked():
    with pytest.raises(MatrixError, match="not 2x2"):
        Matrix(((0, 1), (1, 0)), ((0, 1),))
    with pytest.raises(MatrixError, match="integer >= 0"):
        Matrix(((0, -1), (1, 0)), ((0, 1), (1, 0)))
    assert Matrix.from_rows([[0, 1.6], [2, 0]], [[0, 3], [4, 0]]).distances_m == ((0, 1), (2, 0))
