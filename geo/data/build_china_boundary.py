"""Rebuild china_mainland.geojson from Natural Earth 1:10m countries (world-atlas TopoJSON).

Usage (not run at import time; needs only shapely):

    cd "$(mktemp -d)" && npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python $REPO/geo/data/build_china_boundary.py package/countries-10m.json \\
        $REPO/geo/data/china_mainland.geojson

Steps (README.md beside this file gives the reasons): decode the TopoJSON; take China (ISO 3166
numeric 156), which Natural Earth keeps apart from Hong Kong (344), Macao (446) and Taiwan (158);
grow it by a coastal margin and fill the bays that closes; cut every other country's land back
out, so the margin only covers sea; simplify; cut Hong Kong, Macao and Taiwan out once more at
full resolution; snap to a 0.001° grid; write one GeoJSON Feature.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely  # type: ignore[import-untyped,unused-ignore]
from shapely.geometry import MultiPolygon, Polygon  # type: ignore[import-untyped,unused-ignore]
from shapely.geometry.base import BaseGeometry  # type: ignore[import-untyped,unused-ignore]

CHINA = "156"
EXCLUDED = {"344": "Hong Kong", "446": "Macao", "158": "Taiwan"}
COAST_MARGIN_DEG = 0.025  # ≈ 2.8 km north-south, 2.2 to 2.6 km east-west in China
SIMPLIFY_DEG = 0.011  # ≈ 1.2 km north-south
GRID_DEG = 0.001  # ≈ 100 m; coordinates are written with three decimals
NEIGHBOUR_PAD_DEG = 1.0

Point = tuple[float, float]
Arcs = list[list[Point]]


def decode_arcs(topology: dict[str, Any]) -> Arcs:
    """Delta-decode and dequantize every arc of a quantized TopoJSON topology."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs: Arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(indices: Sequence[int], arcs: Arcs) -> list[Point]:
    """Stitch a TopoJSON ring from arc indices (negative index = reversed arc ~i)."""
    points: list[Point] = []
    for index in indices:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def geometry(obj: dict[str, Any], arcs: Arcs) -> BaseGeometry:
    """Build a valid shapely (Multi)Polygon from one TopoJSON geometry object."""
    polygons = [obj["arcs"]] if obj["type"] == "Polygon" else obj["arcs"]
    rings = [[ring(r, arcs) for r in polygon] for polygon in polygons]
    # quantization collapses some islets to fewer than four points: nothing left to keep
    parts = [Polygon(p[0], [h for h in p[1:] if len(h) >= 4]) for p in rings if len(p[0]) >= 4]
    return shapely.make_valid(MultiPolygon(parts), method="structure", keep_collapsed=False)


def fill_holes(area: BaseGeometry) -> BaseGeometry:
    """The same (Multi)Polygon with every interior ring dropped."""
    return shapely.union_all([Polygon(p.exterior) for p in shapely.get_parts(area)])


def build(topology: dict[str, Any]) -> BaseGeometry:
    """Mainland China (with Hainan and coastal islands) plus a sea margin, neighbours cut out."""
    arcs = decode_arcs(topology)
    countries = {g["id"]: g for g in topology["objects"]["countries"]["geometries"] if "id" in g}
    china = geometry(countries[CHINA], arcs)
    # bays the margin closes off become inside (internal waters); fewer rings, smaller file
    grown = fill_holes(china.buffer(COAST_MARGIN_DEG, quad_segs=2))
    window = shapely.box(*grown.bounds).buffer(NEIGHBOUR_PAD_DEG)
    others = [
        geometry(g, arcs)
        for g in topology["objects"]["countries"]["geometries"]
        if g.get("id") != CHINA and g.get("arcs")
    ]
    neighbours = shapely.union_all([o for o in others if o.intersects(window)])
    missing = [name for iso, name in EXCLUDED.items() if iso not in countries]
    if missing:
        raise SystemExit(f"source lacks {missing}: cannot guarantee they are cut out")
    mainland = grown.difference(neighbours).simplify(SIMPLIFY_DEG, preserve_topology=True)
    # simplifying may cut up to SIMPLIFY_DEG into a neighbour; for the small SARs that is a large
    # share of their land, so cut them out again at full resolution
    mainland = mainland.difference(
        shapely.union_all([geometry(countries[i], arcs) for i in EXCLUDED])
    )
    mainland = shapely.set_precision(mainland, GRID_DEG)
    holes = [Polygon(r) for p in shapely.get_parts(mainland) for r in p.interiors]
    pinched = [h for h in holes if not h.intersects(neighbours)]  # river mouths closed by snapping
    return shapely.union_all([mainland, *pinched])


def feature_collection(mainland: BaseGeometry) -> dict[str, Any]:
    """Wrap the boundary as a one-feature GeoJSON FeatureCollection."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "name": "Mainland China (GCJ-02 area)",
                    "source": "Natural Earth 4.1.0 admin-0 countries 1:10m via world-atlas@2.0.2",
                    "excludes": sorted(EXCLUDED.values()),
                },
                "geometry": shapely.geometry.mapping(
                    shapely.transform(mainland, lambda xy: np.round(xy, 3))
                ),
            }
        ],
    }


def main(argv: Sequence[str]) -> None:
    """Read the world-atlas countries-10m.json named in argv[1] and write argv[2]."""
    topology = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    mainland = build(topology)
    text = json.dumps(feature_collection(mainland), separators=(",", ":"))
    Path(argv[2]).write_text(text + "\n", encoding="utf-8")
    print(f"{argv[2]}: {len(text)} bytes, {shapely.get_num_coordinates(mainland)} points")


if __name__ == "__main__":
    main(sys.argv)
