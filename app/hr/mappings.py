"""HR department (and organization) to org node: the configurable mapping.

A row maps (organization, department) to a node; '' in either part matches any value. The
most specific row wins: (org, dept), then ('', dept), then (org, ''). A user whose
department maps to nothing, or to a node outside the connector's subtree, gets no org node
(an empty data scope) and an alert, never a default node.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.db import utcnow
from app.errors import NotFound, Problem
from app.hr.models import DepartmentMapping
from app.org.models import OrgNode
from app.org.scope import Principal, node_in_scope


class MappingInvalid(Problem):
    status = 422
    code = "hr.mapping_invalid"
    title = "A mapping needs a department or an organization, and a node in your scope"


def normalize(value: str | None) -> str:
    """Whitespace collapsed, case-folded: 'Sales  East' and 'sales east' are one key."""
    return " ".join((value or "").split()).casefold()


def set_mapping(
    session: Session,
    principal: Principal | None,
    *,
    department: str | None,
    organization: str | None,
    org_node_id: int,
) -> DepartmentMapping:
    """Create or re-point a mapping. Raises MappingInvalid (422).

    The (organization, department) key is installation-wide, so a key already mapped to a
    node outside the principal's scope is refused rather than taken over.
    """
    dept, org = normalize(department), normalize(organization)
    if not dept and not org:
        raise MappingInvalid("Give a department, an organization, or both.")
    path = session.scalar(sa.select(OrgNode.path).where(OrgNode.id == org_node_id))
    if path is None or (principal is not None and not principal.sees_path(path)):
        raise MappingInvalid(f"Org node {org_node_id} is not in your scope.")
    row = session.scalars(
        sa.select(DepartmentMapping).where(
            DepartmentMapping.organization == org, DepartmentMapping.department == dept
        )
    ).first()
    if row is not None and principal is not None and row.org_node_id != org_node_id:
        held_by = session.scalar(sa.select(OrgNode.path).where(OrgNode.id == row.org_node_id))
        if held_by is None or not principal.sees_path(held_by):
            raise MappingInvalid("This department is mapped to a node outside your scope.")
    if row is None:
        row = DepartmentMapping(organization=org, department=dept, created_at=utcnow())
        session.add(row)
    row.org_node_id = org_node_id
    session.flush()
    return row


def list_mappings(session: Session, principal: Principal | None = None) -> list[DepartmentMapping]:
    """Mappings to nodes in the principal's scope (all of them for the CLI), by key."""
    stmt = sa.select(DepartmentMapping)
    if principal is not None:
        stmt = stmt.where(node_in_scope(DepartmentMapping.org_node_id, principal))
    order = (DepartmentMapping.organization, DepartmentMapping.department)
    return list(session.scalars(stmt.order_by(*order)))


def delete_mapping(
    session: Session, principal: Principal | None, *, mapping_id: int
) -> DepartmentMapping:
    """Remove a mapping (users keep their node until HR changes their department)."""
    row = session.get(DepartmentMapping, mapping_id)
    if row is None:
        raise NotFound(f"Mapping {mapping_id} not found.")
    if principal is not None:
        path = session.scalar(sa.select(OrgNode.path).where(OrgNode.id == row.org_node_id))
        if path is None or not principal.sees_path(path):
            raise NotFound(f"Mapping {mapping_id} not found.")
    session.delete(row)
    session.flush()
    return row


def resolve(
    session: Session, *, organization: str | None, department: str | None, root_path: str
) -> int | None:
    """The org node for HR's organization and department inside `root_path`, or None."""
    org, dept = normalize(organization), normalize(department)
    candidates = [(org, dept), ("", dept), (org, "")]
    for key_org, key_dept in candidates:
        if not key_org and not key_dept:
            continue
        if (key_org and not org) or (key_dept and not dept):
            continue
        row = session.execute(
            sa.select(OrgNode.id, OrgNode.path)
            .join(DepartmentMapping, DepartmentMapping.org_node_id == OrgNode.id)
            .where(
                DepartmentMapping.organization == key_org,
                DepartmentMapping.department == key_dept,
            )
        ).first()
        if row is not None:
            return row.id if row.path.startswith(root_path) else None
    return None
