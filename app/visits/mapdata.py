"""The team-lead visit map: visits, each rep's day tracks and the territories in view, as GeoJSON.

Rules:
- Only what the principal may see: visits through `app.visits.service.visible` (reps: their
  own), territories of nodes in scope. An `org_node` outside the scope is NotFound.
- The window is half-open, [since, until), on `visited_at` (the server's time of record).
- Visits whose location was not collected have no place on a map and are left out.
- A track joins one rep's located visits of one local day (in the rep's time zone) in
  **fix-time order**, the order things happened rather than the order uploads arrived. With a
  bbox it still covers the rep's whole window, so a line never silently skips a place outside
  the view. A day with a single place draws no line (a LineString needs two positions).
- At most MAX_VISITS visits (the newest) and MAX_TERRITORIES territories are returned;
  `truncated` says when more matched.
- Coordinates are WGS-84 unless `datum` asks for GCJ-02 or BD-09 (tile sources in mainland
  China); the bbox is then read in that datum too.

Query plan: the bbox predicate is `app.spatial.in_bbox` next to the time range. On PostGIS,
`geom && envelope AND visited_at >= .. AND visited_at < ..` is what the btree_gist index
`ix_visits_geom_time (geom, visited_at)` serves. On SpatiaLite the R*Tree knows no time: for
a team's area it returns every visit ever made there (33 ms p50 at 1M visits), so the bbox is
tested on the plain lat/lon columns instead (the same points as `geom`) and the planner leads
with the (org_node_id | rep_id, visited_at) indexes (5 ms p50, `bench/visits.py`).
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

import numpy as np
import shapely
import sqlalchemy as sa
from geoalchemy2.shape import to_shape
from sqlalchemy.orm import Session

from app import spatial
from app.errors import NotFound
from app.leads.models import Lead
from app.org.models import OrgNode, Staff
from app.org.scope import Principal, node_in_scope, path_in_roots
from app.territories.models import Territory
from app.visits.models import Visit
from app.visits.service import visible
from geo import datums, polygons

BBox = tuple[float, float, float, float]
Project = Callable[[float, float], tuple[float, float]]

DEFAULT_WINDOW = timedelta(hours=24)
MAX_WINDOW = timedelta(days=31)
MAX_VISITS = 5_000
MAX_TERRITORIES = 500
PRECISION = 7  # decimal degrees: about 1 cm

FINAL_VERDICT = sa.func.coalesce(Visit.review_verdict, Visit.verdict)
_VISIT_COLUMNS = (
    Visit.id,
    Visit.rep_id,
    Visit.lead_id,
    Visit.lat,
    Visit.lon,
    Visit.fix_time,
    Visit.visited_at,
    Visit.checked_out_at,
    Visit.verdict,
    FINAL_VERDICT.label("final_verdict"),
    Visit.score,
    Visit.findings,
)


def visit_map(
    session: Session,
    principal: Principal,
    *,
    since: datetime,
    until: datetime,
    bbox: BBox | None = None,
    org_node_id: int | None = None,
    rep_id: int | None = None,
    datum: str = datums.Datum.WGS84.value,
) -> dict[str, Any]:
    """The map of [since, until) as a GeoJSON FeatureCollection (territories, tracks, visits).

    Raises NotFound when `org_node_id` is not a node in the principal's scope.
    """
    subtree = _subtree_nodes(session, principal, org_node_id)
    wgs_bbox = bbox_to_wgs84(bbox, datum) if bbox is not None else None
    dialect = session.get_bind().dialect.name
    filters = _visit_filters(principal, since=since, until=until, subtree=subtree, rep_id=rep_id)
    visits = _capped(session, visits_query(dialect, filters, bbox=wgs_bbox), MAX_VISITS)
    tracked = visits
    if wgs_bbox is not None and visits.rows:
        in_view = sorted({row.rep_id for row in visits.rows})
        tracked = _capped(
            session, visits_query(dialect, [*filters, Visit.rep_id.in_(in_view)]), MAX_VISITS
        )
    reps = _rep_names(session, {row.rep_id for row in [*visits.rows, *tracked.rows]})
    leads = _lead_names(session, {row.lead_id for row in visits.rows})
    territories = _capped(
        session,
        territories_query(dialect, principal, subtree=subtree, bbox=wgs_bbox),
        MAX_TERRITORIES,
    )
    project = projector(datum)
    features = [
        *(territory_feature(row, datum) for row in territories.rows),
        *track_features(tracked.rows, reps, project),
        *(visit_feature(row, reps, leads, project) for row in visits.rows),
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "datum": datum,
        "from": since.isoformat(),
        "to": until.isoformat(),
        "truncated": visits.truncated or tracked.truncated or territories.truncated,
    }


class _Capped:
    """At most `limit` rows of a query, and whether more matched."""

    def __init__(self, rows: list[sa.Row[Any]], limit: int) -> None:
        self.rows = rows[:limit]
        self.truncated = len(rows) > limit


def _capped(session: Session, stmt: sa.Select[Any], limit: int) -> _Capped:
    return _Capped(list(session.execute(stmt.limit(limit + 1))), limit)


def _subtree_nodes(
    session: Session, principal: Principal, org_node_id: int | None
) -> sa.Select[tuple[int]] | None:
    """Ids of the nodes under `org_node_id` (a subquery), or None for the whole scope."""
    if org_node_id is None:
        return None
    node = session.get(OrgNode, org_node_id)
    if node is None or not principal.sees_path(node.path):
        raise NotFound(f"Org node {org_node_id} not found.")
    return sa.select(OrgNode.id).where(path_in_roots(OrgNode.path, (node.path,)))


def _visit_filters(
    principal: Principal,
    *,
    since: datetime,
    until: datetime,
    subtree: sa.Select[tuple[int]] | None,
    rep_id: int | None,
) -> list[sa.ColumnElement[bool]]:
    filters = [
        visible(principal),
        Visit.geom.is_not(None),
        Visit.visited_at >= since,
        Visit.visited_at < until,
    ]
    if subtree is not None:
        filters.append(Visit.org_node_id.in_(subtree))
    if rep_id is not None:
        filters.append(Visit.rep_id == rep_id)
    return filters


def visits_query(
    dialect: str, filters: Sequence[sa.ColumnElement[bool]], *, bbox: BBox | None = None
) -> sa.Select[Any]:
    """Located visits matching `filters` (and meeting the WGS-84 bbox), newest first."""
    stmt = sa.select(*_VISIT_COLUMNS).where(*filters)
    if bbox is not None and dialect == "postgresql":
        stmt = stmt.where(spatial.in_bbox(dialect, Visit.__table__, bbox))
    elif bbox is not None:  # see the module notes: the time range leads on SQLite
        min_lon, min_lat, max_lon, max_lat = bbox
        stmt = stmt.where(Visit.lon.between(min_lon, max_lon), Visit.lat.between(min_lat, max_lat))
    return stmt.order_by(Visit.visited_at.desc(), Visit.id)


def territories_query(
    dialect: str,
    principal: Principal,
    *,
    subtree: sa.Select[tuple[int]] | None = None,
    bbox: BBox | None = None,
) -> sa.Select[Any]:
    """Territories of nodes in scope (under `subtree`) whose envelope meets the bbox."""
    stmt = sa.select(Territory.id, Territory.name, Territory.org_node_id, Territory.geom).where(
        node_in_scope(Territory.org_node_id, principal)
    )
    if subtree is not None:
        stmt = stmt.where(Territory.org_node_id.in_(subtree))
    if bbox is not None:
        stmt = stmt.where(spatial.in_bbox(dialect, Territory.__table__, bbox))
    return stmt.order_by(Territory.id)


def _rep_names(session: Session, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """{staff id: (name, time zone)}."""
    ids = sorted(ids)
    if not ids:
        return {}
    rows = session.execute(sa.select(Staff.id, Staff.name, Staff.timezone).where(Staff.id.in_(ids)))
    return {staff_id: (name, tz) for staff_id, name, tz in rows}


def _lead_names(session: Session, ids: Iterable[str]) -> dict[str, str]:
    ids = sorted(ids)
    if not ids:
        return {}
    rows = session.execute(sa.select(Lead.id, Lead.name).where(Lead.id.in_(ids)))
    return {lead_id: name for lead_id, name in rows}


# --- GeoJSON ------------------------------------------------------------------------------------


def projector(datum: str) -> Project:
    """(lat, lon) in WGS-84 → (lat, lon) in `datum`, rounded to PRECISION."""
    if datums.Datum(datum) is datums.Datum.WGS84:
        return lambda lat, lon: (round(lat, PRECISION), round(lon, PRECISION))

    def project(lat: float, lon: float) -> tuple[float, float]:
        out_lat, out_lon = datums.from_wgs84(lat, lon, datum)
        return round(out_lat, PRECISION), round(out_lon, PRECISION)

    return project


def bbox_to_wgs84(bbox: BBox, datum: str) -> BBox:
    """A bbox given in `datum` as the WGS-84 envelope of its converted corners."""
    if datums.Datum(datum) is datums.Datum.WGS84:
        return bbox
    min_lon, min_lat, max_lon, max_lat = bbox
    corners = [
        datums.to_wgs84(lat, lon, datum) for lat in (min_lat, max_lat) for lon in (min_lon, max_lon)
    ]
    lats, lons = [c[0] for c in corners], [c[1] for c in corners]
    return min(lons), min(lats), max(lons), max(lats)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def visit_feature(
    row: sa.Row[Any], reps: dict[int, tuple[str, str]], leads: dict[str, str], project: Project
) -> dict[str, Any]:
    """One visit as a Point feature (`kind: visit`)."""
    lat, lon = project(row.lat, row.lon)
    return {
        "type": "Feature",
        "id": row.id,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "kind": "visit",
            "id": row.id,
            "verdict": row.final_verdict,
            "auto_verdict": row.verdict,
            "score": row.score,
            "rep_id": row.rep_id,
            "rep_name": reps.get(row.rep_id, ("", ""))[0],
            "lead_id": row.lead_id,
            "lead_name": leads.get(row.lead_id),
            "visited_at": _iso(row.visited_at),
            "fix_time": _iso(row.fix_time),
            "checked_out_at": _iso(row.checked_out_at),
            "findings": [finding.get("code") for finding in row.findings or []],
        },
    }


@cache
def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _fix_order(row: sa.Row[Any]) -> tuple[datetime, datetime, str]:
    return (row.fix_time or row.visited_at, row.visited_at, row.id)


def track_features(
    rows: Iterable[sa.Row[Any]], reps: dict[int, tuple[str, str]], project: Project
) -> list[dict[str, Any]]:
    """One LineString per rep and local day (`kind: track`), positions in fix-time order."""
    days: dict[tuple[int, date], list[sa.Row[Any]]] = defaultdict(list)
    for row in sorted(rows, key=_fix_order):
        tz = reps.get(row.rep_id, ("", "UTC"))[1]
        days[(row.rep_id, _fix_order(row)[0].astimezone(_zone(tz)).date())].append(row)
    features = []
    for (rep_id, day), stops in sorted(days.items()):
        if len(stops) < 2:
            continue
        coordinates = [list(reversed(project(row.lat, row.lon))) for row in stops]
        features.append(
            {
                "type": "Feature",
                "id": f"track-{rep_id}-{day.isoformat()}",
                "geometry": {"type": "LineString", "coordinates": coordinates},
                "properties": {
                    "kind": "track",
                    "rep_id": rep_id,
                    "rep_name": reps.get(rep_id, ("", ""))[0],
                    "day": day.isoformat(),
                    "visit_ids": [row.id for row in stops],
                    "started_at": _iso(_fix_order(stops[0])[0]),
                    "ended_at": _iso(_fix_order(stops[-1])[0]),
                },
            }
        )
    return features


def _project_geometry(geom: shapely.Geometry, datum: str) -> shapely.Geometry:
    if datums.Datum(datum) is datums.Datum.WGS84:
        return geom

    def convert(xy: np.ndarray) -> np.ndarray:
        return np.array([datums.from_wgs84(lat, lon, datum)[::-1] for lon, lat in xy])

    return shapely.transform(geom, convert)


def territory_feature(row: sa.Row[Any], datum: str) -> dict[str, Any]:
    """One territory as a MultiPolygon feature (`kind: territory`)."""
    geometry = _project_geometry(to_shape(row.geom), datum)
    return {
        "type": "Feature",
        "id": f"territory-{row.id}",
        "geometry": polygons.to_geojson(geometry, precision=PRECISION),
        "properties": {
            "kind": "territory",
            "id": row.id,
            "name": row.name,
            "org_node_id": row.org_node_id,
        },
    }
