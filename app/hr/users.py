"""SCIM Users over staff accounts.

Which staff a connector sees: everyone whose org node lies in the token's subtree, plus the
people it provisioned who have no node (unmapped department), except break-glass accounts
(invisible to SCIM) and people HR deleted. Mapping: userName -> staff.user_name (case-folded,
unique), externalId -> external_hr_id, displayName (else name parts, else userName) -> name,
primary email -> email, primary phone -> phone, enterprise employeeNumber -> employee_number,
department/organization -> org node through hr_department_mappings. The rest of what HR
sent is kept in hr_users.document and served back; staff columns win when both exist.

A POST whose employeeNumber or externalId names an existing account in scope that HR has
never linked links that account instead of failing (existing staff join HR). New accounts
are reps without a password: they cannot log in until an admin sets one.
"""

from __future__ import annotations

import copy
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.db import utcnow
from app.hr import audit, deprovision, mappings
from app.hr.errors import InvalidValue, NotFound, Uniqueness
from app.hr.filters import CORE_USER, ENTERPRISE_USER, parse_filter
from app.hr.models import HrUser
from app.hr.queries import users_filter
from app.hr.resources import Page, check_if_match, finish_meta
from app.hr.schema import canonical_user, primary
from app.hr.tokens import HrContext
from app.org.models import OrgNode, Role, Staff
from app.org.scope import path_in_roots
from app.schemas import parse_id

LIMITS = {"user_name": 254, "external_hr_id": 128, "email": 254, "phone": 32}
LIMITS["employee_number"] = 64
UNIQUE = (
    ("user_name", "userName"),
    ("external_hr_id", "externalId"),
    ("employee_number", "employeeNumber"),
    ("phone", "phoneNumbers"),
)


def _visible(ctx: HrContext) -> sa.Select[tuple[Staff, HrUser]]:
    subtree = sa.select(OrgNode.id).where(path_in_roots(OrgNode.path, (ctx.root_path,)))
    return (
        sa.select(Staff, HrUser)
        .outerjoin(HrUser, HrUser.staff_id == Staff.id)
        .where(
            Staff.break_glass.is_(False),
            HrUser.deleted_at.is_(None),
            sa.or_(
                Staff.org_node_id.in_(subtree),
                sa.and_(Staff.org_node_id.is_(None), HrUser.root_node_id == ctx.root_node_id),
            ),
        )
    )


def _find(
    session: Session, ctx: HrContext, user_id: str, *, lock: bool = False
) -> tuple[Staff, HrUser | None]:
    staff_id = parse_id(user_id)
    if staff_id is None:
        raise NotFound(f"User {user_id!r} not found.")
    stmt = _visible(ctx).where(Staff.id == staff_id)
    if lock:
        stmt = stmt.with_for_update(of=Staff)
    row = session.execute(stmt).first()
    if row is None:
        raise NotFound(f"User {user_id!r} not found.")
    return row[0], row[1]


def _node_names(session: Session, staff: list[Staff]) -> dict[int, str]:
    ids = {s.org_node_id for s in staff if s.org_node_id is not None}
    if not ids:
        return {}
    rows = session.execute(sa.select(OrgNode.id, OrgNode.name).where(OrgNode.id.in_(ids)))
    return {node_id: name for node_id, name in rows}


def _overlay(values: list[dict[str, Any]] | None, column: str | None) -> list[dict[str, Any]]:
    """HR's list with the primary value as the staff column now holds it."""
    items = [dict(v) for v in values or []]
    current = primary(items)
    if column is None:
        return [i for i in items if i is not current]
    if current is None:
        return [{"value": column, "primary": True}]
    current["value"] = column
    return items


def render(staff: Staff, hr: HrUser | None, *, base: str, node_name: str | None) -> dict[str, Any]:
    """The SCIM User: HR's document with the staff columns laid over it."""
    doc = copy.deepcopy(hr.document) if hr is not None else {}
    out: dict[str, Any] = {"schemas": [CORE_USER], "id": str(staff.id)}
    if staff.external_hr_id:
        out["externalId"] = staff.external_hr_id
    sent = doc.get("userName")
    linked = isinstance(sent, str) and sent.lower() == staff.user_name
    out["userName"] = sent if linked else (staff.user_name or staff.employee_number)
    for key in ("name", "displayName"):
        if key in doc:
            out[key] = doc[key]
    if hr is None:
        out["displayName"] = staff.name
    out["active"] = staff.active
    for key, column in (("emails", staff.email), ("phoneNumbers", staff.phone)):
        values = _overlay(doc.get(key), column)
        if values:
            out[key] = values
    if staff.org_node_id is not None:
        node = f"node-{staff.org_node_id}"  # app.hr.groups.group_id_of
        out["groups"] = [{"value": node, "$ref": f"{base}/Groups/{node}", "display": node_name}]
    enterprise = dict(doc.get(ENTERPRISE_USER, {}))
    if hr is None or "employeeNumber" in enterprise:
        enterprise["employeeNumber"] = staff.employee_number
    manager = enterprise.get("manager", {}).get("value")
    if manager:
        enterprise["manager"] = {"value": manager, "$ref": f"{base}/Users/{manager}"}
    if enterprise:
        out["schemas"].append(ENTERPRISE_USER)
        out[ENTERPRISE_USER] = enterprise
    modified = max(staff.updated_at, hr.updated_at) if hr is not None else staff.updated_at
    return finish_meta(
        out,
        resource_type="User",
        created=staff.created_at,
        modified=modified,
        location=f"{base}/Users/{staff.id}",
    )


def _columns(doc: dict[str, Any]) -> dict[str, Any]:
    user_name = doc.get("userName")
    if not isinstance(user_name, str) or not user_name.strip():
        raise InvalidValue("userName is required.")
    enterprise = doc.get(ENTERPRISE_USER, {})
    email, phone = primary(doc.get("emails")), primary(doc.get("phoneNumbers"))
    name = doc.get("name", {})
    parts = " ".join(p for p in (name.get("givenName"), name.get("familyName")) if p)
    values = {
        "user_name": user_name.strip().lower(),
        "external_hr_id": doc.get("externalId"),
        "name": (doc.get("displayName") or name.get("formatted") or parts or user_name)[:200],
        "email": email.get("value") if email else None,
        "phone": phone.get("value") if phone else None,
        "employee_number": enterprise.get("employeeNumber"),
    }
    for field, limit in LIMITS.items():
        if values[field] is not None and len(values[field]) > limit:
            raise InvalidValue(f"{field} is longer than {limit} characters.")
    return values


def _check_unique(session: Session, values: dict[str, Any], *, exclude_id: int | None) -> None:
    for field, label in UNIQUE:
        value = values.get(field)
        if value is None:
            continue
        stmt = sa.select(Staff.id).where(getattr(Staff, field) == value)
        if exclude_id is not None:
            stmt = stmt.where(Staff.id != exclude_id)
        if session.scalar(stmt.limit(1)) is not None:
            raise Uniqueness(f"{label} {value!r} is already in use.")


def _placeholder_number() -> str:
    return f"hr-{secrets.token_hex(6)}"


def _place(
    session: Session,
    ctx: HrContext,
    staff: Staff,
    doc: dict[str, Any],
    old_doc: dict[str, Any] | None,
) -> dict[str, Any] | None:
    """Re-map the org node when HR's organization or department changed (or on creation)."""
    new, old = doc.get(ENTERPRISE_USER, {}), (old_doc or {}).get(ENTERPRISE_USER, {})
    org, dept = new.get("organization"), new.get("department")
    key = (mappings.normalize(org), mappings.normalize(dept))
    old_key = (
        mappings.normalize(old.get("organization")),
        mappings.normalize(old.get("department")),
    )
    if old_doc is not None and key == old_key:
        return None
    node_id = mappings.resolve(session, organization=org, department=dept, root_path=ctx.root_path)
    moved = {"from_node_id": staff.org_node_id, "to_node_id": node_id}
    staff.org_node_id = node_id
    if node_id is None:
        audit.alert(
            session,
            ctx,
            kind="department_unmapped",
            staff_id=staff.id,
            message=f"{staff.name}: organization {org!r}, department {dept!r} maps to no org "
            "node; the account sees no data until an admin maps it (hr_department_mappings).",
            organization=org,
            department=dept,
        )
    return moved


def _activity(
    session: Session, staff: Staff, doc: dict[str, Any], active: bool
) -> tuple[str | None, dict[str, Any]]:
    if not active and staff.active:
        manager = doc.get(ENTERPRISE_USER, {}).get("manager", {}).get("value")
        return "deactivate", deprovision.deactivate(
            session, staff=staff, manager_id=manager
        ).as_dict()
    if active and not staff.active:
        deprovision.reactivate(session, staff=staff)
        return "reactivate", {}
    return None, {}


def _link_alerts(session: Session, ctx: HrContext, staff: Staff) -> None:
    if staff.external_hr_id is None:
        audit.alert(
            session,
            ctx,
            kind="no_external_id",
            staff_id=staff.id,
            message=f"{staff.name}: HR sent no externalId; with WAYPOINT_REQUIRE_HR_LINK on, "
            "this account cannot log in.",
        )


def _save(
    session: Session,
    ctx: HrContext,
    *,
    staff: Staff,
    hr: HrUser,
    doc: dict[str, Any],
    old_doc: dict[str, Any] | None,
    active: bool,
) -> dict[str, Any]:
    values = _columns(doc)
    _check_unique(session, values, exclude_id=staff.id)
    for field in ("user_name", "external_hr_id", "name", "email", "phone"):
        setattr(staff, field, values[field])
    if values["employee_number"]:
        staff.employee_number = values["employee_number"]
    elif "employeeNumber" in (old_doc or {}).get(ENTERPRISE_USER, {}):
        staff.employee_number = _placeholder_number()  # HR removed it: free the number
    session.flush()
    moved = _place(session, ctx, staff, doc, old_doc)
    hr.document = doc
    session.flush()
    change, summary = _activity(session, staff, doc, active)
    detail: dict[str, Any] = {**summary}
    if moved is not None and moved["from_node_id"] != moved["to_node_id"]:
        detail["moved"] = moved
    return {"change": change, "detail": detail}


def get_user(session: Session, ctx: HrContext, *, user_id: str, base: str) -> dict[str, Any]:
    """One User (deactivated ones too; deleted ones are 404)."""
    staff, hr = _find(session, ctx, user_id)
    return render(
        staff, hr, base=base, node_name=_node_names(session, [staff]).get(staff.org_node_id or 0)
    )


def list_users(
    session: Session, ctx: HrContext, *, filter_text: str | None, page: Page, base: str
) -> tuple[int, list[dict[str, Any]]]:
    """Users matching the filter, ordered by id (stable paging), with the total."""
    stmt = _visible(ctx)
    if filter_text:
        stmt = stmt.where(users_filter(parse_filter(filter_text)))
    total = session.scalar(stmt.with_only_columns(sa.func.count(Staff.id)).order_by(None)) or 0
    if page.count == 0:
        return total, []
    rows = session.execute(
        stmt.order_by(Staff.id).offset(page.start_index - 1).limit(page.count)
    ).all()
    names = _node_names(session, [r[0] for r in rows])
    resources = [render(s, h, base=base, node_name=names.get(s.org_node_id or 0)) for s, h in rows]
    return total, resources


def _adoptable(session: Session, ctx: HrContext, values: dict[str, Any]) -> Staff | None:
    keys = []
    if values["employee_number"]:
        keys.append(Staff.employee_number == values["employee_number"])
    if values["external_hr_id"]:
        keys.append(Staff.external_hr_id == values["external_hr_id"])
    if not keys:
        return None
    row = session.execute(
        _visible(ctx).where(HrUser.staff_id.is_(None), sa.or_(*keys)).with_for_update(of=Staff)
    ).first()
    return row[0] if row else None


def create_user(
    session: Session, ctx: HrContext, *, body: dict[str, Any], base: str
) -> dict[str, Any]:
    """Provision an account (or link an existing unlinked one). Raises Uniqueness (409)."""
    doc = canonical_user(body)
    active = doc.pop("active", True)
    values = _columns(doc)
    staff = _adoptable(session, ctx, values)
    before = None
    if staff is None:
        _check_unique(session, values, exclude_id=None)
        staff = Staff(
            employee_number=values["employee_number"] or _placeholder_number(),
            name=values["name"],
            role=Role.REP.value,
            active=True,
            password_hash=None,
        )
        session.add(staff)
        session.flush()
        old_doc = None
    else:
        before = render(staff, None, base=base, node_name=None)
        old_doc = {}
    hr = HrUser(staff_id=staff.id, root_node_id=ctx.root_node_id, document={})
    session.add(hr)
    result = _save(session, ctx, staff=staff, hr=hr, doc=doc, old_doc=old_doc, active=active)
    _link_alerts(session, ctx, staff)
    after = get_user(session, ctx, user_id=str(staff.id), base=base)
    audit.record(
        session,
        ctx,
        action="link" if before else "create",
        resource_type="User",
        resource_id=after["id"],
        staff_id=staff.id,
        before=before,
        after=after,
        **result["detail"],
    )
    return after


def _update(
    session: Session,
    ctx: HrContext,
    *,
    user_id: str,
    if_match: str | None,
    build: Any,
    verb: str,
    base: str,
) -> dict[str, Any]:
    staff, hr = _find(session, ctx, user_id, lock=True)
    before = render(
        staff, hr, base=base, node_name=_node_names(session, [staff]).get(staff.org_node_id or 0)
    )
    check_if_match(before, if_match)
    doc = canonical_user(build(before))
    active = doc.pop("active", staff.active)
    old_doc = hr.document if hr is not None else {}
    if hr is None:
        hr = HrUser(staff_id=staff.id, root_node_id=ctx.root_node_id, document={})
        session.add(hr)
    result = _save(session, ctx, staff=staff, hr=hr, doc=doc, old_doc=old_doc, active=active)
    after = get_user(session, ctx, user_id=user_id, base=base)
    audit.record(
        session,
        ctx,
        action=result["change"] or verb,
        resource_type="User",
        resource_id=user_id,
        staff_id=staff.id,
        before=before,
        after=after,
        operation=verb,
        **result["detail"],
    )
    return after


def replace_user(
    session: Session,
    ctx: HrContext,
    *,
    user_id: str,
    body: dict[str, Any],
    if_match: str | None,
    base: str,
) -> dict[str, Any]:
    """PUT: the new representation replaces HR's attributes (omitted `active` is kept)."""
    return _update(
        session,
        ctx,
        user_id=user_id,
        if_match=if_match,
        build=lambda _: body,
        verb="replace",
        base=base,
    )


def patch_user(
    session: Session, ctx: HrContext, *, user_id: str, body: Any, if_match: str | None, base: str
) -> dict[str, Any]:
    """PATCH: operations applied to the current representation (see app.hr.patch)."""
    from app.hr import patch

    def build(current: dict[str, Any]) -> dict[str, Any]:
        working = {k: v for k, v in current.items() if k not in ("meta", "id", "schemas", "groups")}
        return patch.apply("User", working, body)

    return _update(
        session, ctx, user_id=user_id, if_match=if_match, build=build, verb="patch", base=base
    )


def delete_user(
    session: Session, ctx: HrContext, *, user_id: str, if_match: str | None, base: str
) -> None:
    """Deactivate (as active:false does), then mark deleted: the row stays, SCIM says 404.

    The person's userName, externalId, phone and employee number are freed for re-hires.
    """
    staff, hr = _find(session, ctx, user_id, lock=True)
    before = render(staff, hr, base=base, node_name=None)
    check_if_match(before, if_match)
    manager = (hr.document if hr else {}).get(ENTERPRISE_USER, {}).get("manager", {}).get("value")
    summary = deprovision.deactivate(session, staff=staff, manager_id=manager).as_dict()
    if hr is None:
        hr = HrUser(staff_id=staff.id, root_node_id=ctx.root_node_id, document={})
        session.add(hr)
    hr.deleted_at = utcnow()
    staff.user_name = staff.external_hr_id = staff.phone = None
    staff.employee_number = f"deleted-{staff.id}-{staff.employee_number}"[:64]
    session.flush()
    audit.record(
        session,
        ctx,
        action="delete",
        resource_type="User",
        resource_id=user_id,
        staff_id=staff.id,
        before=before,
        after=None,
        **summary,
    )
