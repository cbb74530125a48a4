"""Territory locate benchmark: 10,000 territories, the point-in-territory service call.

A grid of small polygons (cells of about 1.1 km, edges subdivided and jittered so that the
polygons are not boxes, neighbours sharing their edges exactly) over the Shanghai area,
under four region nodes (each with a territory covering its quarter of the grid) and
a hundred team nodes (a block of cells each). Times ``app.territories.service.locate`` for
random points inside cells, exactly on shared vertices (borders: two to four cells and maybe
a region border cover them) and outside the grid, and checks a sample against a brute-force
answer (every territory that covers the point, deepest node first, then lowest id).

    .venv/bin/python bench/locate.py --backend spatialite|postgis [--territories 10000]
        [--queries 10000] [--keep] [--fresh]
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
import sqlalchemy as sa
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import MultiPolygon, Point, Polygon, box
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app import spatial
from app.models import load_all
from app.org.models import OrgNode
from app.org.service import insert_node
from app.territories.models import Territory
from app.territories.service import locate
from bench._common import (
    Stopwatch,
    Timing,
    bench_database,
    load_average,
    machine,
    p95s,
    print_table,
    software,
    time_passes,
)
from geo import polygons

ORIGIN = (30.95, 121.05)  # south-west corner (lat, lon): the Shanghai area
CELL_DEG = 0.01  # cell height; width is widened by 1/cos(lat) to be square on the ground
SEGMENTS = 4  # each cell edge is cut into this many segments (16 vertices per cell)
CORNER_JITTER = 0.15  # of a cell, for corners off the region borders
EDGE_JITTER = 0.08  # of a cell, perpendicular, for the points inside an edge
SEED = 20261123
MIX = (("inside", 0.7), ("border", 0.15), ("outside", 0.15))


@dataclass
class Grid:
    side: int
    lat0: float
    lon0: float
    dlat: float
    dlon: float

    def split(self) -> int:
        """Row/column index where the region quarters meet."""
        return self.side // 2


def make_grid(n: int) -> Grid:
    side = math.isqrt(n)
    assert side * side == n, "--territories must be a square number (a square grid)"
    lat0, lon0 = ORIGIN
    return Grid(side, lat0, lon0, CELL_DEG, CELL_DEG / math.cos(math.radians(lat0)))


def cell_polygons(grid: Grid, rng: random.Random) -> dict[tuple[int, int], Polygon]:
    """Cells (row, column) sharing their jittered edges; straight on region borders."""
    side, split = grid.side, grid.split()

    def straight(index: int) -> bool:
        return index in (0, split, side)

    corners = {}
    for i in range(side + 1):
        for j in range(side + 1):
            lat = grid.lat0 + i * grid.dlat
            lon = grid.lon0 + j * grid.dlon
            if not straight(i):
                lat += rng.uniform(-CORNER_JITTER, CORNER_JITTER) * grid.dlat
            if not straight(j):
                lon += rng.uniform(-CORNER_JITTER, CORNER_JITTER) * grid.dlon
            corners[i, j] = (lon, lat)

    edges: dict[tuple[tuple[int, int], tuple[int, int]], list[tuple[float, float]]] = {}

    def edge(a: tuple[int, int], b: tuple[int, int]) -> list[tuple[float, float]]:
        """Points from corner a to corner b (exclusive of b), the same for both neighbours."""
        key = (a, b) if a < b else (b, a)
        if key not in edges:
            (x0, y0), (x1, y1) = corners[key[0]], corners[key[1]]
            horizontal = key[0][0] == key[1][0]
            line = key[0][0] if horizontal else key[0][1]
            points = [(x0, y0)]
            for m in range(1, SEGMENTS):
                t = m / SEGMENTS
                x, y = x0 + (x1 - x0) * t, y0 + (y1 - y0) * t
                if not straight(line):
                    if horizontal:
                        y += rng.uniform(-EDGE_JITTER, EDGE_JITTER) * grid.dlat
                    else:
                        x += rng.uniform(-EDGE_JITTER, EDGE_JITTER) * grid.dlon
                points.append((x, y))
            edges[key] = points
        points = edges[key]
        if (a, b) == key:
            return points
        return [corners[a], *reversed(points[1:])]

    cells = {}
    for i in range(side):
        for j in range(side):
            sw, se, ne, nw = (i, j), (i, j + 1), (i + 1, j + 1), (i + 1, j)
            ring = edge(sw, se) + edge(se, ne) + edge(ne, nw) + edge(nw, sw)
            polygon = Polygon(ring)
            assert polygon.is_valid, (i, j)
            cells[i, j] = polygon
    return cells


def build(session: Session, grid: Grid, rng: random.Random) -> None:
    side, split = grid.side, grid.split()
    cells = cell_polygons(grid, rng)
    company = insert_node(session, parent=None, name="Bench Co", kind="company")
    block = max(1, side // 10)  # a team owns a block x block square of cells
    for qi, qj in ((0, 0), (0, 1), (1, 0), (1, 1)):
        rows = range(0, split) if qi == 0 else range(split, side)
        cols = range(0, split) if qj == 0 else range(split, side)
        region = insert_node(session, parent=company, name=f"Region {qi}{qj}", kind="region")
        quarter = box(
            grid.lon0 + cols.start * grid.dlon,
            grid.lat0 + rows.start * grid.dlat,
            grid.lon0 + cols.stop * grid.dlon,
            grid.lat0 + rows.stop * grid.dlat,
        )
        session.add(_territory(region.id, region.name, quarter))
        teams: dict[tuple[int, int], OrgNode] = {}
        for i in rows:
            for j in cols:
                key = ((i - rows.start) // block, (j - cols.start) // block)
                if key not in teams:
                    teams[key] = insert_node(
                        session, parent=region, name=f"Team {qi}{qj}-{key}", kind="team"
                    )
                session.add(_territory(teams[key].id, f"Cell {i},{j}", cells[i, j]))
        session.flush()


def _territory(node_id: int, name: str, polygon: Polygon) -> Territory:
    geom = MultiPolygon([polygon])
    return Territory(
        org_node_id=node_id,
        name=name,
        geom=from_shape(geom, srid=spatial.SRID),
        vertex_count=polygons.vertex_count(geom),
        area_m2=polygons.area_m2(geom),
    )


class BruteForce:
    """Every territory covering the point; the deepest node's, then the lowest id."""

    def __init__(self, session: Session) -> None:
        rows = session.execute(
            sa.select(Territory.id, OrgNode.depth, Territory.geom).join(
                OrgNode, OrgNode.id == Territory.org_node_id
            )
        ).all()
        self.ids = np.array([r[0] for r in rows])
        self.depths = np.array([r[1] for r in rows])
        self.shapes = np.array([to_shape(r[2]) for r in rows], dtype=object)
        shapely.prepare(self.shapes)

    def __call__(self, lat: float, lon: float) -> int | None:
        hit = shapely.covers(self.shapes, Point(lon, lat))
        if not hit.any():
            return None
        ids, depths = self.ids[hit], self.depths[hit]
        return int(min(zip(-depths, ids, strict=True))[1])


def make_points(grid: Grid, n: int, rng: random.Random) -> list[tuple[str, float, float]]:
    """(kind, lat, lon); border points are shared cell corners, read back from the database."""
    points = []
    south, west = grid.lat0, grid.lon0
    north, east = south + grid.side * grid.dlat, west + grid.side * grid.dlon
    for _ in range(n):
        kind = rng.choices([k for k, _ in MIX], [w for _, w in MIX])[0]
        if kind == "inside":
            points.append((kind, rng.uniform(south, north), rng.uniform(west, east)))
        elif kind == "outside":
            while True:
                lat = rng.uniform(south - 0.5, north + 0.5)
                lon = rng.uniform(west - 0.5, east + 0.5)
                if not (south <= lat <= north and west <= lon <= east):
                    break
            points.append((kind, lat, lon))
        else:
            points.append((kind, math.nan, math.nan))
    return points


def border_vertices(session: Session, rng: random.Random, n: int) -> list[Point]:
    """Vertices of stored cells that other cells share (corners and edge points)."""
    sample = session.scalars(
        sa.select(Territory.geom).where(Territory.name.like("Cell %")).order_by(Territory.id)
    ).all()
    vertices: list[Point] = []
    for geom in rng.sample(sample, min(len(sample), n)):
        coords = list(to_shape(geom).geoms[0].exterior.coords)[:-1]
        vertices.append(Point(rng.choice(coords)))
    return vertices


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("spatialite", "postgis"), required=True)
    parser.add_argument("--territories", type=int, default=10_000, help="cells (a square)")
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--recall", type=int, default=1_000, help="brute-force checks")
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument(
        "--passes", type=int, default=3, help="timed passes; the lowest p95 is shown"
    )
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--explain", action="store_true", help="print a query plan")
    args = parser.parse_args(argv)

    load_all()
    grid = make_grid(args.territories)
    name = (
        f"locate-{args.territories}"
        if args.backend == "spatialite"
        else f"waypoint_bench_locate_{args.territories}"
    )
    print(f"locate benchmark: {args.backend}, {args.territories:,} cell territories")
    print(f"machine: {machine()}")
    with bench_database(args.backend, name, keep=args.keep, fresh=args.fresh) as db:
        print(f"database: {software(db.engine)} ({db.name})")
        if not db.ready:
            with Stopwatch(f"{args.territories:,} cells + 4 region territories"):
                with Session(db.engine) as session:
                    build(session, grid, random.Random(SEED))
                    session.commit()
                with db.engine.begin() as conn:
                    conn.exec_driver_sql("ANALYZE")
            db.mark_ready()

        rng = random.Random(SEED + 1)
        with Session(db.engine) as session:
            total, vertices = session.execute(
                sa.select(sa.func.count(), sa.func.sum(Territory.vertex_count))
            ).one()
            print(f"  {total:,} territories, {vertices / total:.1f} vertices each on average")
            points = make_points(grid, args.warmup + args.queries, rng)
            borders = border_vertices(session, rng, len(points))
            for n, (kind, _, _) in enumerate(points):
                if kind == "border":
                    vertex = borders[n % len(borders)]
                    points[n] = (kind, vertex.y, vertex.x)
            warm, timed_points = points[: args.warmup], points[args.warmup :]
            if args.explain:
                _, lat, lon = timed_points[0]
                for line in explain(session, lat, lon):
                    print("    " + line)
            for _, lat, lon in warm:
                locate(session, lat=lat, lon=lon)
            session.expunge_all()

            started_load = load_average()

            def call(lat: float, lon: float) -> Callable[[], object]:
                return lambda: locate(session, lat=lat, lon=lon)

            timing, passes, results = time_passes(
                [call(lat, lon) for _, lat, lon in timed_points],
                after=session.expunge_all,
                passes=args.passes,
            )
            laps_by_kind = _by_kind(session, timed_points, args.passes)
            brute = BruteForce(session)
            checked = exact = 0
            for (kind, lat, lon), result in list(zip(timed_points, results, strict=True))[
                : args.recall
            ]:
                got = result.id if result is not None else None  # type: ignore[attr-defined]
                expected = brute(lat, lon)
                checked += 1
                exact += got == expected
                if got != expected:
                    print(f"  MISMATCH {kind} ({lat!r}, {lon!r}): {got} != {expected}")
            session.rollback()

    print()
    print(f"times in ms, one warm session; the pass (of {args.passes}) with the lowest p95")
    print(f"{started_load} before the timed runs, {load_average()} after")
    rows = [["all", *_row(timing), f"{exact}/{checked}", p95s(passes)]]
    for kind, (kind_timing, kind_passes) in laps_by_kind.items():
        rows.append([kind, *_row(kind_timing), "", p95s(kind_passes)])
    print_table(["points", "n", "p50", "p95", "p99", "q/s", "exact", "p95 of each pass"], rows)
    print(
        f"\ntarget p95 <= 0.5 ms: {timing.p95_ms:.3f} ms -> "
        f"{'met' if timing.p95_ms <= 0.5 else 'MISSED'}"
    )
    return 0 if exact == checked else 1


def _row(timing: Timing) -> list[object]:
    return [timing.n, timing.p50_ms, timing.p95_ms, timing.p99_ms, timing.per_s]


def _by_kind(
    session: Session, points: list[tuple[str, float, float]], passes: int
) -> dict[str, tuple[Timing, list[Timing]]]:
    """Timed passes per kind of point (inside, border, outside)."""
    out = {}
    for kind, _ in MIX:
        chosen = [(lat, lon) for k, lat, lon in points if k == kind]
        calls = [
            (lambda lat=lat, lon=lon: locate(session, lat=lat, lon=lon)) for lat, lon in chosen
        ]
        best, every, _ = time_passes(calls, after=session.expunge_all, passes=passes)
        out[kind] = (best, every)
    return out


def explain(session: Session, lat: float, lon: float) -> list[str]:
    """The plan of locate's statement."""
    dialect = session.get_bind().dialect.name
    stmt = (
        sa.select(Territory.id)
        .join(OrgNode, OrgNode.id == Territory.org_node_id)
        .where(
            spatial.in_bbox(dialect, Territory.__table__, (lon, lat, lon, lat)),
            spatial.covers_point(dialect, Territory.geom, lon, lat),
        )
        .order_by(OrgNode.depth.desc(), Territory.id)
        .limit(1)
    )
    compiled = stmt.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if dialect == "postgresql" else "EXPLAIN QUERY PLAN "
    return [" | ".join(map(str, r)) for r in session.execute(sa.text(prefix + str(compiled)))]


if __name__ == "__main__":
    sys.exit(main())
