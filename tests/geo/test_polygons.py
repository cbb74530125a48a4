import json
import math

import pytest
import shapely
from hypothesis import example, given, settings
from hypothesis import strategies as st

from geo.distance import EARTH_RADIUS_M
from geo.polygons import (
    EMPTY,
    INVALID_GEOMETRY,
    MALFORMED,
    OUT_OF_RANGE,
    TOO_MANY_VERTICES,
    WRONG_GEOMETRY_TYPE,
    WRONG_SRID,
    Limits,
    PolygonError,
    area_m2,
    feature_collection_features,
    overlap_m2,
    parse_geometry,
    split_antimeridian,
    to_geojson,
    uncovered_m2,
    vertex_count,
)

KM2 = 1e6


def ring(x0, y0, x1, y1):
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


def polygon(*rings):
    return {"type": "Polygon", "coordinates": list(rings)}


def box(x0, y0, x1, y1):
    return polygon(ring(x0, y0, x1, y1))


def box_area_m2(lon_span, lat0, lat1):
    """Exact spherical area of a lon/lat box: R² · Δλ · (sin φ1 - sin φ0)."""
    return (
        EARTH_RADIUS_M**2
        * math.radians(lon_span)
        * (math.sin(math.radians(lat1)) - math.sin(math.radians(lat0)))
    )


def refusal(geojson, **kwargs):
    with pytest.raises(PolygonError) as caught:
        parse_geometry(geojson, **kwargs)
    return caught.value


BOW_TIE = polygon([[116.0, 39.0], [117.0, 40.0], [117.0, 39.0], [116.0, 40.0], [116.0, 39.0]])
FIJI = box(177.0, -19.0, -178.0, -16.0)  # 5° wide, across the antimeridian


# --- accepted shapes ---------------------------------------------------------------------------


def test_valid_polygon_becomes_a_one_part_multipolygon():
    geom = parse_geometry(box(116.0, 39.0, 117.0, 40.0))
    assert isinstance(geom, shapely.MultiPolygon)
    assert len(geom.geoms) == 1
    assert geom.bounds == (116.0, 39.0, 117.0, 40.0)
    assert vertex_count(geom) == 4


def test_polygon_with_hole_keeps_the_hole():
    geom = parse_geometry(polygon(ring(0, 0, 4, 4), ring(1, 1, 2, 2)))
    (part,) = geom.geoms
    assert len(part.interiors) == 1
    assert vertex_count(geom) == 8
    expected = box_area_m2(4, 0, 4) - box_area_m2(1, 1, 2)
    assert area_m2(geom) == pytest.approx(expected, rel=1e-12)


def test_multipolygon_keeps_its_parts():
    geom = parse_geometry(
        {"type": "MultiPolygon", "coordinates": [[ring(0, 0, 1, 1)], [[*ring(5, 5, 6, 6)]]]}
    )
    assert len(geom.geoms) == 2
    assert area_m2(geom) == pytest.approx(box_area_m2(1, 0, 1) + box_area_m2(1, 5, 6))


def test_feature_input_uses_its_geometry():
    feature = {"type": "Feature", "properties": {"name": "North"}, "geometry": box(0, 0, 1, 1)}
    assert parse_geometry(feature).equals(parse_geometry(box(0, 0, 1, 1)))


def test_altitude_is_accepted_and_dropped():
    geom = parse_geometry(polygon([[0, 0, 10], [1, 0, 10], [1, 1, 12], [0, 1, 11], [0, 0, 10]]))
    assert not geom.has_z


@pytest.mark.parametrize(
    "name",
    [
        "EPSG:4326",
        "urn:ogc:def:crs:EPSG::4326",
        "urn:ogc:def:crs:OGC:1.3:CRS84",
        "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        "https://www.opengis.net/def/crs/EPSG/0/4326",
        "CRS:84",
    ],
)
def test_wgs84_crs_names_are_accepted(name):
    crs = {"type": "name", "properties": {"name": name}}
    assert parse_geometry({**box(0, 0, 1, 1), "crs": crs}).area == pytest.approx(1.0)


def test_output_is_normalized_with_counter_clockwise_exteriors():
    clockwise = polygon([[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]])
    (part,) = parse_geometry(clockwise).geoms
    assert part.exterior.is_ccw
    assert to_geojson(parse_geometry(clockwise)) == to_geojson(parse_geometry(box(0, 0, 1, 1)))


# --- refusals ----------------------------------------------------------------------------------

NAN, INF = float("nan"), float("inf")

REFUSALS = {
    "point": ({"type": "Point", "coordinates": [0, 0]}, WRONG_GEOMETRY_TYPE, "Point"),
    "linestring": (
        {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
        WRONG_GEOMETRY_TYPE,
        "",
    ),
    "geometry collection": (
        {"type": "GeometryCollection", "geometries": [box(0, 0, 1, 1)]},
        WRONG_GEOMETRY_TYPE,
        "GeometryCollection",
    ),
    "feature of a point": (
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [0, 0]}},
        WRONG_GEOMETRY_TYPE,
        "Point",
    ),
    "feature collection": (
        {"type": "FeatureCollection", "features": []},
        WRONG_GEOMETRY_TYPE,
        "FeatureCollection",
    ),
    "not an object": ([[0, 0], [1, 0]], MALFORMED, "GeoJSON object"),
    "no type": ({"coordinates": []}, MALFORMED, "'type'"),
    "coordinates missing": ({"type": "Polygon"}, MALFORMED, "'coordinates'"),
    "coordinates not a list": ({"type": "Polygon", "coordinates": "0 0"}, MALFORMED, "list"),
    "ring not a list": (polygon("0 0 1 1"), MALFORMED, "Ring 0"),
    "too few positions": (polygon([[0, 0], [1, 0], [0, 0]]), MALFORMED, "at least 4 positions"),
    "unclosed ring": (polygon([[0, 0], [1, 0], [1, 1], [0, 1]]), MALFORMED, "not closed"),
    "position not a pair": (polygon([[0, 0], [1], [1, 1], [0, 0]]), MALFORMED, "position 1"),
    "string coordinate": (polygon([[0, 0], [1, "0"], [1, 1], [0, 0]]), MALFORMED, "numbers"),
    "boolean coordinate": (polygon([[0, 0], [1, True], [1, 1], [0, 0]]), MALFORMED, "numbers"),
    "NaN": (polygon([[0, 0], [1, 0], [1, NAN], [0, 0]]), MALFORMED, "position 2"),
    "infinity": (polygon([[0, 0], [INF, 0], [1, 1], [0, 0]]), MALFORMED, "finite"),
    "int too big for a float": (polygon([[0, 0], [10**400, 0], [1, 1], [0, 0]]), MALFORMED, ""),
    "empty polygon in a multipolygon": (
        {"type": "MultiPolygon", "coordinates": [[ring(0, 0, 1, 1)], []]},
        MALFORMED,
        "Polygon 1",
    ),
    "longitude 181": (box(179, 0, 181, 1), OUT_OF_RANGE, "[181, 0]"),
    "latitude 91": (box(0, 89, 1, 91), OUT_OF_RANGE, "latitude"),
    "web mercator crs": (
        {**box(0, 0, 1, 1), "crs": {"type": "name", "properties": {"name": "EPSG:3857"}}},
        WRONG_SRID,
        "EPSG:3857",
    ),
    "unreadable crs": (
        {**box(0, 0, 1, 1), "crs": {"type": "link", "properties": {"href": "x"}}},
        WRONG_SRID,
        "crs",
    ),
    "projected coordinates": (box(12958000, 4852000, 12959000, 4853000), WRONG_SRID, "projected"),
    "bow-tie": (BOW_TIE, INVALID_GEOMETRY, "Self-intersection"),
    "hole outside shell": (
        polygon(ring(0, 0, 1, 1), ring(2, 2, 3, 3)),
        INVALID_GEOMETRY,
        "Hole lies outside shell",
    ),
    "ring touching itself": (
        polygon([[0, 0], [2, 0], [1, 1], [2, 2], [0, 2], [1, 1], [0, 0]]),
        INVALID_GEOMETRY,
        "Ring Self-intersection",
    ),
    "overlapping parts": (
        {"type": "MultiPolygon", "coordinates": [[ring(0, 0, 2, 2)], [ring(1, 1, 3, 3)]]},
        INVALID_GEOMETRY,
        "",
    ),
    "ring around a pole": (
        polygon([[0, 80], [120, 80], [-120, 80], [0, 80]]),
        INVALID_GEOMETRY,
        "antimeridian",
    ),
    "no coordinates": ({"type": "Polygon", "coordinates": []}, EMPTY, ""),
    "feature without geometry": (
        {"type": "Feature", "properties": {}, "geometry": None},
        EMPTY,
        "",
    ),
    "a millimetre square": (box(0, 0, 1e-8, 1e-8), EMPTY, "no area"),
}


@pytest.mark.parametrize(("geojson", "code", "fragment"), REFUSALS.values(), ids=REFUSALS.keys())
def test_refusals_carry_code_message_and_json_data(geojson, code, fragment):
    error = refusal(geojson)
    assert (error.code, str(error)) == (code, error.message)
    assert fragment in error.message
    assert error.message.endswith(".")
    json.dumps(error.data, allow_nan=False)


def test_error_data_never_shadows_problem_members():
    reserved = {"type", "title", "status", "detail", "instance", "code"}
    for geojson, _, _ in REFUSALS.values():
        assert not reserved & refusal(geojson).data.keys()
    assert refusal(REFUSALS["point"][0]).data == {"geometry_type": "Point"}


def test_malformed_position_is_located_in_the_message_and_data():
    coords = [[ring(0, 0, 1, 1)], [ring(0, 0, 1, 1)], [[[0, 0], [1, 0], [1, 1], [0, 1], [0, NAN]]]]
    error = refusal({"type": "MultiPolygon", "coordinates": coords})
    assert error.message.startswith("Polygon 2, ring 0, position 4: ")
    assert error.data == {"polygon": 2, "ring": 0, "position": 4}


def test_unclosed_ring_is_refused_not_closed_for_the_caller():
    error = refusal(polygon(ring(0, 0, 2, 2), [[0.5, 0.5], [1, 0.5], [1, 1], [0.5, 1]]))
    assert error.code == MALFORMED
    assert error.data == {"polygon": 0, "ring": 1, "first": [0.5, 0.5], "last": [0.5, 1.0]}


def test_out_of_range_reports_the_position_and_hints_at_swapped_axes():
    swapped = polygon([[39.0, 116.0], [39.0, 117.0], [40.0, 117.0], [40.0, 116.0], [39.0, 116.0]])
    error = refusal(swapped)
    assert error.code == OUT_OF_RANGE
    assert error.data == {"polygon": 0, "ring": 0, "position": 0, "coordinates": [39.0, 116.0]}
    assert "swapped" in error.message


def test_one_typo_is_out_of_range_rather_than_a_projection():
    typo = polygon([[116.0, 39.0], [1170.0, 39.0], [117.0, 40.0], [116.0, 40.0], [116.0, 39.0]])
    assert refusal(typo).code == OUT_OF_RANGE


def test_projected_coordinates_name_an_example():
    error = refusal(box(12958000, 4852000, 12959000, 4853000))
    assert error.data["coordinates"] == [12958000.0, 4852000.0]
    assert "12958000" in error.message


def test_crs_is_checked_on_the_feature_too():
    crs = {"type": "name", "properties": {"name": "EPSG:3857"}}
    error = refusal({"type": "Feature", "properties": {}, "geometry": box(0, 0, 1, 1), "crs": crs})
    assert (error.code, error.data) == (WRONG_SRID, {"crs": "EPSG:3857"})


def test_bow_tie_is_located_at_the_crossing():
    error = refusal(BOW_TIE)
    assert error.data == {"reason": "Self-intersection", "location": [116.5, 39.5]}
    assert "[116.5, 39.5]" in error.message


# --- vertex cap --------------------------------------------------------------------------------


def circle(n, radius=0.1):
    points = [
        [
            round(116 + radius * math.cos(2 * math.pi * i / n), 9),
            39 + radius * math.sin(2 * math.pi * i / n),
        ]
        for i in range(n)
    ]
    return polygon([*points, points[0]])


def test_vertex_cap_reports_count_and_maximum():
    error = refusal(box(0, 0, 1, 1), limits=Limits(max_vertices=3))
    assert (error.code, error.data) == (TOO_MANY_VERTICES, {"vertices": 4, "max": 3})
    assert vertex_count(parse_geometry(box(0, 0, 1, 1), limits=Limits(max_vertices=4))) == 4


def test_default_vertex_cap_is_ten_thousand():
    assert vertex_count(parse_geometry(circle(10_000))) == 10_000
    assert refusal(circle(10_001)).data == {"vertices": 10_001, "max": 10_000}


def test_holes_count_towards_the_cap():
    with_hole = polygon(ring(0, 0, 4, 4), ring(1, 1, 2, 2))
    assert refusal(with_hole, limits=Limits(max_vertices=7)).data["vertices"] == 8


# --- repair ------------------------------------------------------------------------------------


def test_repaired_bow_tie_gives_two_triangles():
    geom = parse_geometry(BOW_TIE, repair=True)
    assert len(geom.geoms) == 2
    assert all(len(part.exterior.coords) == 4 for part in geom.geoms)
    assert shapely.Point(116.5, 39.5).touches(geom)
    assert geom.area == pytest.approx(0.5)


def test_repair_unions_overlapping_parts():
    overlapping = {"type": "MultiPolygon", "coordinates": [[ring(0, 0, 2, 2)], [ring(1, 1, 3, 3)]]}
    assert parse_geometry(overlapping, repair=True).area == pytest.approx(7.0)


def test_repair_of_a_collapsed_ring_is_empty():
    flat = polygon([[0, 0], [1, 1], [2, 2], [0, 0]])
    assert refusal(flat).code == INVALID_GEOMETRY
    assert refusal(flat, repair=True).code == EMPTY


def test_valid_input_is_unchanged_by_repair():
    assert parse_geometry(box(0, 0, 1, 1), repair=True).equals(parse_geometry(box(0, 0, 1, 1)))


# --- antimeridian ------------------------------------------------------------------------------


def test_box_across_the_antimeridian_is_split_in_two():
    geom = parse_geometry(FIJI)
    west, east = sorted(geom.geoms, key=lambda part: part.bounds[0], reverse=True)
    assert west.bounds == (177.0, -19.0, 180.0, -16.0)
    assert east.bounds == (-180.0, -19.0, -178.0, -16.0)
    assert area_m2(geom) == pytest.approx(box_area_m2(5, -19, -16), rel=1e-12)


def test_antimeridian_split_matches_the_rfc_7946_cut_input():
    already_cut = {
        "type": "MultiPolygon",
        "coordinates": [[ring(177, -19, 180, -16)], [ring(-180, -19, -178, -16)]],
    }
    assert to_geojson(parse_geometry(FIJI)) == to_geojson(parse_geometry(already_cut))


def test_antimeridian_crossing_polygon_with_a_hole():
    geom = parse_geometry(polygon(ring(177, -19, -178, -16), ring(179, -18, -179, -17)))
    hole = box_area_m2(2, -18, -17)
    assert area_m2(geom) == pytest.approx(box_area_m2(5, -19, -16) - hole, rel=1e-12)


def test_parts_overlapping_across_the_antimeridian_are_caught():
    coords = [[ring(177, -19, -178, -16)], [ring(-179, -18, -177, -17)]]
    error = refusal({"type": "MultiPolygon", "coordinates": coords})
    assert error.code == INVALID_GEOMETRY
    repaired = parse_geometry({"type": "MultiPolygon", "coordinates": coords}, repair=True)
    assert area_m2(repaired) == pytest.approx(
        box_area_m2(5, -19, -16) + box_area_m2(1, -18, -17), rel=1e-9
    )


def test_self_intersection_across_the_antimeridian_is_located_in_range():
    crossing_bow_tie = polygon([[179, 0], [-179, 2], [-179, 0], [179, 2], [179, 0]])
    assert refusal(crossing_bow_tie).data == {
        "reason": "Self-intersection",
        "location": [180.0, 1.0],
    }


def test_world_wide_box_is_not_taken_for_a_crossing():
    world = parse_geometry(box(-180, -90, 180, 90))
    assert world.bounds == (-180, -90, 180, 90)
    assert area_m2(world) == pytest.approx(4 * math.pi * EARTH_RADIUS_M**2, rel=1e-12)


def test_crossing_drawn_through_the_seam_is_still_split():
    through_seam = polygon(
        [[170, 0], [180, 0], [-180, 0], [-170, 0], [-170, 1], [170, 1], [170, 0]]
    )
    geom = parse_geometry(through_seam)
    assert sorted(part.bounds for part in geom.geoms) == [(-180, 0, -170, 1), (170, 0, 180, 1)]


def test_split_antimeridian_also_cuts_continuous_longitudes():
    geom = split_antimeridian(shapely.box(178, 0, 182, 1))
    assert sorted(part.bounds for part in geom.geoms) == [(-180, 0, -178, 1), (178, 0, 180, 1)]
    assert split_antimeridian(shapely.box(0, 0, 1, 1)).equals(shapely.box(0, 0, 1, 1))


# --- areas -------------------------------------------------------------------------------------


def test_one_degree_box_at_the_equator():
    assert area_m2(parse_geometry(box(0, 0, 1, 1))) / KM2 == pytest.approx(12_364, abs=1)


def test_sloping_edges_are_integrated_exactly():
    # Triangle 0 <= lat <= lon <= 1°: ∫∫ cos(lat) = 1 - cos(1°).
    triangle = parse_geometry(polygon([[0, 0], [1, 0], [1, 1], [0, 0]]))
    assert area_m2(triangle) == pytest.approx(EARTH_RADIUS_M**2 * (1 - math.cos(math.radians(1))))


def test_area_ignores_lines_and_points():
    assert area_m2(shapely.GeometryCollection([shapely.LineString([(0, 0), (1, 1)])])) == 0.0


@settings(deadline=None)
@given(
    lon=st.floats(-180, 175),
    lat=st.floats(-89, 85),
    width=st.floats(0.001, 5),
    height=st.floats(0.001, 4),
)
def test_box_area_matches_the_closed_form(lon, lat, width, height):
    geom = parse_geometry(box(lon, lat, lon + width, lat + height))
    assert area_m2(geom) == pytest.approx(box_area_m2(width, lat, lat + height), rel=1e-9)


@settings(deadline=None)
@given(west=st.floats(0.01, 10), east=st.floats(0.01, 10), lat=st.floats(-80, 75))
@example(west=1.0, east=1.0830813266421817, lat=2.2250738585e-313)  # GEOS underflow, found in CI
def test_boxes_across_the_antimeridian_keep_their_area(west, east, lat):
    geom = parse_geometry(box(180 - west, lat, -180 + east, lat + 5))
    assert len(geom.geoms) == 2
    assert all(-180 <= x <= 180 for x in (geom.bounds[0], geom.bounds[2]))
    assert area_m2(geom) == pytest.approx(box_area_m2(west + east, lat, lat + 5), rel=1e-9)


def test_touching_territories_do_not_overlap():
    left, right = parse_geometry(box(0, 0, 1, 1)), parse_geometry(box(1, 0, 2, 1))
    assert overlap_m2(left, right) == 0.0
    corner = parse_geometry(box(1, 1, 2, 2))
    assert overlap_m2(left, corner) == 0.0


def test_overlap_is_the_area_of_the_intersection():
    a, b = parse_geometry(box(0, 0, 2, 2)), parse_geometry(box(1, 1, 3, 3))
    assert overlap_m2(a, b) == pytest.approx(box_area_m2(1, 1, 2))
    assert overlap_m2(a, b) == pytest.approx(overlap_m2(b, a))


def test_overlap_across_the_antimeridian():
    fiji = parse_geometry(FIJI)
    east = parse_geometry(box(-179, -20, -170, -10))
    assert overlap_m2(fiji, east) == pytest.approx(box_area_m2(1, -19, -16), rel=1e-9)


def test_uncovered_area_of_a_child():
    parent = parse_geometry(box(0, 0, 10, 10))
    assert uncovered_m2(parse_geometry(box(2, 2, 3, 3)), parent) == 0.0
    assert uncovered_m2(parse_geometry(box(0, 0, 10, 10)), parent) == 0.0
    sticking_out = parse_geometry(box(9, 5, 11, 6))
    assert uncovered_m2(sticking_out, parent) == pytest.approx(box_area_m2(1, 5, 6))


def test_uncovered_against_a_union_of_parents():
    parents = shapely.union(parse_geometry(box(0, 0, 1, 1)), parse_geometry(box(1, 0, 2, 1)))
    assert uncovered_m2(parse_geometry(box(0.5, 0.2, 1.5, 0.8)), parents) == 0.0


# --- determinism and GeoJSON output ------------------------------------------------------------


@st.composite
def star_polygons(draw):
    """Simple polygons: vertices at increasing angles around a centre."""
    n = draw(st.integers(3, 12))
    lon, lat = draw(st.floats(-170, 170)), draw(st.floats(-80, 80))
    jitter = st.floats(-0.4, 0.4)
    points = []
    for i in range(n):
        angle = 2 * math.pi * (i + draw(jitter)) / n
        radius = draw(st.floats(0.01, 1.0))
        points.append((lon + radius * math.cos(angle), lat + radius * math.sin(angle)))
    return points


@settings(deadline=None)
@given(points=star_polygons(), start=st.integers(0, 11), backwards=st.booleans())
def test_output_does_not_depend_on_start_vertex_or_direction(points, start, backwards):
    shifted = points[start % len(points) :] + points[: start % len(points)]
    if backwards:
        shifted.reverse()
    original = parse_geometry(polygon([[*p] for p in [*points, points[0]]]))
    variant = parse_geometry(polygon([[*p] for p in [*shifted, shifted[0]]]))
    assert original.equals_exact(variant, tolerance=0)


@settings(deadline=None)
@given(points=star_polygons())
def test_to_geojson_round_trips(points):
    geom = parse_geometry(polygon([[*p] for p in [*points, points[0]]]))
    document = json.loads(json.dumps(to_geojson(geom)))
    again = parse_geometry(document)
    # rounding may move which vertex normalization starts from, so compare shapes, not sequences
    assert len(again.geoms) == len(geom.geoms)
    assert shapely.hausdorff_distance(again, geom) < 1e-7


def test_part_order_does_not_matter():
    a, b = [ring(0, 0, 1, 1)], [ring(5, 5, 6, 6)]
    one = parse_geometry({"type": "MultiPolygon", "coordinates": [a, b]})
    other = parse_geometry({"type": "MultiPolygon", "coordinates": [b, a]})
    assert one.equals_exact(other, tolerance=0)


def test_to_geojson_rounds_and_orients():
    clockwise = shapely.Polygon([(0, 0), (0, 1.123456789), (1, 1), (1, -0.00000001), (0, 0)])
    document = to_geojson(clockwise)
    assert document["type"] == "MultiPolygon"
    (rings,) = document["coordinates"]
    assert shapely.LinearRing(rings[0]).is_ccw
    assert [1.0, 0.0] in rings[0]  # -0.00000001 rounds to 0.0, not -0.0
    assert [0.0, 1.1234568] in rings[0]
    assert json.dumps(document).count("-0.0") == 0


# --- FeatureCollections ------------------------------------------------------------------------


def feature(geometry, properties=None):
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def test_feature_collection_features_are_returned_with_properties():
    doc = {
        "type": "FeatureCollection",
        "features": [feature(box(0, 0, 1, 1), {"name": "A"}), feature(box(1, 0, 2, 1))],
    }
    features = feature_collection_features(doc)
    assert [f["properties"] for f in features] == [{"name": "A"}, {}]
    assert [parse_geometry(f).bounds for f in features] == [(0, 0, 1, 1), (1, 0, 2, 1)]


@pytest.mark.parametrize(
    ("doc", "index"),
    [
        ({"type": "FeatureCollection", "features": [feature(box(0, 0, 1, 1)), box(0, 0, 1, 1)]}, 1),
        ({"type": "FeatureCollection", "features": [feature(None)]}, 0),
        ({"type": "FeatureCollection", "features": [feature(box(0, 0, 1, 1), [1])]}, 0),
        ({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {}}]}, 0),
    ],
)
def test_bad_features_are_named_by_index(doc, index):
    with pytest.raises(PolygonError) as caught:
        feature_collection_features(doc)
    assert caught.value.code == MALFORMED
    assert caught.value.data == {"feature_index": index}
    assert f"Feature {index} " in caught.value.message


@pytest.mark.parametrize(
    "doc",
    [
        feature(box(0, 0, 1, 1)),
        {"type": "FeatureCollection"},
        {"type": "FeatureCollection", "features": {}},
        [],
    ],
)
def test_not_a_feature_collection(doc):
    with pytest.raises(PolygonError) as caught:
        feature_collection_features(doc)
    assert caught.value.code == MALFORMED


def test_feature_collection_crs_is_checked():
    crs = {"type": "name", "properties": {"name": "EPSG:3857"}}
    with pytest.raises(PolygonError) as caught:
        feature_collection_features({"type": "FeatureCollection", "features": [], "crs": crs})
    assert caught.value.code == WRONG_SRID


def test_errors_can_be_placed_in_a_feature():
    doc = {"type": "FeatureCollection", "features": [feature(box(0, 0, 1, 1)), feature(BOW_TIE)]}
    errors = []
    for i, f in enumerate(feature_collection_features(doc)):
        try:
            parse_geometry(f)
        except PolygonError as error:
            errors.append(error.in_feature(i))
    (error,) = errors
    assert error.code == INVALID_GEOMETRY
    assert error.data["feature_index"] == 1
    assert error.message.startswith("Feature 1: The territory is not a valid polygon")
