import json
import math
import statistics

import numpy as np
import pytest
import shapely
from hypothesis import assume, given
from hypothesis import strategies as st

from geo.datums import (
    BOUNDARY_PATH,
    Datum,
    bd09_to_gcj02,
    datum_offset_m,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_mainland_china,
    to_wgs84,
    wgs84_to_gcj02,
)
from geo.distance import haversine_m

TIANANMEN = (39.9087, 116.3975)
OUTSIDE_MAINLAND = {
    "Hong Kong": (22.28, 114.16),
    "Macau": (22.19, 113.54),
    "Taipei": (25.03, 121.56),
    "Kinmen (held by Taiwan, 2 km off Xiamen)": (24.44, 118.32),
    "Seoul": (37.57, 126.98),
    "Pyongyang": (39.03, 125.75),
    "Sinuiju (across the Yalu from Dandong)": (40.10, 124.40),
    "Hanoi": (21.03, 105.85),
    "Lao Cai (across the river from Hekou)": (22.49, 103.97),
    "Ulaanbaatar": (47.92, 106.92),
    "Blagoveshchensk (across the Amur from Heihe)": (50.27, 127.53),
    "New York": (40.71, -74.01),
}
MAINLAND = {
    "Shenzhen, 2.5 km north of Hong Kong": (22.54, 114.06),
    "Zhuhai, next to Macau": (22.27, 113.57),
    "Hengqin, Zhuhai": (22.12, 113.53),
    "Haikou, Hainan": (20.04, 110.34),
    "Sanya, Hainan": (18.25, 109.51),
    "Xiamen island": (24.48, 118.09),
    "Zhoushan island": (30.00, 122.10),
    "Shanghai": (31.23, 121.47),
    "Dandong": (40.12, 124.38),
    "Heihe": (50.24, 127.49),
    "Urumqi": (43.83, 87.62),
    "Harbin": (45.80, 126.53),
    "Lhasa": (29.65, 91.13),
}
CONVERTED = [Datum.GCJ02, Datum.BD09]


def china_grid(step: float = 0.5) -> list[tuple[float, float]]:
    """Every grid point in mainland China, at `step` degrees."""
    return [
        (lat, lon)
        for lat in np.arange(18.0, 54.0, step).tolist()
        for lon in np.arange(73.5, 135.0, step).tolist()
        if in_mainland_china(lat, lon)
    ]


# --- the published formulas -------------------------------------------------------------------

# (wgs lat, wgs lon, gcj lat, gcj lon): eviltransform's test vectors and coordtransform's README
GCJ02_REFERENCE = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
    (39.915, 116.404, 39.91640428150164, 116.41024449916938),
]


@pytest.mark.parametrize(("lat", "lon", "gcj_lat", "gcj_lon"), GCJ02_REFERENCE)
def test_wgs84_to_gcj02_matches_published_values(lat, lon, gcj_lat, gcj_lon):
    assert wgs84_to_gcj02(lat, lon) == pytest.approx((gcj_lat, gcj_lon), abs=1e-9)


@pytest.mark.parametrize(("lat", "lon", "gcj_lat", "gcj_lon"), GCJ02_REFERENCE)
def test_gcj02_to_wgs84_inverts_published_values_to_a_millimetre(lat, lon, gcj_lat, gcj_lon):
    assert haversine_m(lat, lon, *gcj02_to_wgs84(gcj_lat, gcj_lon)) < 0.001


def test_gcj02_to_bd09_matches_the_standard_formula():
    # coordtransform: gcj02tobd09(116.404, 39.915) -> [116.41036949371029, 39.92133699351021]
    assert gcj02_to_bd09(39.915, 116.404) == pytest.approx(
        (39.92133699351021, 116.41036949371029), abs=1e-9
    )


def test_bd09_to_gcj02_is_the_exact_inverse_not_the_one_step_guess():
    # coordtransform's one-step guess:
    # bd09togcj02(116.404, 39.915) -> [116.39762729119315, 39.90865673957631]
    gcj = bd09_to_gcj02(39.915, 116.404)
    assert haversine_m(*gcj, 39.90865673957631, 116.39762729119315) < 0.1
    assert gcj02_to_bd09(*gcj) == pytest.approx((39.915, 116.404), abs=1e-9)


@given(
    lat=st.floats(min_value=1.0, max_value=55.5),
    lon=st.floats(min_value=72.1, max_value=137.7),
)
def test_bare_formulas_round_trip_everywhere_they_apply(lat, lon):
    assert haversine_m(lat, lon, *gcj02_to_wgs84(*wgs84_to_gcj02(lat, lon))) <= 0.01
    assert haversine_m(lat, lon, *bd09_to_gcj02(*gcj02_to_bd09(lat, lon))) <= 0.01


# --- offsets ---------------------------------------------------------------------------------


def test_tiananmen_gcj02_offset_is_555_m():
    assert datum_offset_m(*TIANANMEN, Datum.GCJ02) == pytest.approx(554.93, abs=0.01)
    assert from_wgs84(*TIANANMEN, Datum.GCJ02) == pytest.approx(
        (39.91010349934476, 116.40374357265176), abs=1e-9
    )


def test_tiananmen_bd09_is_gcj02_then_baidu():
    gcj = from_wgs84(*TIANANMEN, Datum.GCJ02)
    assert from_wgs84(*TIANANMEN, Datum.BD09) == gcj02_to_bd09(*gcj)
    assert datum_offset_m(*TIANANMEN, Datum.BD09) == pytest.approx(1378.1, abs=0.1)


def test_median_gcj02_offset_across_mainland_china_is_about_420_m():
    offsets = [datum_offset_m(lat, lon, Datum.GCJ02) for lat, lon in china_grid()]
    assert len(offsets) > 3_000
    assert 300 < statistics.median(offsets) < 600
    assert min(offsets) > 0 and max(offsets) < 800


# --- the boundary ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", OUTSIDE_MAINLAND)
@pytest.mark.parametrize("datum", list(Datum))
def test_points_outside_mainland_china_are_unchanged(name, datum):
    lat, lon = OUTSIDE_MAINLAND[name]
    assert not in_mainland_china(lat, lon)
    assert to_wgs84(lat, lon, datum) == (lat, lon)
    assert from_wgs84(lat, lon, datum) == (lat, lon)
    assert datum_offset_m(lat, lon, datum) == 0.0


@pytest.mark.parametrize("name", MAINLAND)
@pytest.mark.parametrize("datum", CONVERTED)
def test_points_in_mainland_china_are_converted(name, datum):
    lat, lon = MAINLAND[name]
    assert in_mainland_china(lat, lon)
    assert 200 < datum_offset_m(lat, lon, datum) < 1_500
    assert to_wgs84(lat, lon, datum) != (lat, lon)


@pytest.mark.parametrize("name", MAINLAND)
def test_wgs84_is_never_converted(name):
    lat, lon = MAINLAND[name]
    assert to_wgs84(lat, lon, Datum.WGS84) == from_wgs84(lat, lon, "wgs84") == (lat, lon)
    assert datum_offset_m(lat, lon, Datum.WGS84) == 0.0


def test_fast_path_agrees_with_the_polygon():
    with BOUNDARY_PATH.open(encoding="utf-8") as f:
        area = shapely.geometry.shape(json.load(f)["features"][0]["geometry"])
    rng = np.random.default_rng(20240601)
    lons = rng.uniform(72.0, 136.0, 20_000)
    lats = rng.uniform(15.0, 55.0, 20_000)
    # and fine-cell corners around Hong Kong and Macau, where rounding could misplace a point
    west, south = area.bounds[:2]
    columns, rows = np.meshgrid(np.arange(780, 830), np.arange(115, 160))
    lons = np.concatenate([lons, west + columns.ravel() * 0.05])
    lats = np.concatenate([lats, south + rows.ravel() * 0.05])
    expected = shapely.contains_xy(area, lons, lats).tolist()
    actual = [
        in_mainland_china(lat, lon) for lat, lon in zip(lats.tolist(), lons.tolist(), strict=True)
    ]
    assert actual == expected


def test_boundary_file_is_small_valid_and_mainland_only():
    assert BOUNDARY_PATH.stat().st_size < 60_000
    with BOUNDARY_PATH.open(encoding="utf-8") as f:
        area = shapely.geometry.shape(json.load(f)["features"][0]["geometry"])
    assert area.is_valid
    west, south, east, north = area.bounds
    assert (73 < west < 74) and (15 < south < 18.2) and (134 < east < 135.5) and (53 < north < 54)


# --- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("datum", CONVERTED)
def test_round_trip_over_mainland_grid_is_within_a_centimetre(datum):
    # The inverse decides on the received point: a point whose converted twin falls outside the
    # border comes back unconverted. That happens only within about a kilometre of the border.
    grid = china_grid()
    twins = [(p, from_wgs84(*p, datum)) for p in grid]
    kept = [(p, twin) for p, twin in twins if in_mainland_china(*twin)]
    assert len(kept) > 0.99 * len(grid)
    worst = max(haversine_m(*p, *to_wgs84(*twin, datum)) for p, twin in kept)
    assert worst <= 0.01


@given(
    lat=st.floats(min_value=21.0, max_value=45.0),
    lon=st.floats(min_value=98.0, max_value=122.0),
    datum=st.sampled_from(CONVERTED),
)
def test_round_trip_property(lat, lon, datum):
    twin = from_wgs84(lat, lon, datum)
    assume(in_mainland_china(lat, lon) and in_mainland_china(*twin))
    assert haversine_m(lat, lon, *to_wgs84(*twin, datum)) <= 0.01


# --- input ------------------------------------------------------------------------------------


def test_datum_names_are_case_insensitive_strings():
    assert to_wgs84(*TIANANMEN, "GCJ02") == to_wgs84(*TIANANMEN, Datum.GCJ02)
    assert Datum("bd09") is Datum.BD09 and Datum.WGS84 == "wgs84"


@pytest.mark.parametrize("datum", ["utm", "", "gcj-02", 2])
def test_unknown_datum_raises(datum):
    with pytest.raises(ValueError, match="unknown datum"):
        to_wgs84(*TIANANMEN, datum)
    with pytest.raises(ValueError, match="unknown datum"):
        datum_offset_m(*TIANANMEN, datum)


BAD_POINTS = [
    (math.nan, 116.4, "finite"),
    (39.9, math.inf, "finite"),
    (-math.inf, 116.4, "finite"),
    (90.5, 116.4, "latitude"),
    (-91.0, 116.4, "latitude"),
    (39.9, 180.01, "longitude"),
    (39.9, -200.0, "longitude"),
]


@pytest.mark.parametrize(("lat", "lon", "message"), BAD_POINTS)
def test_bad_coordinates_raise(lat, lon, message):
    calls = [
        lambda: in_mainland_china(lat, lon),
        lambda: to_wgs84(lat, lon, Datum.GCJ02),
        lambda: from_wgs84(lat, lon, Datum.WGS84),
        lambda: datum_offset_m(lat, lon, Datum.BD09),
        lambda: wgs84_to_gcj02(lat, lon),
        lambda: gcj02_to_wgs84(lat, lon),
        lambda: gcj02_to_bd09(lat, lon),
        lambda: bd09_to_gcj02(lat, lon),
    ]
    for call in calls:
        with pytest.raises(ValueError, match=message):
            call()


@pytest.mark.parametrize("func", [wgs84_to_gcj02, gcj02_to_wgs84, gcj02_to_bd09, bd09_to_gcj02])
@pytest.mark.parametrize(("lat", "lon"), [(40.71, -74.01), (90.0, 116.4), (-33.9, 151.2)])
def test_bare_formulas_refuse_points_far_from_china(func, lat, lon):
    with pytest.raises(ValueError, match="to_wgs84/from_wgs84"):
        func(lat, lon)
