"""Territory use cases: create, edit, delete, import, locate; leads follow polygon edits.

Rules:
- Admins manage territories anywhere in their scope, team leads inside their subtree.
- A polygon must be valid (or repaired on request), within the vertex cap, must not overlap
  a territory of an unrelated node by more than the tolerance, and must lie inside the
  territories of the nearest ancestor that has any.
- A point belongs to exactly one territory: the one of the deepest node covering it
  (border points included), ties broken by the lowest territory id.
- Every polygon edit re-derives the territory and org node of each affected lead in the
  same transaction and reports how many moved.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import shapely
import sqlalchemy as sa
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import MultiPolygon, Point
from sqlalchemy.orm import Session

from app import spatial
from app.errors import Conflict, Forbidden, NotFound, Problem
from app.leads.models import Lead
from app.org.models import OrgNode, Role
from app.org.scope import Principal, node_in_scope
from app.schemas import MAX_ID
from app.territories.models import Territory
from geo import polygons

MANAGERS = (Role.ADMIN, Role.TEAM_LEAD)


class InvalidTerritory(Problem):
    status = 422
    code = "territory.invalid"
    title = "The territory polygon is not acceptable"


class TerritoryOverlap(Conflict):
    code = "territory.overlap"
    title = "The territory overlaps a territory of another team"


class OutsideParent(Problem):
    status = 422
    code = "territory.outside_parent"
    title = "The territory extends outside its parent node's territories"


class NodeNotInScope(Forbidden):
    code = "territory.node_out_of_scope"
    title = "The org node does not exist or is outside your scope"


@dataclass(frozen=True)
class TerritoryPolicy:
    """Validation limits (configuration)."""

    max_vertices: int = 10_000
    overlap_tolerance_m2: float = 1_000.0
    outside_parent_tolerance_m2: float = 1_000.0


@dataclass(frozen=True)
class Reassignment:
    """How many leads changed territory or node after an edit."""

    leads_moved: int
    leads_orphaned: int


def _require_manager(principal: Principal) -> None:
    if principal.role not in MANAGERS:
        raise Forbidden("Only admins and team leads manage territories.")


def _node_in_scope(session: Session, principal: Principal, node_id: int) -> OrgNode:
    node = session.get(OrgNode, node_id)
    if node is None or not principal.sees_path(node.path):
        raise NodeNotInScope(f"Org node {node_id} is not in your scope.")
    return node


def parse(geojson: dict[str, Any], *, repair: bool, policy: TerritoryPolicy) -> MultiPolygon:
    """Validate GeoJSON into a MultiPolygon, or raise InvalidTerritory with the reason."""
    try:
        return polygons.parse_geometry(
            geojson, repair=repair, limits=polygons.Limits(max_vertices=policy.max_vertices)
        )
    except polygons.PolygonError as exc:
        raise InvalidTerritory(exc.message, reason_code=exc.code, **exc.data) from None


def list_territories(
    session: Session, principal: Principal, *, org_node_id: int | None = None
) -> list[Territory]:
    """Territories of nodes in scope (optionally one node), by id."""
    stmt = sa.select(Territory).where(node_in_scope(Territory.org_node_id, principal))
    if org_node_id is not None:
        stmt = stmt.where(Territory.org_node_id == org_node_id)
    return list(session.scalars(stmt.order_by(Territory.id)))


def get_territory(session: Session, principal: Principal, *, territory_id: int) -> Territory:
    """One territory in scope; NotFound otherwise."""
    territory = session.scalars(
        sa.select(Territory).where(
            Territory.id == territory_id, node_in_scope(Territory.org_node_id, principal)
        )
    ).first()
    if territory is None:
        raise NotFound(f"Territory {territory_id} not found.")
    return territory


def _check_overlaps(
    session: Session,
    principal: Principal,
    node: OrgNode,
    geom: MultiPolygon,
    policy: TerritoryPolicy,
    exclude: int | None,
) -> None:
    dialect = session.get_bind().dialect.name
    stmt = (
        sa.select(Territory, OrgNode.path)
        .join(OrgNode, OrgNode.id == Territory.org_node_id)
        .where(spatial.in_bbox(dialect, Territory.__table__, geom.bounds))
    )
    if exclude is not None:
        stmt = stmt.where(Territory.id != exclude)
    for other, other_path in session.execute(stmt):
        related = other_path.startswith(node.path) or node.path.startswith(other_path)
        if related:
            continue
        overlap = polygons.overlap_m2(geom, to_shape(other.geom))
        if overlap <= policy.overlap_tolerance_m2:
            continue
        if not principal.sees_path(other_path):  # another subtree or company: say no more
            raise TerritoryOverlap(
                f"Overlaps a territory outside your scope by {overlap:,.0f} m².",
                overlap_m2=round(overlap, 1),
            )
        raise TerritoryOverlap(
            f"Overlaps territory {other.id} ({other.name!r}) by {overlap:,.0f} m².",
            overlap_m2=round(overlap, 1),
            other_territory_id=other.id,
            other_org_node_id=other.org_node_id,
        )


def _check_inside_parent(
    session: Session, node: OrgNode, geom: MultiPolygon, policy: TerritoryPolicy
) -> None:
    ancestor_ids = [int(part) for part in node.path.strip("/").split("/")[:-1]]
    if not ancestor_ids:
        return
    rows = session.execute(
        sa.select(Territory.geom, OrgNode.depth)
        .join(OrgNode, OrgNode.id == Territory.org_node_id)
        .where(Territory.org_node_id.in_(ancestor_ids))
    ).all()
    if not rows:
        return
    deepest = max(depth for _, depth in rows)
    parent_union = shapely.union_all([to_shape(g) for g, depth in rows if depth == deepest])
    uncovered = polygons.uncovered_m2(geom, parent_union)
    if uncovered > policy.outside_parent_tolerance_m2:
        raise OutsideParent(
            f"{uncovered:,.0f} m² lie outside the territories of the parent node.",
            uncovered_m2=round(uncovered, 1),
        )


def _validate_placement(
    session: Session,
    principal: Principal,
    node: OrgNode,
    geom: MultiPolygon,
    policy: TerritoryPolicy,
    exclude: int | None,
) -> None:
    _check_overlaps(session, principal, node, geom, policy, exclude)
    _check_inside_parent(session, node, geom, policy)


def create_territory(
    session: Session,
    principal: Principal,
    *,
    territory_in: dict[str, Any],
    repair: bool,
    policy: TerritoryPolicy,
) -> tuple[Territory, Reassignment]:
    """Add a territory to a node in scope and claim the leads it now covers."""
    _require_manager(principal)
    node = _node_in_scope(session, principal, territory_in["org_node_id"])
    geom = parse(territory_in["geometry"], repair=repair, policy=policy)
    _validate_placement(session, principal, node, geom, policy, exclude=None)
    territory = Territory(
        org_node_id=node.id,
        name=territory_in["name"],
        geom=from_shape(geom, srid=spatial.SRID),
        vertex_count=polygons.vertex_count(geom),
        area_m2=polygons.area_m2(geom),
        created_by_id=principal.staff_id or None,  # the CLI's system principal is no one (id 0)
    )
    session.add(territory)
    session.flush()
    return territory, reassign_leads(session, bounds=geom.bounds)


def update_territory(
    session: Session,
    principal: Principal,
    *,
    territory_id: int,
    territory_in: dict[str, Any],
    repair: bool,
    policy: TerritoryPolicy,
) -> tuple[Territory, Reassignment]:
    """Rename, re-shape or re-assign a territory; leads follow in the same transaction."""
    _require_manager(principal)
    territory = get_territory(session, principal, territory_id=territory_id)
    old_bounds = to_shape(territory.geom).bounds
    node = _node_in_scope(
        session, principal, territory_in.get("org_node_id", territory.org_node_id)
    )
    geom = (
        parse(territory_in["geometry"], repair=repair, policy=policy)
        if "geometry" in territory_in
        else to_shape(territory.geom)
    )
    _validate_placement(session, principal, node, geom, policy, exclude=territory.id)
    territory.name = territory_in.get("name", territory.name)
    territory.org_node_id = node.id
    territory.geom = from_shape(geom, srid=spatial.SRID)
    territory.vertex_count = polygons.vertex_count(geom)
    territory.area_m2 = polygons.area_m2(geom)
    session.flush()
    return territory, reassign_leads(session, bounds=_union_bounds(old_bounds, geom.bounds))


def delete_territory(session: Session, principal: Principal, *, territory_id: int) -> Reassignment:
    """Remove a territory; its leads fall to the next covering territory or none."""
    _require_manager(principal)
    territory = get_territory(session, principal, territory_id=territory_id)
    moved = reassign_leads(
        session, bounds=to_shape(territory.geom).bounds, without_territory=territory.id
    )
    session.delete(territory)
    session.flush()
    return moved


def _union_bounds(a: tuple[float, ...], b: tuple[float, ...]) -> tuple[float, float, float, float]:
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


@functools.cache
def _locate_statement(dialect: str) -> sa.Select[Any]:
    """Built once per dialect: constructing the statement cost more than running it."""
    lon, lat = sa.bindparam("lon", type_=sa.Float), sa.bindparam("lat", type_=sa.Float)
    return (
        sa.select(Territory.id, Territory.name, Territory.org_node_id, OrgNode.path.label("path"))
        .join(OrgNode, OrgNode.id == Territory.org_node_id)
        .where(
            spatial.in_bbox(dialect, Territory.__table__, (lon, lat, lon, lat)),
            spatial.covers_point(dialect, Territory.geom, lon, lat),
        )
        .order_by(OrgNode.depth.desc(), Territory.id)
        .limit(1)
    )


def locate(session: Session, *, lat: float, lon: float) -> sa.Row[Any] | None:
    """The one territory a WGS-84 point belongs to, or None.

    A row of its id, name, org_node_id and that node's path (for the scope check): the
    polygon itself is not loaded, and no ORM object is built.
    """
    statement = _locate_statement(session.get_bind().dialect.name)
    return session.execute(statement, {"lat": lat, "lon": lon}).first()


def reassign_leads(
    session: Session,
    *,
    bounds: tuple[float, float, float, float],
    without_territory: int | None = None,
) -> Reassignment:
    """Re-derive territory and node for every lead inside `bounds`, in Python with GEOS.

    The same rule as `locate` (deepest node, then lowest id, border included), applied to
    all leads of the area with one query for territories and one for leads.
    """
    dialect = session.get_bind().dialect.name
    areas = session.execute(
        sa.select(Territory.id, Territory.org_node_id, Territory.geom, OrgNode.depth)
        .join(OrgNode, OrgNode.id == Territory.org_node_id)
        .where(
            spatial.in_bbox(dialect, Territory.__table__, bounds),
            Territory.id != (without_territory or -1),
        )
        .order_by(OrgNode.depth.desc(), Territory.id)
    ).all()
    prepared = [(tid, node_id, to_shape(g)) for tid, node_id, g, _ in areas]
    for _, _, shape in prepared:
        shapely.prepare(shape)
    leads = session.execute(
        sa.select(Lead.id, Lead.lat, Lead.lon, Lead.territory_id, Lead.org_node_id).where(
            spatial.in_bbox(dialect, Lead.__table__, bounds)
        )
    ).all()
    moved = orphaned = 0
    for lead_id, lat, lon, territory_id, node_id in leads:
        pt = Point(lon, lat)
        hit = next(((tid, nid) for tid, nid, shape in prepared if shape.covers(pt)), None)
        new_territory, new_node = hit if hit else (None, node_id)
        if (new_territory, new_node) != (territory_id, node_id):
            session.execute(
                sa.update(Lead)
                .where(Lead.id == lead_id)
                .values(territory_id=new_territory, org_node_id=new_node)
            )
            moved += 1
            orphaned += hit is None
    return Reassignment(leads_moved=moved, leads_orphaned=orphaned)


def import_features(
    session: Session,
    principal: Principal,
    *,
    doc: dict[str, Any],
    repair: bool,
    policy: TerritoryPolicy,
    progress: Any = None,
) -> tuple[list[int], int]:
    """Create one territory per Feature ({name, org_node_id} properties), all or nothing.

    A Feature whose node already has a territory of that name and shape is skipped, so a
    file imported twice, or by two imports at once (they take turns on a lock), leaves what
    one import leaves. Errors carry `feature_index` so the file can be fixed; returns (ids
    created, leads moved).
    """
    try:
        features = polygons.feature_collection_features(doc)
    except polygons.PolygonError as exc:
        raise InvalidTerritory(exc.message, reason_code=exc.code, **exc.data) from None
    if session.get_bind().dialect.name == "postgresql":  # SQLite: one writer at a time
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(IMPORT_LOCK_KEY)))
    ids: list[int] = []
    moved = 0
    for index, feature in enumerate(features):
        props = feature.get("properties") or {}
        name, node_id = props.get("name"), props.get("org_node_id")
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise InvalidTerritory(
                f"Feature {index}: properties.name (1-200 characters) is required.",
                feature_index=index,
            )
        if not isinstance(node_id, int) or isinstance(node_id, bool) or not 0 < node_id <= MAX_ID:
            raise InvalidTerritory(
                f"Feature {index}: properties.org_node_id (integer) is required.",
                feature_index=index,
            )
        territory_in = {
            "org_node_id": node_id,
            "name": name.strip(),
            "geometry": feature["geometry"],
        }
        try:
            if not _already_imported(session, principal, territory_in, repair, policy):
                territory, reassigned = create_territory(
                    session, principal, territory_in=territory_in, repair=repair, policy=policy
                )
                ids.append(territory.id)
                moved += reassigned.leads_moved
        except Problem as exc:
            exc.extra["feature_index"] = index
            exc.detail = f"Feature {index}: {exc.detail}"
            raise
        if progress is not None:
            progress(1)
    return ids, moved


# pg_advisory_xact_lock key held by a territory import until its transaction ends.
IMPORT_LOCK_KEY = 0x5750_5449  # "WPTI"


def _already_imported(
    session: Session,
    principal: Principal,
    territory_in: dict[str, Any],
    repair: bool,
    policy: TerritoryPolicy,
) -> bool:
    """True when the node (in scope) has a territory of this name with the same shape."""
    _require_manager(principal)
    node = _node_in_scope(session, principal, territory_in["org_node_id"])
    same_name = session.scalars(
        sa.select(Territory.geom).where(
            Territory.org_node_id == node.id, Territory.name == territory_in["name"]
        )
    ).all()
    if not same_name:
        return False
    geom = parse(territory_in["geometry"], repair=repair, policy=policy)
    return any(to_shape(stored).equals(geom) for stored in same_name)


def export_features(session: Session, principal: Principal) -> dict[str, Any]:
    """The territories in scope as a GeoJSON FeatureCollection."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": t.id,
                "geometry": polygons.to_geojson(to_shape(t.geom)),
                "properties": {"name": t.name, "org_node_id": t.org_node_id, "area_m2": t.area_m2},
            }
            for t in list_territories(session, principal)
        ],
    }
