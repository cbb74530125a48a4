"""Coordinate datums: WGS-84 for storage, GCJ-02 (Amap, Tencent) and BD-09 (Baidu) on input.

The GCJ-02 offset exists only inside mainland China. Whether a point is there is decided
against a real boundary (Natural Earth 1:10m, see geo/data/README.md), not the usual bounding
rectangle, so Hong Kong, Macau, Taiwan and the neighbouring countries are never shifted.

Which point decides: the forward direction (``from_wgs84``) asks about the WGS-84 point; the
inverse (``to_wgs84``) asks about the point as received, in its own datum. Within about a
kilometre of the border the two can disagree, so a round trip there may come back unshifted;
away from the border it is exact to well under a centimetre.

The formulas are the widely published ones (eviltransform, coordtransform); the inverses are
solved by fixed-point iteration on the forward formula instead of the usual one-step guess.
The low-level functions (``wgs84_to_gcj02`` …) are those bare formulas with no boundary check,
refusing points far from China where the formulas mean nothing: use ``to_wgs84`` and
``from_wgs84`` for data.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import shapely  # type: ignore[import-untyped,unused-ignore]

from geo.distance import haversine_m

LatLon = tuple[float, float]


class Datum(StrEnum):
    """Datum a coordinate is expressed in."""

    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"


BOUNDARY_PATH = Path(__file__).parent / "data" / "china_mainland.geojson"

# Krasovsky 1940 ellipsoid, as the published GCJ-02 formula uses
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0

# Each forward map is the identity plus a shift whose derivative stays under 0.03 around China,
# so the fixed-point iteration gains 1.5 to 2 digits a step and stops after 5 or 6 steps;
# 1e-10° is about 0.01 mm.
_INVERSE_TOLERANCE_DEG = 1e-10
_INVERSE_MAX_STEPS = 30
# The customary rectangle around China: far outside it the formula degenerates (1/cos at the
# poles), so the bare formulas refuse points outside it rather than return nonsense.
_FORMULA_SOUTH, _FORMULA_NORTH = 0.8293, 55.8271
_FORMULA_WEST, _FORMULA_EAST = 72.004, 137.8347


def _check(lat: float, lon: float) -> None:
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise ValueError(f"coordinate must be finite, got lat={lat!r}, lon={lon!r}")
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"latitude {lat!r} is outside [-90, 90]")
    if not -180.0 <= lon <= 180.0:
        raise ValueError(f"longitude {lon!r} is outside [-180, 180]")


def _check_formula(lat: float, lon: float) -> None:
    _check(lat, lon)
    if not (_FORMULA_SOUTH <= lat <= _FORMULA_NORTH and _FORMULA_WEST <= lon <= _FORMULA_EAST):
        raise ValueError(
            f"({lat!r}, {lon!r}) is outside the area the GCJ-02/BD-09 formulas are used for "
            f"(lat {_FORMULA_SOUTH}..{_FORMULA_NORTH}, lon {_FORMULA_WEST}..{_FORMULA_EAST}); "
            "use to_wgs84/from_wgs84, which leave points outside mainland China unchanged"
        )


def _datum(value: Datum | str) -> Datum:
    try:
        return Datum(value.lower())
    except (AttributeError, ValueError):
        known = ", ".join(d.value for d in Datum)
        raise ValueError(f"unknown datum {value!r}; expected one of {known}") from None


# --- the published formulas, unchecked -------------------------------------------------------


def _gcj02(lat: float, lon: float) -> LatLon:
    # line for line the published formula, so that it can be checked against it
    x, y = lon - 105.0, lat - 35.0
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    d_lat += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d_lat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    d_lat += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    d_lon += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d_lon += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    d_lon += (
        (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    )
    rad_lat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return lat + d_lat, lon + d_lon


def _bd09(lat: float, lon: float) -> LatLon:
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def _wgs84_to_bd09(lat: float, lon: float) -> LatLon:
    return _bd09(*_gcj02(lat, lon))


def _invert(forward: Callable[[float, float], LatLon], lat: float, lon: float) -> LatLon:
    """Solve forward(p) == (lat, lon) for p by fixed-point iteration from p = (lat, lon)."""
    p_lat, p_lon = lat, lon
    for _ in range(_INVERSE_MAX_STEPS):
        f_lat, f_lon = forward(p_lat, p_lon)
        e_lat, e_lon = f_lat - lat, f_lon - lon
        p_lat, p_lon = p_lat - e_lat, p_lon - e_lon
        if abs(e_lat) < _INVERSE_TOLERANCE_DEG and abs(e_lon) < _INVERSE_TOLERANCE_DEG:
            break
    return p_lat, p_lon


def wgs84_to_gcj02(lat: float, lon: float) -> LatLon:
    """Apply the GCJ-02 formula to a WGS-84 point near China, with no mainland-China check."""
    _check_formula(lat, lon)
    return _gcj02(lat, lon)


def gcj02_to_wgs84(lat: float, lon: float) -> LatLon:
    """Invert the GCJ-02 formula iteratively (error under 1 mm), with no mainland-China check."""
    _check_formula(lat, lon)
    return _invert(_gcj02, lat, lon)


def gcj02_to_bd09(lat: float, lon: float) -> LatLon:
    """Apply Baidu's BD-09 formula to a GCJ-02 point near China, with no mainland-China check."""
    _check_formula(lat, lon)
    return _bd09(lat, lon)


def bd09_to_gcj02(lat: float, lon: float) -> LatLon:
    """Invert the BD-09 formula iteratively (error under 1 mm), with no mainland-China check."""
    _check_formula(lat, lon)
    return _invert(_bd09, lat, lon)


# --- mainland China --------------------------------------------------------------------------

_OUTSIDE, _INSIDE, _MIXED = 0, 1, 2
_COARSE_DEG = 0.25
_FINE_PER_COARSE = 5
_FINE_DEG = _COARSE_DEG / _FINE_PER_COARSE
_PAD_DEG = 1e-9  # cells are judged slightly enlarged, so float rounding at an edge can't matter


@dataclass(frozen=True)
class _Boundary:
    """Prepared mainland polygon behind a two-level grid of cells known to be in, out or mixed."""

    area: shapely.Geometry  # prepared
    west: float
    south: float
    east: float
    north: float
    columns: int
    coarse: bytes
    fine: Mapping[int, bytes]

    def contains(self, lat: float, lon: float) -> bool:
        """Whether the point lies inside; only a point in a mixed fine cell asks GEOS."""
        if not (self.west <= lon < self.east and self.south <= lat < self.north):
            return False
        column = int((lon - self.west) / _COARSE_DEG)
        row = int((lat - self.south) / _COARSE_DEG)
        cell = row * self.columns + column
        state = self.coarse[cell]
        if state == _MIXED:
            x = (lon - self.west) / _FINE_DEG - column * _FINE_PER_COARSE
            y = (lat - self.south) / _FINE_DEG - row * _FINE_PER_COARSE
            last = _FINE_PER_COARSE - 1
            sub = min(max(int(y), 0), last) * _FINE_PER_COARSE + min(max(int(x), 0), last)
            state = self.fine[cell][sub]
            if state == _MIXED:
                return bool(shapely.contains_xy(self.area, lon, lat))
        return state == _INSIDE


def _classify(
    area: shapely.Geometry, west: float, south: float, size: float, cols: int, rows: int
) -> bytes:
    xs, ys = np.meshgrid(west + np.arange(cols) * size, south + np.arange(rows) * size)
    lo_x, lo_y = xs.ravel() - _PAD_DEG, ys.ravel() - _PAD_DEG
    boxes = shapely.box(lo_x, lo_y, lo_x + size + 2 * _PAD_DEG, lo_y + size + 2 * _PAD_DEG)
    inside: npt.NDArray[np.bool_] = shapely.contains_properly(area, boxes)
    touches: npt.NDArray[np.bool_] = shapely.intersects(area, boxes)
    states = np.where(inside, _INSIDE, np.where(touches, _MIXED, _OUTSIDE))
    return bytes(states.astype(np.uint8))


@cache
def _boundary() -> _Boundary:
    collection = json.loads(BOUNDARY_PATH.read_text(encoding="utf-8"))
    area = shapely.geometry.shape(collection["features"][0]["geometry"])
    shapely.prepare(area)
    west, south, east, north = (float(v) for v in area.bounds)
    columns = math.ceil((east - west) / _COARSE_DEG)
    rows = math.ceil((north - south) / _COARSE_DEG)
    coarse = _classify(area, west, south, _COARSE_DEG, columns, rows)
    fine = {
        cell: _classify(
            area,
            west + (cell % columns) * _COARSE_DEG,
            south + (cell // columns) * _COARSE_DEG,
            _FINE_DEG,
            _FINE_PER_COARSE,
            _FINE_PER_COARSE,
        )
        for cell, state in enumerate(coarse)
        if state == _MIXED
    }
    return _Boundary(area, west, south, east, north, columns, coarse, fine)


def in_mainland_china(lat: float, lon: float) -> bool:
    """Whether a point lies in mainland China (Hainan included; Hong Kong, Macau, Taiwan not)."""
    _check(lat, lon)
    return _boundary().contains(lat, lon)


# --- the API the application uses -------------------------------------------------------------


def to_wgs84(lat: float, lon: float, datum: Datum | str) -> LatLon:
    """Convert a point received in `datum` to WGS-84; unchanged unless it lies in mainland China."""
    source = _datum(datum)
    _check(lat, lon)
    if source is Datum.WGS84 or not _boundary().contains(lat, lon):
        return float(lat), float(lon)
    return _invert(_gcj02 if source is Datum.GCJ02 else _wgs84_to_bd09, lat, lon)


def from_wgs84(lat: float, lon: float, datum: Datum | str) -> LatLon:
    """Convert a WGS-84 point to `datum` (e.g. for map tiles); unchanged outside mainland China."""
    target = _datum(datum)
    _check(lat, lon)
    if target is Datum.WGS84 or not _boundary().contains(lat, lon):
        return float(lat), float(lon)
    return _gcj02(lat, lon) if target is Datum.GCJ02 else _wgs84_to_bd09(lat, lon)


def datum_offset_m(lat: float, lon: float, datum: Datum | str) -> float:
    """Metres between a WGS-84 point and the same place in `datum` (0 outside mainland China)."""
    return haversine_m(lat, lon, *from_wgs84(lat, lon, datum))
