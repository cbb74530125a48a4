"""Nearby public-pool leads: exact nearest-first search by expanding rings.

Each ring asks the spatial index for the public leads in a bounding box that contains the
circle, then measures exact great-circle distances. Once `limit` leads lie within the ring
radius, no lead outside the ring can be nearer, so the answer equals a brute-force
haversine scan (same set, same order; ties broken by id). Rings double from 625 m to the
requested radius, so dense cities stop early and sparse areas pay a few more index probes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, defer

from app import spatial
from app.db import utcnow
from app.leads import pool, rules
from app.leads.models import Lead
from app.org.models import Role, Staff
from app.org.scope import Principal, visible_node_ids
from geo.distance import haversine_m

FIRST_RING_M = 625.0


@dataclass(frozen=True)
class NearbyLead:
    lead: Lead
    distance_m: float
    claimable: bool
    reason: str | None
    message: str | None


_BBOX = ("min_lon", "min_lat", "max_lon", "max_lat")


@functools.cache
def _ring_statement(dialect: str) -> sa.Select[tuple[str, float, float]]:
    """The public leads of some nodes in a box, built once per dialect: building the
    expression anew for every ring cost more than running it (bench/nearby.py)."""
    return sa.select(Lead.id, Lead.lat, Lead.lon).where(
        Lead.owner_id.is_(None),
        Lead.territory_id.is_not(None),
        Lead.deleted_at.is_(None),
        Lead.org_node_id.in_(sa.bindparam("node_ids", expanding=True)),
        spatial.in_bbox(
            dialect, Lead.__table__, tuple(sa.bindparam(k, type_=sa.Float) for k in _BBOX)
        ),
    )


@functools.cache
def _leads_statement() -> sa.Select[tuple[Lead]]:
    """The hits as Lead rows (the point geometry stays unloaded: lat/lon carry it)."""
    return (
        sa.select(Lead)
        .options(defer(Lead.geom))
        .where(Lead.id.in_(sa.bindparam("ids", expanding=True)))
    )


def nearest_public(
    session: Session, *, node_ids: list[int], lat: float, lon: float, radius_m: float, limit: int
) -> list[tuple[float, str]]:
    """(distance, id) of the `limit` nearest public leads of these nodes within radius_m."""
    if not node_ids:
        return []
    stmt = _ring_statement(session.get_bind().dialect.name)
    ring = min(FIRST_RING_M, radius_m)
    while True:
        bbox = dict(zip(_BBOX, spatial.bbox_around(lat, lon, ring), strict=True))
        hits = sorted(
            (d, lead_id)
            for lead_id, lead_lat, lead_lon in session.execute(stmt, {"node_ids": node_ids, **bbox})
            if (d := haversine_m(lat, lon, lead_lat, lead_lon)) <= ring
        )
        if len(hits) >= limit or ring >= radius_m:
            return hits[:limit]
        ring = min(ring * 2, radius_m)


def nearby(
    session: Session,
    principal: Principal,
    *,
    lat: float,
    lon: float,
    radius_m: float,
    limit: int,
    now: datetime | None = None,
) -> list[NearbyLead]:
    """Public leads in the principal's territories near a WGS-84 point, nearest first,
    each with whether the principal may claim it now and, if not, why."""
    now = now or utcnow()
    node_ids = sorted(visible_node_ids(session, principal))
    hits = nearest_public(
        session, node_ids=node_ids, lat=lat, lon=lon, radius_m=radius_m, limit=limit
    )
    if not hits:
        return []
    leads = {
        lead.id: lead for lead in session.scalars(_leads_statement(), {"ids": [i for _, i in hits]})
    }
    rep = session.get(Staff, principal.staff_id) if principal.role == Role.REP else None
    held = today = 0
    losses: dict[str, datetime] = {}
    if rep is not None:
        held, today, losses = pool.claim_context(session, rep=rep, lead_ids=leads, now=now)
    by_node: dict[int | None, rules.PoolRules] = {}
    result = []
    for distance, lead_id in hits:
        lead = leads[lead_id]
        if rep is None:
            refusal: tuple[str, str] | None = ("not_a_rep", "Only reps claim leads.")
        else:
            if lead.org_node_id not in by_node:
                by_node[lead.org_node_id] = pool.rules_for_node(session, lead.org_node_id)
            ctx = rules.ClaimContext(now, held, today, lead.released_at, losses.get(lead.id))
            refusal = rules.claim_refusal(by_node[lead.org_node_id], ctx)
        result.append(
            NearbyLead(
                lead=lead,
                distance_m=round(distance, 1),
                claimable=refusal is None,
                reason=refusal[0] if refusal else None,
                message=refusal[1] if refusal else None,
            )
        )
    return result
