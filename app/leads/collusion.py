"""Collusion patterns in lead hand-offs, flagged for the team leads above the reps involved.

- handoff_after_release: rep A releases, rep B claims within the cool-down window + 24 h.
- drop_and_reclaim: a lead released just before it would have been recycled is claimed
  again within the cool-down window + 24 h (resetting the recycle clock).
- ping_pong: the same two reps hand leads to each other 3 or more times within 30 days.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.leads.models import CollusionFlag, LeadOwnerEvent, OwnerChange
from app.leads.rules import PoolRules
from app.org.models import Staff
from app.org.scope import Principal, node_in_scope

PING_PONG_WINDOW = timedelta(days=30)
PING_PONG_MIN = 3
GRACE = timedelta(hours=24)
TAKES = (OwnerChange.CLAIM.value, OwnerChange.TRANSFER.value, OwnerChange.ASSIGN.value)


def _flag(
    session: Session, *, kind: str, event: LeadOwnerEvent, from_id: int, detail: dict[str, Any]
) -> None:
    nodes = dict(
        session.execute(
            sa.select(Staff.id, Staff.org_node_id).where(Staff.id.in_([from_id, event.to_owner_id]))
        ).all()
    )
    session.add(
        CollusionFlag(
            kind=kind,
            lead_id=event.lead_id,
            from_staff_id=from_id,
            to_staff_id=event.to_owner_id,
            from_node_id=nodes.get(from_id),
            to_node_id=nodes.get(event.to_owner_id),
            detail=detail,
            detected_at=event.at,
        )
    )


def _previous(session: Session, event: LeadOwnerEvent) -> LeadOwnerEvent | None:
    return session.scalars(
        sa.select(LeadOwnerEvent)
        .where(LeadOwnerEvent.lead_id == event.lead_id, LeadOwnerEvent.id != event.id)
        .order_by(LeadOwnerEvent.at.desc(), LeadOwnerEvent.id.desc())
        .limit(1)
    ).first()


def _handoffs_between(session: Session, a: int, b: int, since: Any) -> int:
    """Count lead hand-offs from a to b or b to a since a time (direct or via the pool)."""
    events = session.scalars(
        sa.select(LeadOwnerEvent)
        .where(
            LeadOwnerEvent.at >= since - PING_PONG_WINDOW,
            sa.or_(
                LeadOwnerEvent.from_owner_id.in_([a, b]), LeadOwnerEvent.to_owner_id.in_([a, b])
            ),
        )
        .order_by(LeadOwnerEvent.lead_id, LeadOwnerEvent.at, LeadOwnerEvent.id)
    )
    count, holder, lead = 0, None, None
    for e in events:
        if e.lead_id != lead:
            lead, holder = e.lead_id, None
        if e.from_owner_id is not None:
            holder = e.from_owner_id
        if e.to_owner_id is not None:
            if e.at >= since and {holder, e.to_owner_id} == {a, b}:
                count += 1
            holder = e.to_owner_id
    return count


def inspect(session: Session, *, event: LeadOwnerEvent, rules: PoolRules) -> None:
    """Look at one owner change and flag the patterns it completes."""
    if event.reason not in TAKES or event.to_owner_id is None:
        return
    previous = _previous(session, event)
    if previous is None:
        return
    giver = previous.from_owner_id if previous.to_owner_id is None else previous.to_owner_id
    window = rules.cooldown + GRACE
    via_pool = previous.to_owner_id is None and event.at - previous.at <= window
    if via_pool and previous.near_recycle:
        _flag(
            session,
            kind="drop_and_reclaim",
            event=event,
            from_id=giver or 0,
            detail={"released_at": previous.at.isoformat(), "claimed_at": event.at.isoformat()},
        )
    elif (
        via_pool
        and giver is not None
        and giver != event.to_owner_id
        and previous.reason == OwnerChange.RELEASE.value
    ):
        hours = round((event.at - previous.at).total_seconds() / 3600, 1)
        _flag(
            session,
            kind="handoff_after_release",
            event=event,
            from_id=giver,
            detail={"released_at": previous.at.isoformat(), "hours_between": hours},
        )
    if giver is None or giver == event.to_owner_id:
        return
    since = event.at - PING_PONG_WINDOW
    if _handoffs_between(session, giver, event.to_owner_id, since) >= PING_PONG_MIN:
        already = session.scalar(
            sa.select(CollusionFlag.id)
            .where(
                CollusionFlag.kind == "ping_pong",
                CollusionFlag.detected_at >= since,
                sa.or_(
                    sa.and_(
                        CollusionFlag.from_staff_id == giver,
                        CollusionFlag.to_staff_id == event.to_owner_id,
                    ),
                    sa.and_(
                        CollusionFlag.from_staff_id == event.to_owner_id,
                        CollusionFlag.to_staff_id == giver,
                    ),
                ),
            )
            .limit(1)
        )
        if already is None:
            _flag(
                session,
                kind="ping_pong",
                event=event,
                from_id=giver,
                detail={"window_days": PING_PONG_WINDOW.days, "min_handoffs": PING_PONG_MIN},
            )


def list_flags(session: Session, principal: Principal, *, limit: int = 100) -> list[CollusionFlag]:
    """Flags involving any rep in the principal's subtree, newest first."""
    stmt = sa.select(CollusionFlag).where(
        sa.or_(
            node_in_scope(CollusionFlag.from_node_id, principal),
            node_in_scope(CollusionFlag.to_node_id, principal),
        )
    )
    return list(session.scalars(stmt.order_by(CollusionFlag.detected_at.desc()).limit(limit)))
