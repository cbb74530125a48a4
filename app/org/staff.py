"""Staff account use cases: list (scoped), read, create, update, deactivate, devices, consent.

Who may manage whom: admins anyone in their scope; HR anyone but admins; team leads reps only.
A principal never sees staff outside its subtree: reads answer 404, as if they did not exist.
Deactivation ends every session and token of the person on their very next request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.auth import service as auth_service
from app.auth.models import Device
from app.auth.passwords import hash_password
from app.db import utcnow
from app.errors import Conflict, Forbidden, NotFound
from app.org.models import LocationConsent, NodeManager, OrgNode, Role, Staff
from app.org.scope import Principal, node_in_scope, subtree_bounds

MANAGEABLE_ROLES: dict[Role, frozenset[Role]] = {
    Role.ADMIN: frozenset(Role),
    Role.HR: frozenset({Role.REP, Role.TEAM_LEAD, Role.HR}),
    Role.TEAM_LEAD: frozenset({Role.REP}),
    Role.REP: frozenset(),
}
UNIQUE_FIELDS = ("employee_number", "phone", "external_hr_id")


class DuplicateStaff(Conflict):
    code = "staff.duplicate"
    title = "Another account already uses this employee number, phone or HR id"


class NodeOutOfScope(Forbidden):
    code = "staff.node_out_of_scope"
    title = "The org node does not exist or is outside your scope"


class SelfDeactivation(Conflict):
    code = "staff.self_deactivation"
    title = "You cannot deactivate your own account"


def _require_manager(principal: Principal) -> None:
    if not MANAGEABLE_ROLES[principal.role]:
        raise Forbidden("Your role does not manage staff accounts.")


def _check_role(principal: Principal, role: str) -> None:
    if Role(role) not in MANAGEABLE_ROLES[principal.role]:
        raise Forbidden(f"Your role cannot manage accounts with the role {role!r}.")


def _check_node(session: Session, principal: Principal, node_id: int) -> None:
    path = session.scalar(sa.select(OrgNode.path).where(OrgNode.id == node_id))
    if path is None or not principal.sees_path(path):
        raise NodeOutOfScope(f"Org node {node_id} is not in your scope.")


def _check_unique(session: Session, values: dict[str, Any], *, exclude_id: int | None) -> None:
    for field in UNIQUE_FIELDS:
        value = values.get(field)
        if value is None:
            continue
        stmt = sa.select(Staff.id).where(getattr(Staff, field) == value)
        if exclude_id is not None:
            stmt = stmt.where(Staff.id != exclude_id)
        if session.scalar(stmt.limit(1)) is not None:
            raise DuplicateStaff(f"{field} {value!r} is already in use.", field=field)


def list_staff(
    session: Session,
    principal: Principal,
    *,
    org_node_id: int | None = None,
    subtree: bool = True,
    role: str | None = None,
    active: bool | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Staff], int]:
    """Staff in the principal's scope (optionally one node or subtree), with the total."""
    _require_manager(principal)
    stmt = sa.select(Staff).where(node_in_scope(Staff.org_node_id, principal))
    if org_node_id is not None:
        node = session.get(OrgNode, org_node_id)
        if node is None or not principal.sees_path(node.path):
            raise NotFound(f"Org node {org_node_id} not found.")
        if subtree:
            low, high = subtree_bounds(node.path)
            inner = sa.select(OrgNode.id).where(OrgNode.path >= low, OrgNode.path < high)
            stmt = stmt.where(Staff.org_node_id.in_(inner))
        else:
            stmt = stmt.where(Staff.org_node_id == org_node_id)
    if role is not None:
        stmt = stmt.where(Staff.role == role)
    if active is not None:
        stmt = stmt.where(Staff.active.is_(active))
    if q:
        pattern = f"%{q.lower()}%"
        stmt = stmt.where(
            sa.or_(sa.func.lower(Staff.name).like(pattern), Staff.employee_number.like(pattern))
        )
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Staff.name, Staff.id).limit(limit).offset(offset))
    return list(rows), total


def get_staff(session: Session, principal: Principal, *, staff_id: int) -> Staff:
    """One account: yourself, or someone in your scope if you manage staff; else 404."""
    if staff_id == principal.staff_id:
        staff = session.get(Staff, staff_id)
    elif MANAGEABLE_ROLES[principal.role]:
        staff = session.scalars(
            sa.select(Staff).where(
                Staff.id == staff_id, node_in_scope(Staff.org_node_id, principal)
            )
        ).first()
    else:
        staff = None
    if staff is None:
        raise NotFound(f"Staff {staff_id} not found.")
    return staff


def create_staff(session: Session, principal: Principal, *, staff_in: dict[str, Any]) -> Staff:
    """Create an account in scope. Raises Forbidden, NodeOutOfScope, DuplicateStaff."""
    _require_manager(principal)
    _check_role(principal, staff_in["role"])
    _check_node(session, principal, staff_in["org_node_id"])
    _check_unique(session, staff_in, exclude_id=None)
    values = dict(staff_in)
    values["password_hash"] = hash_password(values.pop("password"))
    staff = Staff(**values)
    session.add(staff)
    session.flush()
    return staff


def update_staff(
    session: Session, principal: Principal, *, staff_id: int, staff_in: dict[str, Any]
) -> Staff:
    """Change fields of an account in scope; a new password or role ends its sessions."""
    _require_manager(principal)
    staff = get_staff(session, principal, staff_id=staff_id)
    _check_role(principal, staff.role)
    if "role" in staff_in:
        if staff.id == principal.staff_id and staff_in["role"] != staff.role:
            raise Forbidden("You cannot change your own role.")
        _check_role(principal, staff_in["role"])
    if "org_node_id" in staff_in:
        _check_node(session, principal, staff_in["org_node_id"])
    _check_unique(session, staff_in, exclude_id=staff.id)
    values = dict(staff_in)
    sensitive = "password" in values or values.get("role", staff.role) != staff.role
    if "password" in values:
        values["password_hash"] = hash_password(values.pop("password"))
    for field, value in values.items():
        setattr(staff, field, value)
    session.flush()
    if sensitive:
        auth_service.revoke_all(
            session,
            staff_id=staff.id,
            reason="credentials_changed",
            unbind_devices=False,
            now=utcnow(),
        )
    return staff


def deactivate_staff(session: Session, principal: Principal, *, staff_id: int) -> Staff:
    """Deactivate: access ends on the very next request, devices are unbound."""
    _require_manager(principal)
    staff = get_staff(session, principal, staff_id=staff_id)
    _check_role(principal, staff.role)
    if staff.id == principal.staff_id:
        raise SelfDeactivation()
    return set_active(session, staff=staff, active=False)


def reactivate_staff(session: Session, principal: Principal, *, staff_id: int) -> Staff:
    """Allow login again (devices must be bound anew)."""
    _require_manager(principal)
    staff = get_staff(session, principal, staff_id=staff_id)
    _check_role(principal, staff.role)
    return set_active(session, staff=staff, active=True)


def set_active(
    session: Session, *, staff: Staff, active: bool, now: datetime | None = None
) -> Staff:
    """The one place an account's active flag changes (staff admin and HR provisioning)."""
    now = now or utcnow()
    if staff.active == active:
        return staff
    staff.active = active
    staff.deactivated_at = None if active else now
    session.flush()
    if not active:
        auth_service.revoke_all(
            session, staff_id=staff.id, reason="deactivated", unbind_devices=True, now=now
        )
        session.refresh(staff)
    return staff


def list_devices(session: Session, principal: Principal, *, staff_id: int) -> list[Device]:
    """Devices currently bound to an account you can see."""
    staff = get_staff(session, principal, staff_id=staff_id)
    stmt = sa.select(Device).where(Device.staff_id == staff.id, Device.unbound_at.is_(None))
    return list(session.scalars(stmt.order_by(Device.bound_at)))


def unbind_device(session: Session, principal: Principal, *, staff_id: int, device_id: str) -> None:
    """Free a device slot (admins, HR and team leads for people they manage)."""
    _require_manager(principal)
    staff = get_staff(session, principal, staff_id=staff_id)
    _check_role(principal, staff.role)
    if not auth_service.unbind_device(
        session, staff_id=staff.id, device_id=device_id, now=utcnow()
    ):
        raise NotFound(f"Device {device_id!r} is not bound to staff {staff_id}.")


def managed_node_ids(session: Session, *, staff_id: int) -> list[int]:
    """Nodes a person manages beside their own."""
    stmt = sa.select(NodeManager.org_node_id).where(NodeManager.staff_id == staff_id)
    return list(session.scalars(stmt.order_by(NodeManager.org_node_id)))


def current_consent(session: Session, *, staff_id: int) -> LocationConsent | None:
    """The person's standing location consent, if any."""
    stmt = sa.select(LocationConsent).where(
        LocationConsent.staff_id == staff_id, LocationConsent.withdrawn_at.is_(None)
    )
    return session.scalars(stmt.order_by(LocationConsent.consented_at.desc())).first()


def give_consent(
    session: Session, principal: Principal, *, document_version: str
) -> LocationConsent:
    """Record the caller's consent to location collection under a document version."""
    now = utcnow()
    previous = current_consent(session, staff_id=principal.staff_id)
    if previous is not None:
        if previous.document_version == document_version:
            return previous
        previous.withdrawn_at = now
    consent = LocationConsent(
        staff_id=principal.staff_id,
        document_version=document_version,
        consented_at=now,
        recorded_by_id=principal.staff_id,
    )
    session.add(consent)
    session.flush()
    return consent


def withdraw_consent(session: Session, principal: Principal) -> None:
    """Withdraw the caller's consent: from now on no location is stored for them."""
    consent = current_consent(session, staff_id=principal.staff_id)
    if consent is not None:
        consent.withdrawn_at = utcnow()
        session.flush()
