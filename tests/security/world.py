"""Two companies with something of every kind in every scope, for the authorization matrix.

    Company A (Shanghai)                       Company B (Beijing)
      East (region)  <- admin, hr                B region
        E1 (team)    <- team lead, rep, peer       B1 (team)
          E1 spare, E1 empty                         B1 spare, B1 empty
        E2 (team)
      West (region)
        W (team)
          W spare, W empty

Every team has a territory, a public and a private lead, and its rep an open visit and a
route plan for today; every spare node a small territory in a corner.

The four actors all work in East, so that every target scope means the same for each of
them: `own` is the rep actor's own records in team E1, `peer` a teammate's records in E1,
`other` the West subtree of the same company, `foreign` company B. Names in West and in
company B carry a canary ("zz-west", "zz-foreign"), and the teammate's a "zz-peer" one, so
that a response leaking them is caught whatever its shape.

Rows are arranged with the factories and the domain services (check-in, claim, route plan,
SCIM token, department mapping, HR alert); only ids leave this module.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from app.auth.models import Device
from app.hr import audit
from app.hr import service as hr_service
from app.hr.tokens import HrContext
from app.leads import pool
from app.org.models import LocationConsent, OrgNode, Role, Staff
from app.planning import service as planning
from app.visits import service as visits
from app.visits.schemas import CheckInSchema
from geo.routing import HaversineProvider
from tests.factories import make_node, make_staff
from tests.factories_geo import E1_BOX, E2_BOX, WEST_BOX, make_lead, make_territory, principal_of

ROLES = ("rep", "team_lead", "admin", "hr")
TARGETS = ("own", "peer", "other", "foreign")
ALWAYS = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
TZ = "Asia/Shanghai"
B1_BOX = (116.30, 39.90, 116.40, 40.00)
MISSING_INT = 2**31 - 2
#: A point in no territory of either company (the Gulf of Guinea).
NOWHERE = (0.5, 0.5)
CANARIES = {"other": "zz-west", "foreign": "zz-foreign", "peer": "zz-peer"}


@dataclass(frozen=True)
class Scope:
    """Ids of one target scope: one of each thing a path parameter or a body can name."""

    node: int  # a team
    spare_node: int  # a leaf under the team with a territory of its own (movable)
    empty_node: int  # a leaf under the team with nothing on it (deletable)
    rep: int  # a rep of the team: owner of the personal records below
    device: str  # the rep's bound device
    territory: int  # the team's territory
    spare_territory: int  # the spare node's, in a corner: no lead, no visit (deletable)
    point: tuple[float, float]  # (lat, lon) inside that territory
    inner_box: tuple[float, float, float, float]  # a small box inside it, for new territories
    public_lead: str
    owned_lead: str  # the rep's private lead
    visit: str  # the rep's open visit (not checked out)
    plan: str  # the rep's active route plan for today
    scim_token: int
    department: str  # an HR department mapped to the team
    mapping: int
    alert: int


#: Ids that name nothing: what a hidden target must be indistinguishable from.
MISSING = Scope(
    node=MISSING_INT,
    spare_node=MISSING_INT,
    empty_node=MISSING_INT,
    rep=MISSING_INT,
    device="no-such-device",
    territory=MISSING_INT,
    spare_territory=MISSING_INT,
    point=NOWHERE,
    inner_box=(0.4, 0.4, 0.6, 0.6),
    public_lead="L-NO-SUCH-LEAD",
    owned_lead="L-NO-SUCH-LEAD",
    visit="V-NO-SUCH-VISIT",
    plan="no-such-plan",
    scim_token=MISSING_INT,
    department="no such department",
    mapping=MISSING_INT,
    alert=MISSING_INT,
)


@dataclass(frozen=True)
class World:
    """The actors (staff ids by role) and the four target scopes."""

    actors: dict[str, int]
    scopes: dict[str, Scope]
    scim_secrets: dict[str, str]  # by team key: E1, W, B1
    roaming_rep: int  # a rep at Acme's root: above every actor's scope, covering all of it

    def scope(self, target: str) -> Scope:
        """The ids of a target scope (`missing`: ids that name nothing)."""
        return MISSING if target == "missing" else self.scopes[target]


def _inner(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """A box a tenth the size of `box`, in its middle."""
    min_lon, min_lat, max_lon, max_lat = box
    dx, dy = (max_lon - min_lon) * 0.45, (max_lat - min_lat) * 0.45
    return min_lon + dx, min_lat + dy, max_lon - dx, max_lat - dy


def _corner(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """A box a tenth the size of `box`, in its south-west corner."""
    min_lon, min_lat, max_lon, max_lat = box
    dx, dy = (max_lon - min_lon) * 0.1, (max_lat - min_lat) * 0.1
    return min_lon + dx, min_lat + dy, min_lon + 2 * dx, min_lat + 2 * dy


def _middle(box: tuple[float, float, float, float]) -> tuple[float, float]:
    min_lon, min_lat, max_lon, max_lat = box
    return round((min_lat + max_lat) / 2, 6), round((min_lon + max_lon) / 2, 6)


def _field_ready(session: Session, staff: Staff, device_id: str) -> None:
    """Always working, consent given, a phone bound: location is collected at any hour."""
    staff.timezone, staff.working_hours = TZ, ALWAYS
    session.add(
        LocationConsent(staff_id=staff.id, document_version="2026-01", recorded_by_id=staff.id)
    )
    session.add(Device(staff_id=staff.id, device_id=device_id, platform="android"))
    session.flush()


def _check_in(
    session: Session, rep: Staff, *, visit_id: str, lead_id: str, at: tuple[float, float]
) -> str:
    """An honest check-in five minutes ago, loaded through the API's own schema."""
    when = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    lat, lon = at
    visit_in = CheckInSchema().load(
        {
            "id": visit_id,
            "lead_id": lead_id,
            "captured_at": when,
            "fix": {"lat": lat, "lon": lon, "accuracy_m": 10.0, "fix_time": when},
        }
    )
    visit, _ = visits.check_in(session, principal_of(session, rep), visit_in=visit_in)
    return visit.id


def _plan(session: Session, rep: Staff, at: tuple[float, float]) -> str:
    lat, lon = at
    plan_in = {
        "start": {"lat": lat, "lon": lon},
        "shift_start": "00:00",
        "shift_end": "23:59",
        "stops": [{"point": {"lat": lat + 0.001, "lon": lon}, "duration_min": 10}],
        "time_budget_s": 0.05,
    }
    provider = HaversineProvider(detour_factor=1.3, speed_kmh=30.0)
    return planning.create_plan(
        session, principal_of(session, rep), plan_in=plan_in, provider=provider
    ).id


def _team_scope(
    session: Session,
    *,
    key: str,
    team: OrgNode,
    box: tuple[float, float, float, float],
    rep: Staff,
    label: str,
    scim_secrets: dict[str, str],
) -> Scope:
    """A team's territory, leads, the rep's visit and plan, and the team's HR records."""
    spare = make_node(session, team, f"{label} spare")
    empty = make_node(session, team, f"{label} empty")
    territory = make_territory(session, team, box, name=f"{label} territory")
    spare_territory = make_territory(session, spare, _corner(box), name=f"{label} corner")
    point = _middle(box)
    public = make_lead(session, *point, name=f"{label} public lead", lead_id=f"L-{key}-PUBLIC")
    owned = make_lead(session, *point, name=f"{label} private lead", lead_id=f"L-{key}-OWNED")
    pool.claim(session, principal_of(session, rep), lead=owned)
    visit = _check_in(session, rep, visit_id=f"V-{key}", lead_id=owned.id, at=point)
    token, scim_secrets[key] = hr_service.create_token(
        session, None, name=f"{label} connector", org_node_id=team.id
    )
    department = f"{label} sales"
    mapping = hr_service.set_mapping(
        session, None, department=department, organization=None, org_node_id=team.id
    )
    alert = audit.alert(
        session,
        HrContext(token.id, token.name, team.id, team.path),
        kind="department_unmapped",
        message=f"{label}: a department maps to no node",
        staff_id=rep.id,
    )
    session.flush()
    return Scope(
        node=team.id,
        spare_node=spare.id,
        empty_node=empty.id,
        rep=rep.id,
        device=f"phone-{rep.id}",
        territory=territory.id,
        spare_territory=spare_territory.id,
        point=point,
        inner_box=_inner(box),
        public_lead=public.id,
        owned_lead=owned.id,
        visit=visit,
        plan=_plan(session, rep, point),
        scim_token=token.id,
        department=mapping.department,
        mapping=mapping.id,
        alert=alert.id,
    )


def _person(session: Session, node: OrgNode, role: Role, name: str) -> Staff:
    staff = make_staff(session, node, role, name=name)
    _field_ready(session, staff, f"phone-{staff.id}")
    return staff


def build_world(session: Session) -> World:
    """Arrange both companies; returns ids only (the caller commits)."""
    acme = make_node(session, None, "Acme", "company")
    east = make_node(session, acme, "East", "region")
    e1 = make_node(session, east, "E1")
    e2 = make_node(session, east, "E2")
    west = make_node(session, acme, "zz-west region", "region")
    w = make_node(session, west, "zz-west team")
    other_co = make_node(session, None, "zz-foreign company", "company")
    b_region = make_node(session, other_co, "zz-foreign region", "region")
    b1 = make_node(session, b_region, "zz-foreign team")
    make_territory(session, e2, E2_BOX, name="E2 territory")

    actors = {
        "rep": _person(session, e1, Role.REP, "Rep Actor"),
        "team_lead": _person(session, e1, Role.TEAM_LEAD, "Lead Actor"),
        "admin": _person(session, east, Role.ADMIN, "Admin Actor"),
        "hr": _person(session, east, Role.HR, "HR Actor"),
    }
    peer = _person(session, e1, Role.REP, "zz-peer rep")
    west_rep = _person(session, w, Role.REP, "zz-west rep")
    foreign_rep = _person(session, b1, Role.REP, "zz-foreign rep")
    _person(session, acme, Role.ADMIN, "Acme Admin")  # the company admin above everyone
    roaming = _person(session, acme, Role.REP, "Acme roaming rep")

    secrets: dict[str, str] = {}
    own = _team_scope(
        session, key="E1", team=e1, box=E1_BOX, rep=actors["rep"], label="E1", scim_secrets=secrets
    )
    peer_lead = make_lead(session, *own.point, name="zz-peer private lead", lead_id="L-E1-PEER")
    pool.claim(session, principal_of(session, peer), lead=peer_lead)
    peer_scope = replace(
        own,
        rep=peer.id,
        device=f"phone-{peer.id}",
        owned_lead=peer_lead.id,
        visit=_check_in(session, peer, visit_id="V-E1-PEER", lead_id=peer_lead.id, at=own.point),
        plan=_plan(session, peer, own.point),
    )
    scopes = {
        "own": own,
        "peer": peer_scope,
        "other": _team_scope(
            session,
            key="W",
            team=w,
            box=WEST_BOX,
            rep=west_rep,
            label="zz-west",
            scim_secrets=secrets,
        ),
        "foreign": _team_scope(
            session,
            key="B1",
            team=b1,
            box=B1_BOX,
            rep=foreign_rep,
            label="zz-foreign",
            scim_secrets=secrets,
        ),
    }
    return World(
        actors={role: staff.id for role, staff in actors.items()},
        scopes=scopes,
        scim_secrets=secrets,
        roaming_rep=roaming.id,
    )
