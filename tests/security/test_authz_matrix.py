"""Authorization matrix: every operation of /api/openapi.json x role x target scope.

MATRIX says what each role may do to a target in each scope; REQUESTS says how to send the
operation at a target. Both are keyed "METHOD /path" as the OpenAPI document spells it, and
`test_every_operation_is_in_the_matrix` fails when the document and the tables disagree, so a
new endpoint cannot ship without its row.

Roles: the rep, team lead, admin and HR person of tests/security/world.py, all working in
region East (the rep and lead in its team E1, the admin and HR person at East itself).
Targets, in this order in every row:

    own      the rep actor's own records in team E1 (for the others: a subordinate's)
    peer     a teammate's records in E1 (the same node, territory and public lead as own)
    other    the West subtree of the same company
    foreign  another company

Outcomes, one letter per target (one letter in all for an operation that names no target):

    A  allowed: 2xx
    E  allowed, and finds nothing there: 2xx (a search outside your scope is empty)
    V  allowed, refused on its content or state: 409 or 422
    F  forbidden: 403
    H  hidden: answered exactly as an id that names nothing is (404 for ids in the path;
       for an id in the body, the same status and code as a body naming no such thing)

On top of its letter every response is checked for the names of scopes the role must not
see (West and company B for everyone, the teammate's for the rep), which catches a list or
an error message that leaks them.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest
from PIL import Image
from werkzeug.test import TestResponse

from tests.factories import PASSWORD
from tests.security.conftest import Stage
from tests.security.world import CANARIES, ROLES, TARGETS, Scope

# -- what may happen ---------------------------------------------------------------------------


def everyone(cells: str) -> dict[str, str]:
    """The same outcomes for all four roles."""
    return dict.fromkeys(ROLES, cells)


def only(**allowed: str) -> dict[str, str]:
    """These roles as given; every other role is refused by role (403) whatever the target."""
    width = len(next(iter(allowed.values())))
    return {role: allowed.get(role, "F" * width) for role in ROLES}


def sales(cells: str) -> dict[str, str]:
    """The same outcomes for the sales roles; HR is refused by role (customers, visits and
    locations are not HR's business: app.org.models.SALES_ROLES)."""
    return {**everyone(cells), "hr": "F" * len(cells)}


def roles(rep: str, team_lead: str, admin: str, hr: str) -> dict[str, str]:
    """Outcomes role by role, in ROLES order."""
    return {"rep": rep, "team_lead": team_lead, "admin": admin, "hr": hr}


MATRIX: dict[str, dict[str, str]] = {
    # public
    "GET /healthz": everyone("A"),
    "POST /api/v1/auth/login": everyone("A"),
    "POST /api/v1/auth/refresh": everyone("A"),
    "GET /api/v1/auth/jwks.json": everyone("A"),
    # the caller's own account
    "POST /api/v1/auth/logout": everyone("A"),
    "GET /api/v1/me": everyone("A"),
    "POST /api/v1/me/location-consent": everyone("A"),
    "DELETE /api/v1/me/location-consent": everyone("A"),
    "GET /api/v1/me/location-export": everyone("A"),
    "GET /api/v1/me/location-access": everyone("A"),
    # org tree: everyone reads their subtree, admins change it
    "GET /api/v1/org/nodes": everyone("A"),
    "POST /api/v1/org/nodes": only(admin="AAHH"),
    "GET /api/v1/org/nodes/{node_id}": everyone("AAHH"),
    "PATCH /api/v1/org/nodes/{node_id}": only(admin="AAHH"),
    "DELETE /api/v1/org/nodes/{node_id}": only(admin="AAHH"),
    "POST /api/v1/org/nodes/{node_id}/move": only(admin="AAHH"),
    "GET /api/v1/org/nodes/{node_id}/pool-rules": only(team_lead="AAHH", admin="AAHH"),
    "PUT /api/v1/org/nodes/{node_id}/pool-rules": only(admin="AAHH"),
    # staff: a rep sees only itself; managers their subtree
    "GET /api/v1/staff": only(team_lead="AAHH", admin="AAHH", hr="AAHH"),
    "POST /api/v1/staff": only(team_lead="AAHH", admin="AAHH", hr="AAHH"),
    "GET /api/v1/staff/{staff_id}": roles("AHHH", "AAHH", "AAHH", "AAHH"),
    "PATCH /api/v1/staff/{staff_id}": only(team_lead="AAHH", admin="AAHH", hr="AAHH"),
    "POST /api/v1/staff/{staff_id}/deactivate": only(team_lead="AAHH", admin="AAHH", hr="AAHH"),
    "POST /api/v1/staff/{staff_id}/reactivate": only(team_lead="AAHH", admin="AAHH", hr="AAHH"),
    "GET /api/v1/staff/{staff_id}/devices": roles("AHHH", "AAHH", "AAHH", "AAHH"),
    "DELETE /api/v1/staff/{staff_id}/devices/{device_id}": only(
        team_lead="AAHH", admin="AAHH", hr="AAHH"
    ),
    # territories: everyone reads their subtree's, admins and team leads change them
    "GET /api/v1/territories": everyone("A"),
    "POST /api/v1/territories": only(team_lead="AAHH", admin="AAHH"),
    "GET /api/v1/territories/{territory_id}": everyone("AAHH"),
    "PATCH /api/v1/territories/{territory_id}": only(team_lead="AAHH", admin="AAHH"),
    "DELETE /api/v1/territories/{territory_id}": only(team_lead="AAHH", admin="AAHH"),
    "GET /api/v1/territories/locate": everyone("AAHH"),
    "POST /api/v1/territories/import": only(team_lead="AAHH", admin="AAHH"),
    "GET /api/v1/territories/export": everyone("A"),
    # leads: reps see the public pool of their territories and their own
    "GET /api/v1/leads": sales("A"),
    "POST /api/v1/leads": roles("AAHH", "AAFF", "AAFF", "FFFF"),
    "GET /api/v1/leads/nearby": sales("AAEE"),
    "GET /api/v1/leads/collusion-flags": only(team_lead="A", admin="A"),
    "GET /api/v1/leads/{lead_id}": roles("AHHH", "AAHH", "AAHH", "FFFF"),
    "PATCH /api/v1/leads/{lead_id}": roles("AHHH", "AAHH", "AAHH", "FFFF"),
    "POST /api/v1/leads/{lead_id}/claim": only(rep="AAHH"),
    "POST /api/v1/leads/{lead_id}/release": roles("AHHH", "AAHH", "AAHH", "FFFF"),
    "POST /api/v1/leads/{lead_id}/transfer": only(team_lead="AAHH", admin="AAHH"),
    "GET /api/v1/leads/{lead_id}/history": roles("AHHH", "AAHH", "AAHH", "FFFF"),
    # visits: only the rep checks in and out of its visit; managers read and review
    "GET /api/v1/visits": sales("A"),
    "POST /api/v1/visits": sales("AAHH"),
    "GET /api/v1/visits/suspicious": only(team_lead="A", admin="A"),
    "GET /api/v1/visits/map": sales("AAHH"),
    "GET /api/v1/visits/{visit_id}": roles("AHHH", "AAHH", "AAHH", "FFFF"),
    "POST /api/v1/visits/{visit_id}/checkout": roles("AHHH", "FFHH", "FFHH", "FFFF"),
    "GET /api/v1/visits/{visit_id}/review": roles("AHHH", "AAHH", "AAHH", "FFFF"),
    "POST /api/v1/visits/{visit_id}/review": only(team_lead="AAHH", admin="AAHH"),
    "GET /api/v1/visits/{visit_id}/photos": roles("AHHH", "AAHH", "AAHH", "FFFF"),
    "POST /api/v1/visits/{visit_id}/photos": roles("AHHH", "FFHH", "FFHH", "FFFF"),
    # sync: each device syncs its own scope
    "GET /api/v1/sync/pull": sales("A"),
    "POST /api/v1/sync/push": sales("A"),
    "GET /api/v1/sync/rejections": sales("A"),
    "GET /api/v1/sync/conflicts": sales("A"),
    # route plans: everyone plans their own day; managers read their reps' plans
    "GET /api/v1/route-plans": sales("A"),
    "POST /api/v1/route-plans": sales("AAHH"),
    "GET /api/v1/route-plans/{plan_id}": roles("AHHH", "AAHH", "AAHH", "FFFF"),
    # a manager may read a rep's plan but not re-plan it: refused as "only your active plan"
    "POST /api/v1/route-plans/{plan_id}/reoptimize": roles("AHHH", "VVHH", "VVHH", "FFFF"),
    # HR provisioning administration: admins only, within their subtree
    "GET /api/v1/hr/scim-tokens": only(admin="A"),
    "POST /api/v1/hr/scim-tokens": only(admin="AAHH"),
    "DELETE /api/v1/hr/scim-tokens/{token_id}": only(admin="AAHH"),
    "GET /api/v1/hr/department-mappings": only(admin="A"),
    "POST /api/v1/hr/department-mappings": only(admin="AAHH"),
    "DELETE /api/v1/hr/department-mappings/{mapping_id}": only(admin="AAHH"),
    "GET /api/v1/hr/audit": only(admin="A"),
    "GET /api/v1/hr/alerts": only(admin="A"),
    "POST /api/v1/hr/alerts/{alert_id}/resolve": only(admin="AAHH"),
}

# -- how to send each operation ----------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What a request may be built from: the target's ids and the actor's own login."""

    scope: Scope
    stage: Stage
    role: str

    @property
    def login(self) -> Any:
        return self.stage.logins[self.role]


Build = Callable[[Context], Any]


@dataclass(frozen=True)
class Call:
    """Path parameters (each from a Scope attribute), and query and body builders."""

    path: dict[str, str] = field(default_factory=dict)
    query: Build | None = None
    json: Build | None = None
    form: Build | None = None
    targeted: bool = False  # the query or body names something in the target scope

    @property
    def names_a_target(self) -> bool:
        return bool(self.path) or self.targeted


def call(
    *, query: Build | None = None, json: Build | None = None, form: Build | None = None, **path: str
) -> Call:
    """An operation that names no target, or names one only in its path."""
    return Call(path=path, query=query, json=json, form=form)


def at_target(
    *, query: Build | None = None, json: Build | None = None, form: Build | None = None, **path: str
) -> Call:
    """An operation whose query or body names something in the target scope."""
    return Call(path=path, query=query, json=json, form=form, targeted=True)


def _now(minutes: int = 0) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


def _box(box: tuple[float, float, float, float]) -> dict[str, Any]:
    min_lon, min_lat, max_lon, max_lat = box
    ring = [[min_lon, min_lat], [max_lon, min_lat], [max_lon, max_lat], [min_lon, max_lat]]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def _point(c: Context) -> dict[str, float]:
    return {"lat": c.scope.point[0], "lon": c.scope.point[1]}


@cache
def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (48, 32), (200, 120, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


REQUESTS: dict[str, Call] = {
    "GET /healthz": call(),
    "POST /api/v1/auth/login": call(
        json=lambda c: {
            "login": c.stage.employee_numbers[c.role],
            "password": PASSWORD,
            "device_id": c.login.device,
            "platform": "android",
        }
    ),
    "POST /api/v1/auth/refresh": call(json=lambda c: {"refresh_token": c.login.refresh_token}),
    "GET /api/v1/auth/jwks.json": call(),
    "POST /api/v1/auth/logout": call(),
    "GET /api/v1/me": call(),
    "POST /api/v1/me/location-consent": call(json=lambda c: {"document_version": "2026-02"}),
    "DELETE /api/v1/me/location-consent": call(),
    "GET /api/v1/me/location-export": call(query=lambda c: {"format": "geojson"}),
    "GET /api/v1/me/location-access": call(),
    "GET /api/v1/org/nodes": call(),
    "POST /api/v1/org/nodes": at_target(
        json=lambda c: {"parent_id": c.scope.node, "name": "New team", "kind": "team"}
    ),
    "GET /api/v1/org/nodes/{node_id}": call(node_id="node"),
    "PATCH /api/v1/org/nodes/{node_id}": call(node_id="node", json=lambda c: {"name": "Renamed"}),
    "DELETE /api/v1/org/nodes/{node_id}": call(node_id="empty_node"),
    "POST /api/v1/org/nodes/{node_id}/move": call(
        node_id="spare_node", json=lambda c: {"new_parent_id": c.scope.node}
    ),
    "GET /api/v1/org/nodes/{node_id}/pool-rules": call(node_id="node"),
    "PUT /api/v1/org/nodes/{node_id}/pool-rules": call(
        node_id="node", json=lambda c: {"overrides": {"capacity": 40}}
    ),
    "GET /api/v1/staff": at_target(query=lambda c: {"org_node_id": c.scope.node}),
    "POST /api/v1/staff": at_target(
        json=lambda c: {
            "employee_number": "NEW-001",
            "name": "New Rep",
            "org_node_id": c.scope.node,
            "role": "rep",
            "password": "a-long-enough-password",
        }
    ),
    "GET /api/v1/staff/{staff_id}": call(staff_id="rep"),
    "PATCH /api/v1/staff/{staff_id}": call(staff_id="rep", json=lambda c: {"name": "Renamed"}),
    "POST /api/v1/staff/{staff_id}/deactivate": call(staff_id="rep"),
    "POST /api/v1/staff/{staff_id}/reactivate": call(staff_id="rep"),
    "GET /api/v1/staff/{staff_id}/devices": call(staff_id="rep"),
    "DELETE /api/v1/staff/{staff_id}/devices/{device_id}": call(staff_id="rep", device_id="device"),
    "GET /api/v1/territories": call(),
    "POST /api/v1/territories": at_target(
        json=lambda c: {
            "org_node_id": c.scope.spare_node,
            "name": "New territory",
            "geometry": _box(c.scope.inner_box),
        }
    ),
    "GET /api/v1/territories/{territory_id}": call(territory_id="territory"),
    "PATCH /api/v1/territories/{territory_id}": call(
        territory_id="territory", json=lambda c: {"name": "Renamed"}
    ),
    "DELETE /api/v1/territories/{territory_id}": call(territory_id="spare_territory"),
    "GET /api/v1/territories/locate": at_target(query=_point),
    "POST /api/v1/territories/import": at_target(
        json=lambda c: {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"name": "Imported", "org_node_id": c.scope.spare_node},
                    "geometry": _box(c.scope.inner_box),
                }
            ],
        }
    ),
    "GET /api/v1/territories/export": call(),
    "GET /api/v1/leads": call(),
    "POST /api/v1/leads": at_target(
        query=lambda c: {"force": "true"},
        json=lambda c: {"id": "L-NEW", "name": "Brand new customer", **_point(c)},
    ),
    "GET /api/v1/leads/nearby": at_target(query=_point),
    "GET /api/v1/leads/collusion-flags": call(),
    "GET /api/v1/leads/{lead_id}": call(lead_id="owned_lead"),
    "PATCH /api/v1/leads/{lead_id}": call(
        lead_id="owned_lead", json=lambda c: {"stage": "contacted"}
    ),
    "POST /api/v1/leads/{lead_id}/claim": call(lead_id="public_lead"),
    "POST /api/v1/leads/{lead_id}/release": call(lead_id="owned_lead", json=lambda c: {}),
    "POST /api/v1/leads/{lead_id}/transfer": call(
        lead_id="public_lead", json=lambda c: {"to_staff_id": c.scope.rep}
    ),
    "GET /api/v1/leads/{lead_id}/history": call(lead_id="owned_lead"),
    "GET /api/v1/visits": call(),
    "POST /api/v1/visits": at_target(
        json=lambda c: {
            "id": "V-NEW",
            "lead_id": c.scope.public_lead,
            "captured_at": _now(-1),
            "fix": {**_point(c), "accuracy_m": 8.0, "fix_time": _now(-1)},
        }
    ),
    "GET /api/v1/visits/suspicious": call(),
    "GET /api/v1/visits/map": at_target(query=lambda c: {"org_node": c.scope.node}),
    "GET /api/v1/visits/{visit_id}": call(visit_id="visit"),
    "POST /api/v1/visits/{visit_id}/checkout": call(
        visit_id="visit", json=lambda c: {"captured_at": _now()}
    ),
    "GET /api/v1/visits/{visit_id}/review": call(visit_id="visit"),
    "POST /api/v1/visits/{visit_id}/review": call(
        visit_id="visit", json=lambda c: {"verdict": "verified", "comment": "Seen on site."}
    ),
    "GET /api/v1/visits/{visit_id}/photos": call(visit_id="visit"),
    "POST /api/v1/visits/{visit_id}/photos": call(
        visit_id="visit",
        form=lambda c: {"photo_id": "P-NEW", "file": (io.BytesIO(_jpeg()), "p.jpg", "image/jpeg")},
    ),
    "GET /api/v1/sync/pull": call(),
    "POST /api/v1/sync/push": call(
        query=lambda c: {"last_pulled_at": c.stage.cursor}, json=lambda c: {}
    ),
    "GET /api/v1/sync/rejections": call(),
    "GET /api/v1/sync/conflicts": call(),
    "GET /api/v1/route-plans": call(),
    "POST /api/v1/route-plans": at_target(
        json=lambda c: {
            "start": _point(c),
            "shift_start": "00:00",
            "shift_end": "23:59",
            "stops": [{"lead_id": c.scope.public_lead}],
            "time_budget_s": 0.05,
        }
    ),
    "GET /api/v1/route-plans/{plan_id}": call(plan_id="plan"),
    "POST /api/v1/route-plans/{plan_id}/reoptimize": call(
        plan_id="plan", json=lambda c: {"position": _point(c)}
    ),
    "GET /api/v1/hr/scim-tokens": call(),
    "POST /api/v1/hr/scim-tokens": at_target(
        json=lambda c: {"name": "New connector", "org_node_id": c.scope.node}
    ),
    "DELETE /api/v1/hr/scim-tokens/{token_id}": call(token_id="scim_token"),
    "GET /api/v1/hr/department-mappings": call(),
    "POST /api/v1/hr/department-mappings": at_target(
        json=lambda c: {"department": "New department", "org_node_id": c.scope.node}
    ),
    "DELETE /api/v1/hr/department-mappings/{mapping_id}": call(mapping_id="mapping"),
    "GET /api/v1/hr/audit": call(),
    "GET /api/v1/hr/alerts": call(),
    "POST /api/v1/hr/alerts/{alert_id}/resolve": call(alert_id="alert"),
}

# -- the document ------------------------------------------------------------------------------


def operations(stage: Stage) -> dict[str, dict[str, Any]]:
    """Every operation of the served OpenAPI document, keyed "METHOD /path"."""
    spec = stage.client.get("/api/openapi.json").get_json()
    return {
        f"{method.upper()} {path}": operation
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in ("get", "put", "post", "patch", "delete")
    }


def test_every_operation_is_in_the_matrix(stage):
    documented = set(operations(stage))

    assert documented - set(MATRIX) == set(), "operations without a row in MATRIX"
    assert set(MATRIX) - documented == set(), "rows in MATRIX for operations that are gone"
    assert set(REQUESTS) == set(MATRIX), "MATRIX and REQUESTS must name the same operations"


def test_every_row_has_one_outcome_per_target():
    for name, row in MATRIX.items():
        assert set(row) == set(ROLES), name
        width = len(TARGETS) if REQUESTS[name].names_a_target else 1
        for role, cells in row.items():
            assert len(cells) == width and set(cells) <= set("AEVFH"), (name, role, cells)


# -- sending -----------------------------------------------------------------------------------


def send(
    stage: Stage, name: str, role: str, target: str, *, headers: dict[str, str] | None = None
) -> TestResponse:
    """Send operation `name` as `role` at `target` ("missing": ids that name nothing).

    The role's access token goes along unless other `headers` are given.
    """
    method, template = name.split(" ", 1)
    how = REQUESTS[name]
    context = Context(stage.world.scope(target), stage, role)
    path = template
    for param, attribute in how.path.items():
        path = path.replace(f"{{{param}}}", str(getattr(context.scope, attribute)))
    kwargs: dict[str, Any] = {"headers": stage.logins[role].headers if headers is None else headers}
    if how.query:
        kwargs["query_string"] = how.query(context)
    if how.json:
        kwargs["json"] = how.json(context)
    if how.form:
        kwargs["data"] = how.form(context)
        kwargs["content_type"] = "multipart/form-data"
    return stage.client.open(path, method=method, **kwargs)


def answer(response: TestResponse) -> tuple[int, str | None]:
    body = response.get_json(silent=True)
    return response.status_code, body.get("code") if isinstance(body, dict) else None


def leaked(response: TestResponse, role: str) -> list[str]:
    """Canary names of scopes this role must not see that appear in the response."""
    text = response.get_data(as_text=True)
    unseen = ("other", "foreign", "peer") if role == "rep" else ("other", "foreign")
    return [CANARIES[scope] for scope in unseen if CANARIES[scope] in text]


def _cells() -> list[Any]:
    cells = []
    for name, row in MATRIX.items():
        targets = TARGETS if REQUESTS[name].names_a_target else ("own",)
        for role in ROLES:
            for target, outcome in zip(targets, row[role], strict=True):
                label = f"{name} {role}" + (f" {target}" if len(targets) > 1 else "")
                cells.append(pytest.param(name, role, target, outcome, id=label))
    return cells


STATUSES = {"A": range(200, 300), "E": range(200, 300), "V": (409, 422), "F": (403,)}


@pytest.mark.parametrize(("name", "role", "target", "outcome"), _cells())
def test_authorization(staged, name, role, target, outcome):
    baseline = None
    if outcome == "H":
        with staged.rolled_back():
            baseline = answer(send(staged, name, role, "missing"))

    response = send(staged, name, role, target)

    got = answer(response)
    detail = f"{name} as {role} at {target}: {got} {response.get_data(as_text=True)[:300]}"
    if outcome == "H":
        assert got[0] in (403, 404, 422) and got == baseline, f"{detail}; missing: {baseline}"
    else:
        assert got[0] in STATUSES[outcome], detail
    assert leaked(response, role) == [], detail


# -- without a valid access token --------------------------------------------------------------


def _secured() -> list[str]:
    return [name for name, row in MATRIX.items() if name not in PUBLIC]


PUBLIC = {
    "GET /healthz",
    "POST /api/v1/auth/login",
    "POST /api/v1/auth/refresh",
    "GET /api/v1/auth/jwks.json",
}


def test_the_document_declares_security_exactly_where_a_token_is_needed(stage):
    for name, operation in operations(stage).items():
        assert bool(operation.get("security")) == (name not in PUBLIC), name


@pytest.mark.parametrize("name", _secured())
@pytest.mark.parametrize("auth", [None, "scim"], ids=["no-token", "scim-token"])
def test_a_secured_operation_needs_an_access_token(staged, name, auth):
    # A SCIM token is a bearer token too, but only /scim/v2 takes it.
    scim = {"Authorization": f"Bearer {staged.world.scim_secrets['E1']}"}

    response = send(staged, name, "admin", "own", headers={} if auth is None else scim)

    assert answer(response) == (401, "auth.unauthenticated"), name
    assert re.match(r"Bearer\b", response.headers["WWW-Authenticate"])


# -- ids in a body that point outside the caller's scope ---------------------------------------


@pytest.mark.parametrize("target", ["other", "foreign"])
def test_a_department_mapped_outside_your_scope_cannot_be_taken_over(staged, target):
    # Mapping keys are installation-wide: re-pointing another subtree's key to your own node
    # would silently send that subtree's new hires to you.
    held = staged.world.scopes[target]
    own_node = staged.world.scopes["own"].node
    headers = staged.logins["admin"].headers
    body = {"department": held.department, "org_node_id": own_node}

    response = staged.client.post("/api/v1/hr/department-mappings", json=body, headers=headers)

    assert answer(response) == (422, "hr.mapping_invalid")
    assert leaked(response, "admin") == []
    with staged.app.app_context():
        from app.hr.models import DepartmentMapping
        from app.web import db_session

        assert db_session().get(DepartmentMapping, held.mapping).org_node_id == held.node


def test_mapping_changes_are_audited_for_the_admins_of_the_mapped_node(staged):
    own = staged.world.scopes["own"]
    headers = staged.logins["admin"].headers
    url = "/api/v1/hr/department-mappings"
    staged.client.delete(f"{url}/{own.mapping}", headers=headers)

    entries = staged.client.get("/api/v1/hr/audit", headers=headers).get_json()

    mappings = {(e["action"], e["resource_id"]) for e in entries if e["resource_type"] == "Mapping"}
    # Only this admin's subtree: West's and company B's mappings have rows too.
    assert mappings == {("mapping_set", str(own.mapping)), ("mapping_delete", str(own.mapping))}


@pytest.mark.parametrize("role", ["team_lead", "admin"])
@pytest.mark.parametrize("target", ["other", "foreign"])
def test_an_overlap_outside_your_scope_is_refused_without_naming_it(staged, role, target):
    body = {
        "org_node_id": staged.world.scopes["own"].spare_node,
        "name": "Land grab",
        "geometry": _box(staged.world.scopes[target].inner_box),
    }

    response = staged.client.post(
        "/api/v1/territories", json=body, headers=staged.logins[role].headers
    )

    assert answer(response) == (409, "territory.overlap")
    problem = response.get_json()
    assert "other_territory_id" not in problem
    assert "other_org_node_id" not in problem
    assert leaked(response, role) == []
