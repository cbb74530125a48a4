"""Admin use cases of HR provisioning, audited: tokens, department mappings, alerts."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.db import utcnow
from app.errors import NotFound, Problem
from app.hr import audit, mappings, tokens
from app.hr.models import DepartmentMapping, HrAlert, ScimToken
from app.hr.tokens import HrContext
from app.org.scope import Principal


class NoHomeNode(Problem):
    status = 422
    code = "hr.token_node_required"
    title = "Name the org node the token provisions (you have no node of your own)"


def _admin(principal: Principal | None, token_id: int | None = None) -> HrContext:
    actor = f"admin:{principal.staff_id}" if principal and principal.staff_id else "cli"
    return HrContext(token_id=token_id, actor=actor, root_node_id=0, root_path="/")


def create_token(
    session: Session, principal: Principal | None, *, name: str, org_node_id: int | None
) -> tuple[ScimToken, str]:
    """A token for an HR connector over a subtree in scope (default: the admin's own node)."""
    node_id = org_node_id or (principal.org_node_id if principal else None)
    if node_id is None:
        raise NoHomeNode()
    token, secret = tokens.create_token(
        session,
        name=name,
        root_node_id=node_id,
        created_by_id=principal.staff_id if principal and principal.staff_id else None,
        principal=principal,
    )
    audit.record(
        session,
        _admin(principal, token.id),
        action="token_create",
        resource_type="Token",
        resource_id=str(token.id),
        after={"name": name, "org_node_id": node_id},
    )
    return token, secret


def revoke_token(session: Session, principal: Principal | None, *, token_id: int) -> None:
    """Revoke a token at once (rotate by creating the new one first)."""
    token = tokens.revoke_token(session, principal, token_id=token_id)
    audit.record(
        session,
        _admin(principal, token.id),
        action="token_revoke",
        resource_type="Token",
        resource_id=str(token.id),
        before={"name": token.name, "org_node_id": token.root_node_id},
    )


def set_mapping(
    session: Session, principal: Principal | None, **mapping_in: Any
) -> DepartmentMapping:
    """Create or re-point a department mapping (applies from HR's next change of the user)."""
    row = mappings.set_mapping(session, principal, **mapping_in)
    audit.record(
        session,
        _admin(principal),
        action="mapping_set",
        resource_type="Mapping",
        resource_id=str(row.id),
        after={
            "organization": row.organization,
            "department": row.department,
            "org_node_id": row.org_node_id,
        },
    )
    return row


def delete_mapping(session: Session, principal: Principal | None, *, mapping_id: int) -> None:
    """Remove a department mapping."""
    row = mappings.delete_mapping(session, principal, mapping_id=mapping_id)
    audit.record(
        session,
        _admin(principal),
        action="mapping_delete",
        resource_type="Mapping",
        resource_id=str(mapping_id),
        before={
            "organization": row.organization,
            "department": row.department,
            "org_node_id": row.org_node_id,
        },
    )


def resolve_alert(session: Session, principal: Principal, *, alert_id: int) -> HrAlert:
    """Mark an alert handled."""
    alert = next(
        (
            a
            for a in audit.list_alerts(session, principal, include_resolved=True)
            if a.id == alert_id
        ),
        None,
    )
    if alert is None:
        raise NotFound(f"Alert {alert_id} not found.")
    alert.resolved_at = alert.resolved_at or utcnow()
    session.flush()
    return alert
