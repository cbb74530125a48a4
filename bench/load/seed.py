"""The load test's company: territories, leads, reps ready for visits, tokens minted directly.

A company of 2 regions x `teams` teams; every team has a 0.05-degree territory in Shanghai, a
team lead and `reps` reps, all working around the clock (UTC) with a standing location
consent; `leads` leads per team, a fifth owned by the team's reps. Every person gets a bound
device and a live session whose access token is signed here with the run's key set, so the
load never pays argon2 (logins are a separate, rate-limited path; the scale-out check logs
in over HTTP once). One extra rep, the probe, is left for the scale-out checks.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from geoalchemy2.shape import from_shape
from shapely.geometry import box, mapping
from sqlalchemy.orm import Session

from app import spatial
from app.auth.models import AuthSession, Device
from app.auth.passwords import hash_password
from app.auth.tokens import KeySet, access_claims
from app.db import utcnow
from app.leads import normalize
from app.leads.models import Lead
from app.org.models import LocationConsent, NodeManager, Role, Staff
from app.org.service import insert_node
from app.territories.models import Territory
from geo import polygons

ALWAYS = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
WEST, SOUTH, CELL = 121.30, 31.10, 0.05
PASSWORD = "load-test-password-1234"  # noqa: S105 (the throwaway accounts' password)
TOKEN_TTL_S = 3600


@dataclass
class Person:
    staff_id: int
    employee_number: str
    token: str
    team: int


@dataclass
class Team:
    index: int
    node_id: int
    bbox: tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat
    public: list[tuple[str, float, float]] = field(default_factory=list)
    owned: dict[int, list[tuple[str, float, float]]] = field(default_factory=dict)

    @property
    def centre(self) -> tuple[float, float]:
        """(lat, lon) of the middle of the territory."""
        return (self.bbox[1] + self.bbox[3]) / 2, (self.bbox[0] + self.bbox[2]) / 2


@dataclass
class Population:
    teams: list[Team]
    reps: list[Person]
    leads: list[Person]  # team leads
    probe: Person  # a rep kept out of the load, for the scale-out checks


def _person(
    session: Session, node_id: int, role: Role, number: int, digest: str
) -> tuple[Staff, Device]:
    staff = Staff(
        employee_number=f"LD{number:05d}",
        name=f"Load Person {number}",
        org_node_id=node_id,
        role=role.value,
        timezone="UTC",
        working_hours=ALWAYS,
        password_hash=digest,
    )
    session.add(staff)
    session.flush()
    session.add(LocationConsent(staff_id=staff.id, document_version="1", recorded_by_id=staff.id))
    device = Device(
        staff_id=staff.id,
        device_id=f"load-{'web' if role == Role.TEAM_LEAD else 'phone'}-{staff.id}",
        platform="web" if role == Role.TEAM_LEAD else "android",
    )
    session.add(device)
    session.flush()
    return staff, device


def _token(session: Session, keys: KeySet, issuer: str, staff: Staff, device: Device) -> str:
    now = utcnow()
    auth = AuthSession(id=secrets.token_hex(16), staff_id=staff.id, device_pk=device.id)
    session.add(auth)
    claims = access_claims(
        staff_id=staff.id,
        session_id=auth.id,
        epoch=staff.auth_epoch,
        issuer=issuer,
        now=now,
        ttl_s=TOKEN_TTL_S,
    )
    return keys.sign(claims)


def populate(
    session: Session, keys: KeySet, *, teams: int, reps: int, leads: int, issuer: str, seed: int
) -> Population:
    """Build the company (see the module doc) and return who is who, with tokens."""
    rng = random.Random(seed)
    digest = hash_password(PASSWORD)
    company = insert_node(session, parent=None, name="Load Company", kind="company")
    regions = [
        insert_node(session, parent=company, name=f"Region {r}", kind="region") for r in range(2)
    ]
    out = Population([], [], [], probe=None)  # type: ignore[arg-type]
    number = 0
    claimed = utcnow() - timedelta(days=2)
    for t in range(teams):
        node = insert_node(session, parent=regions[t % 2], name=f"Team {t}", kind="team")
        bbox = (WEST + CELL * (t % 4), SOUTH + CELL * (t // 4))
        bbox += (bbox[0] + CELL, bbox[1] + CELL)
        shape = polygons.parse_geometry(mapping(box(*bbox)))
        territory = Territory(
            org_node_id=node.id,
            name=f"Team {t} area",
            geom=from_shape(shape, srid=spatial.SRID),
            vertex_count=polygons.vertex_count(shape),
            area_m2=polygons.area_m2(shape),
        )
        session.add(territory)
        session.flush()
        team = Team(t, node.id, bbox)
        out.teams.append(team)
        number += 1
        lead_staff, lead_device = _person(session, node.id, Role.TEAM_LEAD, number, digest)
        session.add(NodeManager(staff_id=lead_staff.id, org_node_id=node.id))
        token = _token(session, keys, issuer, lead_staff, lead_device)
        out.leads.append(Person(lead_staff.id, lead_staff.employee_number, token, t))
        members = []
        for _ in range(reps):
            number += 1
            staff, device = _person(session, node.id, Role.REP, number, digest)
            token = _token(session, keys, issuer, staff, device)
            out.reps.append(Person(staff.id, staff.employee_number, token, t))
            members.append(staff)
            team.owned[staff.id] = []
        for n in range(leads):
            lat = rng.uniform(bbox[1] + 0.002, bbox[3] - 0.002)
            lon = rng.uniform(bbox[0] + 0.002, bbox[2] - 0.002)
            owner = rng.choice(members) if rng.random() < 0.2 else None
            lead_id = f"LL{t:02d}{n:05d}"
            name = f"Load Customer {t}-{n} {secrets.token_hex(3)}"
            session.add(
                Lead(
                    id=lead_id,
                    name=name,
                    name_key=normalize.name_key(name),
                    lat=lat,
                    lon=lon,
                    raw_lat=lat,
                    raw_lon=lon,
                    datum="wgs84",
                    geom=spatial.point(lon, lat),
                    territory_id=territory.id,
                    org_node_id=node.id,
                    owner_id=owner.id if owner else None,
                    claimed_at=claimed if owner else None,
                    protected_until=claimed + timedelta(days=30) if owner else None,
                )
            )
            (team.owned[owner.id] if owner else team.public).append((lead_id, lat, lon))
        session.flush()
    number += 1
    staff, device = _person(session, out.teams[0].node_id, Role.REP, number, digest)
    out.probe = Person(staff.id, staff.employee_number, "", 0)
    session.flush()
    return out
