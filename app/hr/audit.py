"""The HR audit trail and admin alerts: every HR action leaves a row."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.db import utcnow
from app.hr.models import HrAlert, HrAudit, ScimToken
from app.hr.tokens import HrContext
from app.org.models import OrgNode
from app.org.scope import Principal, path_in_roots


def record(
    session: Session,
    ctx: HrContext,
    *,
    action: str,
    resource_type: str,
    resource_id: str | None,
    staff_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    **detail: Any,
) -> HrAudit:
    """Write one audit row (who = the token's name)."""
    entry = HrAudit(
        at=utcnow(),
        actor=ctx.actor,
        token_id=ctx.token_id,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        staff_id=staff_id,
        before=before,
        after=after,
        detail=detail,
    )
    session.add(entry)
    return entry


def alert(
    session: Session,
    ctx: HrContext,
    *,
    kind: str,
    message: str,
    staff_id: int | None = None,
    **detail: Any,
) -> HrAlert:
    """Raise an alert for the admins of the connector's subtree."""
    row = HrAlert(
        at=utcnow(),
        kind=kind,
        staff_id=staff_id,
        root_node_id=ctx.root_node_id,
        message=message[:500],
        detail=detail,
    )
    session.add(row)
    return row


def _in_scope(column: Any, principal: Principal) -> Any:
    return column.in_(sa.select(OrgNode.id).where(path_in_roots(OrgNode.path, principal.roots)))


def list_audit(
    session: Session,
    principal: Principal,
    *,
    staff_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[HrAudit]:
    """Audit rows of the tokens whose subtree is in scope, newest first."""
    tokens = sa.select(ScimToken.id).where(_in_scope(ScimToken.root_node_id, principal))
    # Rows without a token are admins' changes to department mappings: shown when the
    # mapping's node (after a change, before a removal) is in scope.
    mapping_node = sa.func.coalesce(
        HrAudit.after["org_node_id"].as_integer(), HrAudit.before["org_node_id"].as_integer()
    )
    stmt = sa.select(HrAudit).where(
        sa.or_(
            HrAudit.token_id.in_(tokens),
            sa.and_(HrAudit.token_id.is_(None), _in_scope(mapping_node, principal)),
        )
    )
    if staff_id is not None:
        stmt = stmt.where(HrAudit.staff_id == staff_id)
    stmt = stmt.order_by(HrAudit.at.desc(), HrAudit.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(stmt))


def list_alerts(
    session: Session, principal: Principal, *, include_resolved: bool = False
) -> list[HrAlert]:
    """Alerts of the subtrees in scope, newest first."""
    stmt = sa.select(HrAlert).where(_in_scope(HrAlert.root_node_id, principal))
    if not include_resolved:
        stmt = stmt.where(HrAlert.resolved_at.is_(None))
    return list(session.scalars(stmt.order_by(HrAlert.at.desc(), HrAlert.id.desc())))
