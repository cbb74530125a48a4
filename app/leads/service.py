"""Lead use cases: create (with duplicate detection), read, list, edit, stage changes.

Visibility: reps see the public pool inside their territories and their own leads; team
leads and admins see every lead whose node is in their subtree. A lead's territory and node
come from its location, never from input. Reps act only inside their own territories
(`out_of_territory`, 403); existence outside scope never leaks (404).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import spatial
from app.db import utcnow
from app.errors import Conflict, NotFound, Problem
from app.leads import normalize
from app.leads.models import Lead
from app.leads.pool import AlreadyClaimed, NotOwner, OutOfTerritory
from app.org.models import OrgNode, Role
from app.org.scope import Principal, node_in_scope
from app.territories import service as territories
from geo import datums
from geo.distance import haversine_m
from sync.params import in_values

DUPLICATE_RADIUS_M = 200.0
DUPLICATE_SIMILARITY = 0.8
REP_EDITABLE = frozenset({"name", "contact_person", "phone", "address", "stage"})


class DuplicateLead(Conflict):
    code = "lead.duplicate"
    title = "This looks like a lead that already exists; send force=true to create it anyway"


class LeadIdTaken(Conflict):
    code = "lead.id_taken"
    title = "A different lead already uses this id"


class OutsideTerritories(Problem):
    status = 422
    code = "lead.outside_territories"
    title = "The location is not inside any territory"


class InvalidLocation(Problem):
    status = 422
    code = "lead.invalid_location"
    title = "The coordinates cannot be used"


@dataclass(frozen=True)
class Location:
    """A coordinate as received plus its WGS-84 equivalent."""

    lat: float
    lon: float
    raw_lat: float
    raw_lon: float
    datum: str


def to_location(lat: float, lon: float, datum: str) -> Location:
    """Convert an incoming coordinate to WGS-84, keeping the raw value and datum."""
    try:
        wlat, wlon = datums.to_wgs84(lat, lon, datum)
    except ValueError as exc:
        raise InvalidLocation(str(exc)) from None
    return Location(wlat, wlon, lat, lon, str(datums.Datum(datum.lower())))


def visible(principal: Principal) -> sa.ColumnElement[bool]:
    """SQL predicate for the leads this principal may see."""
    in_scope = sa.and_(node_in_scope(Lead.org_node_id, principal), Lead.deleted_at.is_(None))
    if principal.role == Role.REP:
        return sa.and_(
            in_scope,
            sa.or_(
                Lead.owner_id == principal.staff_id,
                sa.and_(Lead.owner_id.is_(None), Lead.territory_id.is_not(None)),
            ),
        )
    return in_scope


def get_lead(
    session: Session, principal: Principal, *, lead_id: str, for_update: bool = False
) -> Lead:
    """One visible lead, or NotFound."""
    if "\x00" in lead_id:  # no id holds NUL, and PostgreSQL refuses it in a query
        raise NotFound(f"Lead {lead_id!r} not found.")
    stmt = sa.select(Lead).where(Lead.id == lead_id, visible(principal))
    lead = session.scalars(stmt.with_for_update() if for_update else stmt).first()
    if lead is None:
        raise NotFound(f"Lead {lead_id} not found.")
    return lead


def get_lead_to_claim(session: Session, principal: Principal, *, lead_id: str) -> Lead:
    """A visible lead to claim; AlreadyClaimed (409) for someone else's lead in my territories.

    A rep who loses a claim race no longer sees the lead (it is private now); they must
    still hear 409 `already_claimed`, not a 404 saying it never existed.
    """
    try:
        return get_lead(session, principal, lead_id=lead_id)
    except NotFound:
        taken = "\x00" not in lead_id and session.scalar(
            sa.select(Lead.id).where(
                Lead.id == lead_id,
                node_in_scope(Lead.org_node_id, principal),
                Lead.territory_id.is_not(None),
                Lead.owner_id.is_not(None),
                Lead.deleted_at.is_(None),
            )
        )
        if not taken:
            raise
        raise AlreadyClaimed(f"Lead {lead_id} was claimed by someone else first.") from None


def list_leads(
    session: Session,
    principal: Principal,
    *,
    owner: str | None = None,
    stage: str | None = None,
    org_node_id: int | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Lead], int]:
    """Visible leads, filtered: owner = 'me' | 'public' | a staff id; newest first."""
    stmt = sa.select(Lead).where(visible(principal))
    if owner == "me":
        stmt = stmt.where(Lead.owner_id == principal.staff_id)
    elif owner == "public":
        stmt = stmt.where(Lead.owner_id.is_(None))
    elif owner is not None:
        stmt = stmt.where(Lead.owner_id == int(owner))
    if stage is not None:
        stmt = stmt.where(Lead.stage == stage)
    if org_node_id is not None:
        stmt = stmt.where(Lead.org_node_id == org_node_id)
    if q:
        stmt = stmt.where(Lead.name_key.like(f"%{normalize.name_key(q)}%"))
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(Lead.created_at.desc(), Lead.id).limit(limit).offset(offset)
    )
    return list(rows), total


def _place(session: Session, principal: Principal, loc: Location) -> tuple[int, int]:
    """(territory id, node id) for a location the principal may work in."""
    territory = territories.locate(session, lat=loc.lat, lon=loc.lon)
    if territory is None:
        if principal.role == Role.REP:
            raise OutOfTerritory("The location is not inside your territories.")
        raise OutsideTerritories(f"({loc.lat:.6f}, {loc.lon:.6f}) is in no territory.")
    if not principal.sees_path(territory.path):
        raise OutOfTerritory("The location is outside your territories.")
    return territory.id, territory.org_node_id


def find_duplicates(
    session: Session, principal: Principal, *, name: str, phone: str | None, loc: Location
) -> tuple[list[dict[str, Any]], int]:
    """Leads with a similar normalized name within 200 m, or the same phone, anywhere.

    Returns (the matches the principal may see, how many more match out of their sight):
    a duplicate in another region still blocks creation, but its identity does not leak.
    """
    key, pkey = normalize.name_key(name), normalize.phone_key(phone)
    dialect = session.get_bind().dialect.name
    columns = (
        Lead.id,
        Lead.name,
        Lead.name_key,
        Lead.phone_key,
        Lead.lat,
        Lead.lon,
        sa.case((visible(principal), True), else_=False).label("seen"),
    )
    box = spatial.bbox_around(loc.lat, loc.lon, DUPLICATE_RADIUS_M)
    live = Lead.deleted_at.is_(None)
    rows = list(
        session.execute(
            sa.select(*columns).where(live, spatial.in_bbox(dialect, Lead.__table__, box))
        )
    )
    if pkey:
        rows += session.execute(sa.select(*columns).where(live, Lead.phone_key == pkey)).all()
    found: dict[str, dict[str, Any]] = {}
    hidden: set[str] = set()
    for lead_id, lead_name, lead_key, lead_phone, lat, lon, seen in rows:
        distance = haversine_m(loc.lat, loc.lon, lat, lon)
        same_phone = pkey is not None and lead_phone == pkey
        similar = (
            distance <= DUPLICATE_RADIUS_M
            and normalize.similarity(key, lead_key) >= DUPLICATE_SIMILARITY
        )
        if not (same_phone or similar):
            continue
        if not seen:
            hidden.add(lead_id)
            continue
        found[lead_id] = {
            "id": lead_id,
            "name": lead_name,
            "distance_m": round(distance, 1),
            "match": "phone" if same_phone else "name_nearby",
        }
    return sorted(found.values(), key=lambda d: d["distance_m"]), len(hidden)


def create_lead(
    session: Session, principal: Principal, *, lead_in: dict[str, Any], force: bool = False
) -> tuple[Lead, bool]:
    """Create a lead (idempotent by client id); returns (lead, created).

    Raises OutOfTerritory, OutsideTerritories, DuplicateLead (409 with candidates), LeadIdTaken.
    """
    existing = session.get(Lead, lead_in["id"])
    loc = to_location(lead_in["lat"], lead_in["lon"], lead_in.get("datum", "wgs84"))
    if existing is not None:
        if existing.created_by_id == principal.staff_id and existing.name == lead_in["name"]:
            return existing, False  # a retried create
        raise LeadIdTaken(f"Lead id {lead_in['id']!r} is taken.")
    territory_id, node_id = _place(session, principal, loc)
    if not force:
        duplicates, hidden = find_duplicates(
            session, principal, name=lead_in["name"], phone=lead_in.get("phone"), loc=loc
        )
        if duplicates or hidden:
            raise DuplicateLead(
                f"{len(duplicates) + hidden} similar lead(s) exist"
                + (f", {hidden} of them outside your scope." if hidden else "."),
                candidates=duplicates,
                hidden_matches=hidden,
            )
    now = utcnow()
    lead = Lead(
        id=lead_in["id"],
        name=lead_in["name"],
        name_key=normalize.name_key(lead_in["name"]),
        contact_person=lead_in.get("contact_person"),
        phone=lead_in.get("phone"),
        phone_key=normalize.phone_key(lead_in.get("phone")),
        address=lead_in.get("address"),
        lat=loc.lat,
        lon=loc.lon,
        raw_lat=loc.raw_lat,
        raw_lon=loc.raw_lon,
        datum=loc.datum,
        geom=spatial.point(loc.lon, loc.lat),
        territory_id=territory_id,
        org_node_id=node_id,
        stage=lead_in.get("stage", "new"),
        created_by_id=principal.staff_id,
        created_at=now,
        updated_at=now,
    )
    session.add(lead)
    session.flush()
    return lead, True


def update_lead(
    session: Session, principal: Principal, *, lead_id: str, lead_in: dict[str, Any]
) -> Lead:
    """Edit a lead: reps only their own leads and only rep-editable fields; a new location
    re-derives territory and node (and must stay inside the editor's territories)."""
    lead = get_lead(session, principal, lead_id=lead_id)
    if principal.role == Role.REP:
        if lead.owner_id != principal.staff_id:
            raise NotOwner("Claim the lead before editing it.")
        require_in_territory(session, principal, lead)
        if lead_in.keys() - REP_EDITABLE - {"lat", "lon", "datum"}:
            raise NotOwner("Reps may edit name, contact, phone, address, stage and location.")
    if {"lat", "lon"} & lead_in.keys():
        loc = to_location(lead_in["lat"], lead_in["lon"], lead_in.get("datum", "wgs84"))
        lead.territory_id, lead.org_node_id = _place(session, principal, loc)
        lead.lat, lead.lon, lead.raw_lat, lead.raw_lon, lead.datum = (
            loc.lat,
            loc.lon,
            loc.raw_lat,
            loc.raw_lon,
            loc.datum,
        )
        lead.geom = spatial.point(loc.lon, loc.lat)
    for field in ("name", "contact_person", "phone", "address", "stage"):
        if field in lead_in:
            setattr(lead, field, lead_in[field])
    lead.name_key = normalize.name_key(lead.name)
    lead.phone_key = normalize.phone_key(lead.phone)
    lead.updated_at = utcnow()
    session.flush()
    return lead


def require_in_territory(session: Session, principal: Principal, lead: Lead) -> None:
    """Reps (and everyone) act only on leads inside a territory of their subtree."""
    if outside_territory(session, principal, [lead]):
        raise OutOfTerritory(f"Lead {lead.id} is outside your territories.")


def outside_territory(session: Session, principal: Principal, leads: Iterable[Lead]) -> set[str]:
    """Ids of the leads that are not inside a territory of the principal's subtree."""
    leads = list(leads)
    nodes = {lead.org_node_id for lead in leads if lead.org_node_id is not None}
    paths = dict(
        session.execute(sa.select(OrgNode.id, OrgNode.path).where(OrgNode.id.in_(nodes))).all()
    )
    return {
        lead.id
        for lead in leads
        if lead.territory_id is None
        or not ((path := paths.get(lead.org_node_id)) and principal.sees_path(path))
    }


def visible_leads(
    session: Session, principal: Principal, lead_ids: Iterable[str]
) -> dict[str, Lead]:
    """The visible leads among `lead_ids`, by id (unknown and invisible ones are missing)."""
    wanted = sorted({i for i in lead_ids if "\x00" not in i})
    dialect = session.get_bind().dialect.name
    stmt = sa.select(Lead).where(in_values(dialect, Lead.id, "ids"), visible(principal))
    found: dict[str, Lead] = {}
    for start in range(0, len(wanted), 1_000):
        found.update(
            (lead.id, lead)
            for lead in session.scalars(stmt, {"ids": wanted[start : start + 1_000]})
        )
    return found


def history(session: Session, principal: Principal, *, lead_id: str) -> list[Any]:
    """Owner history of a visible lead, oldest first."""
    from app.leads.models import LeadOwnerEvent

    lead = get_lead(session, principal, lead_id=lead_id)
    stmt = sa.select(LeadOwnerEvent).where(LeadOwnerEvent.lead_id == lead.id)
    return list(session.scalars(stmt.order_by(LeadOwnerEvent.at, LeadOwnerEvent.id)))
