"""A minimal territory + public lead for tests that only need one lead row."""

from __future__ import annotations

import itertools

from sqlalchemy.orm import Session

from app.leads.models import Lead
from app.spatial import point
from app.territories.models import Territory
from tests.factories import make_node

_ids = itertools.count(1)


def make_public_lead(session: Session, *, lat: float = 31.23, lon: float = 121.47) -> str:
    """Insert a company node, a territory around the point and a public lead; its id."""
    from geoalchemy2.shape import from_shape
    from shapely.geometry import box

    node = make_node(session, None, "Co", "company")
    geom = box(lon - 0.05, lat - 0.05, lon + 0.05, lat + 0.05)
    from shapely.geometry import MultiPolygon

    territory = Territory(
        org_node_id=node.id,
        name="T",
        geom=from_shape(MultiPolygon([geom]), srid=4326),
        vertex_count=4,
        area_m2=1.0,
    )
    session.add(territory)
    session.flush()
    lead_id = f"lead-{next(_ids)}"
    session.add(
        Lead(
            id=lead_id,
            name="Shop",
            name_key="shop",
            lat=lat,
            lon=lon,
            raw_lat=lat,
            raw_lon=lon,
            datum="wgs84",
            geom=point(lon, lat),
            territory_id=territory.id,
            org_node_id=node.id,
            stage="new",
        )
    )
    session.flush()
    return lead_id
