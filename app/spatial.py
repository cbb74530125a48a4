"""Dialect differences, one function per operation (pygeoapi's overrides of one generic query).

PostGIS and SpatiaLite agree on most geometry functions; they differ in how a bounding-box
search reaches the spatial index and in the DDL bookkeeping SpatiaLite needs.
"""

from __future__ import annotations

import math
import struct
from typing import Any

import sqlalchemy as sa
from geoalchemy2.elements import WKBElement

from geo.distance import EARTH_RADIUS_M

SRID = 4326


_WKB_POINT = struct.Struct("<BIdd")  # little-endian byte order, type 1 (Point), x, y


def point(lon: float, lat: float) -> Any:
    """A WGS-84 point value to store in a geometry column (the WKB shapely would write,
    packed directly: a bulk check-in makes a thousand of them)."""
    return WKBElement(_WKB_POINT.pack(1, 1, lon, lat), srid=SRID)


def bbox_around(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat) containing every point within radius_m.

    Longitude is widened by the cosine of the latitude farthest from the equator inside the
    circle; near the poles or across the antimeridian the box spans all longitudes.
    """
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    far_lat = min(90.0, abs(lat) + dlat)
    if far_lat >= 89.9:
        return -180.0, max(-90.0, lat - dlat), 180.0, min(90.0, lat + dlat)
    dlon = dlat / math.cos(math.radians(far_lat))
    if lon - dlon < -180 or lon + dlon > 180:
        return -180.0, max(-90.0, lat - dlat), 180.0, min(90.0, lat + dlat)
    return lon - dlon, max(-90.0, lat - dlat), lon + dlon, min(90.0, lat + dlat)


Bound = float | sa.BindParameter[float]


def in_bbox(
    dialect: str, table: sa.Table, bbox: tuple[Bound, Bound, Bound, Bound]
) -> sa.ColumnElement[bool]:
    """Predicate: the row's geometry envelope meets the box, through the spatial index.

    The bounds are numbers, or bind parameters for a statement built once and run many times.
    """
    min_lon, min_lat, max_lon, max_lat = bbox
    if dialect == "postgresql":
        envelope = sa.func.ST_MakeEnvelope(min_lon, min_lat, max_lon, max_lat, SRID)
        return table.c.geom.op("&&")(envelope)
    # SpatiaLite: the R*Tree shadow table idx_<table>_geom, keyed by rowid.
    rtree = sa.table(
        f"idx_{table.name}_geom",
        sa.column("pkid"),
        sa.column("xmin"),
        sa.column("xmax"),
        sa.column("ymin"),
        sa.column("ymax"),
    )
    hits = sa.select(rtree.c.pkid).where(
        rtree.c.xmax >= min_lon,
        rtree.c.xmin <= max_lon,
        rtree.c.ymax >= min_lat,
        rtree.c.ymin <= max_lat,
    )
    return sa.literal_column(f"{table.name}.rowid").in_(hits)


def covers_point(dialect: str, geom: Any, lon: Bound, lat: Bound) -> sa.ColumnElement[bool]:
    """Predicate: the geometry covers the point (boundary included).

    The point is made from the two doubles (numbers or bind parameters), so it is exactly the
    point given, and a statement using it can be built once and run for any point.
    """
    if dialect == "postgresql":
        return sa.func.ST_Covers(geom, sa.func.ST_SetSRID(sa.func.ST_MakePoint(lon, lat), SRID))
    return sa.func.ST_Covers(geom, sa.func.MakePoint(lon, lat, SRID)) == 1


def drop_spatial_table(op: Any, table: str, geometry_columns: tuple[str, ...]) -> None:
    """Drop a table with geometry columns, cleaning SpatiaLite's metadata and R*Tree first."""
    if op.get_bind().dialect.name == "sqlite":
        for column in geometry_columns:
            op.execute(f"SELECT DisableSpatialIndex('{table}', '{column}')")
            op.execute(f"DROP TABLE IF EXISTS idx_{table}_{column}")
            op.execute(f"SELECT DiscardGeometryColumn('{table}', '{column}')")
    op.drop_table(table)
