"""Factories for territories and leads, and the two-region org most of their tests share.

The map is a slice of Shanghai in plain WGS-84 boxes (lon, lat):

    WEST 121.30-121.40 | EAST 121.40-121.50        latitudes 31.20-31.30
       team W (whole)  | team E1 121.40-121.45 | team E2 121.45-121.50

so E1 and E2 are siblings sharing the border lon 121.45, and WEST touches EAST (and E1) along
lon 121.40. Every region and team has one territory of the same shape as the box above.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from geoalchemy2.shape import from_shape
from sqlalchemy.orm import Session

from app import spatial
from app.leads import normalize
from app.leads.models import Lead
from app.org.models import OrgNode, Role, Staff
from app.org.scope import Principal, scope_roots
from app.territories import service as territories
from app.territories.models import Territory
from geo import polygons
from tests.factories import make_node, make_staff

_lead_numbers = itertools.count(1)

LAT_MIN, LAT_MAX = 31.20, 31.30
WEST_BOX = (121.30, LAT_MIN, 121.40, LAT_MAX)
EAST_BOX = (121.40, LAT_MIN, 121.50, LAT_MAX)
E1_BOX = (121.40, LAT_MIN, 121.45, LAT_MAX)
E2_BOX = (121.45, LAT_MIN, 121.50, LAT_MAX)
# (lat, lon) well inside each team's box
IN_E1, IN_E2, IN_W = (31.25, 121.42), (31.25, 121.48), (31.25, 121.35)
OUTSIDE = (31.10, 121.42)


def box(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> dict[str, Any]:
    """A GeoJSON Polygon for a lon/lat rectangle (counter-clockwise)."""
    ring = [
        [min_lon, min_lat],
        [max_lon, min_lat],
        [max_lon, max_lat],
        [min_lon, max_lat],
        [min_lon, min_lat],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def principal_of(session: Session, staff: Staff) -> Principal:
    """The principal a request by `staff` would carry (for service calls)."""
    return Principal(
        staff_id=staff.id,
        role=Role(staff.role),
        org_node_id=staff.org_node_id,
        roots=scope_roots(session, staff_id=staff.id, org_node_id=staff.org_node_id),
    )


def make_territory(
    session: Session,
    node: OrgNode,
    shape: dict[str, Any] | tuple[float, float, float, float],
    name: str | None = None,
) -> Territory:
    """Insert a territory (a GeoJSON geometry or a box) without placement checks; leads follow."""
    geometry = box(*shape) if isinstance(shape, tuple) else shape
    geom = polygons.parse_geometry(geometry)
    territory = Territory(
        org_node_id=node.id,
        name=name or f"{node.name} territory",
        geom=from_shape(geom, srid=spatial.SRID),
        vertex_count=polygons.vertex_count(geom),
        area_m2=polygons.area_m2(geom),
    )
    session.add(territory)
    session.flush()
    territories.reassign_leads(session, bounds=geom.bounds)
    return territory


def make_lead(
    session: Session,
    lat: float,
    lon: float,
    *,
    owner: Staff | None = None,
    name: str | None = None,
    phone: str | None = None,
    lead_id: str | None = None,
    **values: Any,
) -> Lead:
    """Insert a WGS-84 lead; territory and node come from its location as the service derives them.

    `owner` is set directly (no owner history): use `pool.claim` when the history matters.
    """
    number = next(_lead_numbers)
    name = name or f"Lead Company {number}"
    located = territories.locate(session, lat=lat, lon=lon)
    lead = Lead(
        id=lead_id or f"L{number:06d}",
        name=name,
        name_key=normalize.name_key(name),
        phone=phone,
        phone_key=normalize.phone_key(phone),
        lat=lat,
        lon=lon,
        raw_lat=lat,
        raw_lon=lon,
        datum="wgs84",
        geom=spatial.point(lon, lat),
        territory_id=located.id if located else None,
        org_node_id=located.org_node_id if located else None,
        owner_id=owner.id if owner else None,
        **values,
    )
    session.add(lead)
    session.flush()
    return lead


def set_pool_rules(session: Session, node: OrgNode, **overrides: int | str) -> None:
    """Give `node` its own pool-rule overrides (they apply to its subtree)."""
    node.settings = {**(node.settings or {}), "pool": overrides}
    session.flush()


@dataclass
class GeoOrg:
    """The shared two-region org: nodes, territories and people by short name."""

    nodes: dict[str, OrgNode] = field(default_factory=dict)
    territories: dict[str, Territory] = field(default_factory=dict)
    people: dict[str, Staff] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        for group in (self.people, self.nodes, self.territories):
            if key in group:
                return group[key]
        raise KeyError(key)


def make_geo_org(session: Session) -> GeoOrg:
    """Company → East (E1, E2) and West (W), each region and team with a territory.

    People: an admin and HR at the company, team leads on East, E1, E2 and W, two reps in E1
    and one in each other team.
    """
    org = GeoOrg()
    company = make_node(session, None, "Company", "company")
    east = make_node(session, company, "East", "region")
    west = make_node(session, company, "West", "region")
    e1, e2, w = (
        make_node(session, east, "E1"),
        make_node(session, east, "E2"),
        make_node(session, west, "W"),
    )
    org.nodes = {"company": company, "east": east, "west": west, "e1": e1, "e2": e2, "w": w}
    for key, node, shape in [
        ("t_east", east, EAST_BOX),
        ("t_west", west, WEST_BOX),
        ("t_e1", e1, E1_BOX),
        ("t_e2", e2, E2_BOX),
        ("t_w", w, WEST_BOX),
    ]:
        org.territories[key] = make_territory(session, node, shape, name=key)
    org.people = {
        "admin": make_staff(session, company, Role.ADMIN),
        "lead_east": make_staff(session, east, Role.TEAM_LEAD),
        "lead_e1": make_staff(session, e1, Role.TEAM_LEAD),
        "lead_e2": make_staff(session, e2, Role.TEAM_LEAD),
        "lead_w": make_staff(session, w, Role.TEAM_LEAD),
        "rep_e1": make_staff(session, e1, Role.REP),
        "rep_e1b": make_staff(session, e1, Role.REP),
        "rep_e2": make_staff(session, e2, Role.REP),
        "rep_w": make_staff(session, w, Role.REP),
        "hr": make_staff(session, company, Role.HR),
    }
    return org


def at(text: str) -> datetime:
    """An aware UTC datetime from 'YYYY-MM-DD HH:MM[:SS]'."""
    return datetime.fromisoformat(text + "+00:00")
