"""Territory polygons: parse GeoJSON (WGS-84, lon/lat), validate or repair, measure on the sphere.

Refusals are ``PolygonError``s: a stable ``code`` (constants below), a plain-English ``message``
and JSON-ready ``data``. Edges are straight in lon/lat (RFC 7946), so planar shapely operations in
degrees and ``area_m2`` agree. A part whose consecutive longitudes jump by over 180° (bar -180 to
180 exactly, as in a world-wide box) crosses the antimeridian: it is unwrapped (negative longitudes
+ 360), checked there, then cut at ±180° (RFC 7946 §3.1.9); a ring that cannot be unwrapped (it
circles a pole) is refused.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np
import shapely  # type: ignore[import-untyped,unused-ignore]

from geo.distance import EARTH_RADIUS_M

WRONG_GEOMETRY_TYPE, MALFORMED = "territory.wrong_geometry_type", "territory.malformed"
OUT_OF_RANGE, WRONG_SRID = "territory.out_of_range", "territory.wrong_srid"
TOO_MANY_VERTICES, EMPTY = "territory.too_many_vertices", "territory.empty"
INVALID_GEOMETRY = "territory.invalid_geometry"

Ring = list[tuple[float, float]]
_ANY_VERSION = r"(?:urn:ogc:def:crs:{0}:[\d.]*:|https?://www\.opengis\.net/def/crs/{0}/[\d.]+/)"
_WGS84_NAMES = re.compile(
    rf"(?:{_ANY_VERSION.format('ogc')}|ogc:)?crs:?84|(?:{_ANY_VERSION.format('epsg')}|epsg:)4326"
)
_REASON = re.compile(r"(.*?)\s*\[(\S+) (\S+)\]")  # "Self-intersection[116.5 39.5]"
# Degrees never exceed 360 in magnitude, whatever the convention (0..360 longitudes, swapped axes).
_NOT_DEGREES = 360.0
_FLOAT_MAX = sys.float_info.max


class PolygonError(ValueError):
    """A refused territory geometry: stable ``code``, plain-English ``message``, JSON ``data``."""

    def __init__(self, code: str, message: str, data: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data: dict[str, Any] = dict(data or {})

    def in_feature(self, index: int) -> PolygonError:
        """The same error, located in feature ``index`` of a FeatureCollection."""
        data = {**self.data, "feature_index": index}
        return PolygonError(self.code, f"Feature {index}: {self.message}", data)


@dataclass(frozen=True)
class Limits:
    """What a territory may be: at most ``max_vertices``, and at least ``min_area_m2`` in area."""

    max_vertices: int = 10_000
    min_area_m2: float = 1.0  # anything smaller is a sliver or a collapsed repair, not a territory


def parse_geometry(
    geojson: Mapping[str, Any], *, repair: bool = False, limits: Limits = Limits()
) -> shapely.MultiPolygon:
    """A checked, normalized MultiPolygon from a GeoJSON Polygon, MultiPolygon or Feature."""
    geometry = _geometry_of(geojson)
    multi = geometry["type"] == "MultiPolygon"
    polygons = _read_coordinates(geometry, multi, limits)
    _check_degrees(polygons, multi)
    parts = [_unwrap(shapely.Polygon(rings[0], rings[1:])) for rings in polygons]
    unwrapped = _valid(shapely.MultiPolygon(parts), repair)
    # Parts may meet only once cut (one given across ±180°, another just beside it): check again.
    result = _valid(split_antimeridian(unwrapped), repair)
    area = area_m2(result)
    if area < limits.min_area_m2:
        message = f"The territory has no area to speak of ({area:.3g} m²)."
        raise PolygonError(EMPTY, message, {"area_m2": area})
    return shapely.orient_polygons(shapely.normalize(result), exterior_cw=False)


def vertex_count(geom: shapely.Geometry) -> int:
    """Number of vertices of the polygonal parts, not counting each ring's closing repeat."""
    return sum(len(r.coords) - 1 for p in _polygons(geom) for r in (p.exterior, *p.interiors))


def area_m2(geom: shapely.Geometry) -> float:
    """Area in m² of the polygonal parts on the mean-radius sphere, edges straight in lon/lat."""
    polygons = _polygons(shapely.orient_polygons(geom, exterior_cw=False))
    rings = [ring for p in polygons for ring in (p.exterior, *p.interiors)]
    return EARTH_RADIUS_M**2 * sum(_ring_integral(ring) for ring in rings)


def split_antimeridian(geom: shapely.Geometry) -> shapely.MultiPolygon:
    """Cut parts that cross ±180° (by a longitude jump, or reaching beyond ±180°) at ±180°."""
    return shapely.MultiPolygon([piece for p in _polygons(geom) for piece in _cut(_unwrap(p))])


def overlap_m2(a: shapely.Geometry, b: shapely.Geometry) -> float:
    """Area in m² of the intersection of two territories (0 when they only touch)."""
    return area_m2(shapely.intersection(a, b))


def uncovered_m2(child: shapely.Geometry, parent_union: shapely.Geometry) -> float:
    """Area in m² of ``child`` that lies outside ``parent_union``."""
    return area_m2(shapely.difference(child, parent_union))


def to_geojson(geom: shapely.Geometry, *, precision: int = 7) -> dict[str, Any]:
    """A GeoJSON MultiPolygon dict, exteriors counter-clockwise, rounded to ``precision`` places."""
    polygons = _polygons(shapely.orient_polygons(geom, exterior_cw=False))
    rings = [[_ring_json(r, precision) for r in (p.exterior, *p.interiors)] for p in polygons]
    return {"type": "MultiPolygon", "coordinates": rings}


def feature_collection_features(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The Features of a FeatureCollection, each with a geometry and properties (null → {})."""
    if not isinstance(doc, Mapping) or doc.get("type") != "FeatureCollection":
        raise PolygonError(MALFORMED, "Expected a GeoJSON FeatureCollection.")
    _check_crs(doc)
    features = doc.get("features")
    if not isinstance(features, list):
        raise PolygonError(MALFORMED, "The FeatureCollection's 'features' must be a list.")
    for i, feature in enumerate(features):
        ok = isinstance(feature, Mapping) and feature.get("type") == "Feature"
        ok = ok and isinstance(feature.get("geometry"), Mapping)
        if not ok or not isinstance(feature.get("properties", ...), Mapping | None):
            message = f"Feature {i} must be a GeoJSON Feature with a geometry and properties."
            raise PolygonError(MALFORMED, message, {"feature_index": i})
    return [{**feature, "properties": dict(feature["properties"] or {})} for feature in features]


def _geometry_of(geojson: object, *, in_feature: bool = False) -> Mapping[str, Any]:
    if not isinstance(geojson, Mapping) or not isinstance(geojson.get("type"), str):
        raise PolygonError(MALFORMED, "A territory must be a GeoJSON object with a 'type'.")
    _check_crs(geojson)
    kind = geojson["type"]
    if kind == "Feature" and not in_feature:
        if geojson.get("geometry") is None:
            raise PolygonError(EMPTY, "The Feature has no geometry.")
        return _geometry_of(geojson["geometry"], in_feature=True)
    if kind not in ("Polygon", "MultiPolygon"):
        message = f"A territory must be a Polygon or MultiPolygon, not a {kind}."
        raise PolygonError(WRONG_GEOMETRY_TYPE, message, {"geometry_type": kind})
    return geojson


def _check_crs(obj: Mapping[str, Any]) -> None:
    crs = obj.get("crs")  # GeoJSON 2008; RFC 7946 dropped it, so absent or null means WGS-84
    props = crs.get("properties") if isinstance(crs, Mapping) else None
    name = props.get("name") if isinstance(props, Mapping) and crs.get("type") == "name" else None
    if crs is None or (isinstance(name, str) and _WGS84_NAMES.fullmatch(name.strip().lower())):
        return
    declared = f"crs {name!r}" if name else "a crs"
    advice = "send WGS-84 longitude/latitude (EPSG:4326 / CRS84) or leave 'crs' out"
    raise PolygonError(WRONG_SRID, f"The geometry declares {declared}; {advice}.", {"crs": name})


def _at(code: str, multi: bool, index: tuple[int, ...], problem: str, **data: Any) -> PolygonError:
    """An error located as "polygon 2, ring 0, position 5" (no polygon for a Polygon)."""
    located = dict(zip(("polygon", "ring", "position"), index, strict=False))
    where = ", ".join(f"{k} {v}" for k, v in located.items() if multi or k != "polygon")
    return PolygonError(code, f"{where.capitalize()}: {problem}.", {**located, **data})


def _read_coordinates(geometry: Mapping[str, Any], multi: bool, limits: Limits) -> list[list[Ring]]:
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list | tuple):
        raise PolygonError(MALFORMED, f"The {geometry['type']}'s 'coordinates' must be a list.")
    polygons = coordinates if multi else [coordinates] if coordinates else []
    vertices = 0
    for p, polygon in enumerate(polygons):
        if not isinstance(polygon, list | tuple) or not polygon:
            raise _at(MALFORMED, True, (p,), "expected a list of rings")
        for r, ring in enumerate(polygon):
            if not isinstance(ring, list | tuple) or len(ring) < 4:
                problem = "expected a list of at least 4 positions, the last repeating the first"
                raise _at(MALFORMED, multi, (p, r), problem)
            vertices += len(ring) - 1
    if vertices > limits.max_vertices:
        message = f"The territory has {vertices} vertices; at most {limits.max_vertices} allowed."
        data = {"vertices": vertices, "max": limits.max_vertices}
        raise PolygonError(TOO_MANY_VERTICES, message, data)
    return [[_read_ring(x, multi, p, r) for r, x in enumerate(rs)] for p, rs in enumerate(polygons)]


# Coordinates this close to 0 are 0: GEOS's overlay misplaces cuts when its products underflow
# (a box whose edge lay at latitude 2e-313 came back reaching -181° after the antimeridian cut).
_TINY = 1e-300


def _flush(value: float) -> float:
    number = float(value)
    return 0.0 if abs(number) < _TINY else number


def _read_ring(ring: list[Any], multi: bool, p: int, r: int) -> Ring:
    positions = []
    for i, position in enumerate(ring):
        if not isinstance(position, list | tuple) or len(position) < 2:
            problem = "expected a [longitude, latitude] pair"
        elif not all(isinstance(v, Real) and not isinstance(v, bool) for v in position):
            problem = "coordinates must be numbers"
        elif not all(abs(v) <= _FLOAT_MAX for v in position):  # False for NaN too
            problem = "coordinates must be finite (no NaN or infinity)"
        else:
            positions.append((_flush(position[0]), _flush(position[1])))
            continue
        raise _at(MALFORMED, multi, (p, r, i), problem)
    if positions[0] != positions[-1]:
        problem = "the ring is not closed (its last position must repeat its first)"
        raise _at(MALFORMED, multi, (p, r), problem, first=[*positions[0]], last=[*positions[-1]])
    return positions


def _check_degrees(polygons: list[list[Ring]], multi: bool) -> None:
    located = [
        (p, r, i, x, y)
        for p, rings in enumerate(polygons)
        for r, ring in enumerate(rings)
        for i, (x, y) in enumerate(ring)
    ]
    far = [item for item in located if max(abs(item[3]), abs(item[4])) > _NOT_DEGREES]
    if far and 2 * len(far) >= len(located):
        p, r, i, x, y = far[0]
        problem = f"[{x:.10g}, {y:.10g}] looks projected; send WGS-84 lon/lat (EPSG:4326)"
        raise _at(WRONG_SRID, multi, (p, r, i), problem, coordinates=[x, y])
    for p, r, i, x, y in located:
        if not (-180.0 <= x <= 180.0 and -90.0 <= y <= 90.0):
            problem = f"[{x:.10g}, {y:.10g}] is outside longitude -180..180, latitude -90..90"
            if all(-90.0 <= item[3] <= 90.0 and -180.0 <= item[4] <= 180.0 for item in located):
                problem += " (GeoJSON puts longitude first: are the two swapped?)"
            raise _at(OUT_OF_RANGE, multi, (p, r, i), problem, coordinates=[x, y])


def _valid(geom: shapely.MultiPolygon, repair: bool) -> shapely.MultiPolygon:
    reason = shapely.is_valid_reason(geom)
    if reason == "Valid Geometry":
        return geom
    if repair:
        # "structure" unions overlapping parts; "linework" would XOR them away
        return shapely.MultiPolygon(_polygons(shapely.make_valid(geom, method="structure")))
    found = _REASON.fullmatch(reason)
    text, location = (found[1], _wrapped(found[2], found[3])) if found else (reason, None)
    near = f" near {location}" if location else ""
    message = f"The territory is not a valid polygon: {text}{near}. Fix it or ask for a repair."
    raise PolygonError(INVALID_GEOMETRY, message, {"reason": text, "location": location})


def _wrapped(x: float | str, y: float | str) -> list[float]:  # [lon, lat], lon in [-180, 180]
    lon = float(x)
    return [round(lon - 360.0 * round(lon / 360.0), 7), round(float(y), 7)]


def _polygons(geom: shapely.Geometry) -> list[shapely.Polygon]:
    if isinstance(geom, shapely.Polygon):
        return [] if geom.is_empty else [geom]
    return [p for part in getattr(geom, "geoms", ()) for p in _polygons(part)]


def _jumps(lon: np.ndarray) -> np.ndarray:  # indices i where lon[i] -> lon[i + 1] crosses ±180°
    # -180 <-> 180 is no crossing: a world-wide box runs along parallels from one to the other
    seam = (np.abs(lon[:-1]) == 180.0) & (np.abs(lon[1:]) == 180.0)
    return np.flatnonzero((np.abs(np.diff(lon)) > 180.0) & ~seam)


def _unwrap(polygon: shapely.Polygon) -> shapely.Polygon:
    rings = [np.array(r.coords, dtype=float)[:, :2] for r in (polygon.exterior, *polygon.interiors)]
    if not any(_jumps(ring[:, 0]).size for ring in rings):
        return polygon
    for ring in rings:
        ring[:, 0] = np.where(ring[:, 0] < 0.0, ring[:, 0] + 360.0, ring[:, 0])
        left = _jumps(ring[:, 0])
        if left.size:
            location = _wrapped(*ring[left[0]])
            reason = "Ring crosses the antimeridian an odd number of times"
            message = f"{reason} near {location} (does it circle a pole?); split it in two."
            raise PolygonError(INVALID_GEOMETRY, message, {"reason": reason, "location": location})
    return shapely.Polygon(rings[0], rings[1:])


def _cut(polygon: shapely.Polygon) -> list[shapely.Polygon]:
    west, _, east, _ = polygon.bounds
    if west >= -180.0 and east <= 180.0:
        return [polygon]
    pieces = []
    for shift in (-360.0, 0.0, 360.0):
        window = shapely.box(-180.0 - shift, -90.0, 180.0 - shift, 90.0)
        for piece in _polygons(shapely.intersection(polygon, window)):
            pieces.append(shapely.transform(piece, lambda xy, s=shift: xy + np.array([s, 0.0])))
    return pieces


def _ring_integral(ring: shapely.LinearRing) -> float:
    # Unit-sphere area, counter-clockwise positive: -∮ sin(lat) d(lon). An edge straight in lon/lat
    # adds exactly Δlon · sin(mean lat) · sinc(Δlat / 2); np.sinc(x) is sin(πx)/(πx).
    lon, lat = np.radians(np.asarray(ring.coords)[:, :2]).T
    mid = (lat[:-1] + lat[1:]) / 2.0
    return -float(np.sum(np.diff(lon) * np.sin(mid) * np.sinc(np.diff(lat) / (2.0 * np.pi))))


def _ring_json(ring: shapely.LinearRing, precision: int) -> list[list[float]]:
    xy = np.round(np.asarray(ring.coords)[:, :2], precision) + 0.0  # + 0.0 turns -0.0 into 0.0
    keep = np.concatenate(([True], np.any(np.diff(xy, axis=0) != 0.0, axis=1)))
    return [[float(x), float(y)] for x, y in xy[keep]]
