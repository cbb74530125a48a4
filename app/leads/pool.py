"""Lead ownership: the one path through which an owner ever changes.

`change_owner` applies the pool rules, updates the lead with a conditional UPDATE (so of
fifty simultaneous claims exactly one wins), writes the owner history and runs the
collusion checks. Claim, release, transfer, admin assignment, recycling and HR's leaver
handling are thin callers of it.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Iterable
from datetime import datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.db import utcnow
from app.errors import Conflict, Forbidden, Problem
from app.leads import collusion, rules
from app.leads.models import OPEN_STAGES, Lead, LeadOwnerEvent, OwnerChange
from app.org.models import OrgNode, Role, Staff
from app.org.scope import Principal


class OutOfTerritory(Problem):
    status = 403
    code = "out_of_territory"
    title = "The lead is outside your territories"


class AlreadyClaimed(Conflict):
    code = "already_claimed"
    title = "Someone else owns this lead"


class ClaimRefused(Conflict):
    code = "lead.claim_refused"
    title = "A pool rule forbids this claim now"


class NotOwner(Forbidden):
    code = "lead.not_owner"
    title = "Only the owner (or a team lead above them) may do this"


class InvalidOwner(Problem):
    status = 422
    code = "lead.invalid_owner"
    title = "The new owner is not an active rep whose territories contain the lead"


@functools.cache
def _statements() -> dict[str, Any]:
    """The pool-rule statements, built once: building one costs more than running it here."""
    rep_id, lead_ids = sa.bindparam("rep_id"), sa.bindparam("lead_ids", expanding=True)
    return {
        "path": sa.select(OrgNode.path).where(OrgNode.id == sa.bindparam("node_id")),
        "chain": sa.select(OrgNode.id, OrgNode.settings).where(
            OrgNode.id.in_(sa.bindparam("ids", expanding=True))
        ),
        "held": sa.select(sa.func.count())
        .select_from(Lead)
        .where(Lead.owner_id == rep_id, Lead.stage.in_(OPEN_STAGES)),
        "claims_since": sa.select(sa.func.count())
        .select_from(LeadOwnerEvent)
        .where(
            LeadOwnerEvent.to_owner_id == rep_id,
            LeadOwnerEvent.reason == OwnerChange.CLAIM.value,
            LeadOwnerEvent.at >= sa.bindparam("since"),
        ),
        "losses": sa.select(LeadOwnerEvent.lead_id, sa.func.max(LeadOwnerEvent.at))
        .where(LeadOwnerEvent.from_owner_id == rep_id, LeadOwnerEvent.lead_id.in_(lead_ids))
        .group_by(LeadOwnerEvent.lead_id),
    }


def rules_for_node(session: Session, node_id: int | None) -> rules.PoolRules:
    """Pool rules in force at a node: defaults overridden from the root down."""
    if node_id is None:
        return rules.PoolRules()
    statements = _statements()
    path = session.scalar(statements["path"], {"node_id": node_id}) or "/"
    ids = [int(part) for part in path.strip("/").split("/") if part]
    chain = dict(session.execute(statements["chain"], {"ids": ids}).all())
    return rules.resolve((chain.get(i) or {}).get("pool", {}) for i in ids)


def _day_start(staff_tz: str, now: datetime) -> datetime:
    try:
        tz = zoneinfo.ZoneInfo(staff_tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("UTC")
    local = now.astimezone(tz)
    return datetime.combine(local.date(), time(0), tzinfo=tz)


def claim_context(
    session: Session, *, rep: Staff, lead_ids: Iterable[str], now: datetime
) -> tuple[int, int, dict[str, datetime]]:
    """(open leads held, claims today, {lead id: when this rep last lost it})."""
    statements = _statements()
    held = session.scalar(statements["held"], {"rep_id": rep.id})
    claims_today = session.scalar(
        statements["claims_since"],
        {"rep_id": rep.id, "since": _day_start(rep.timezone, now)},
    )
    ids = list(lead_ids)
    losses = (
        dict(session.execute(statements["losses"], {"rep_id": rep.id, "lead_ids": ids}).all())
        if ids
        else {}
    )
    return held or 0, claims_today or 0, losses


def _rep_covers(session: Session, rep: Staff, lead: Lead) -> bool:
    """True when the lead lies in a territory of the rep's own subtree."""
    if lead.territory_id is None or lead.org_node_id is None or rep.org_node_id is None:
        return False
    rep_path = session.scalar(sa.select(OrgNode.path).where(OrgNode.id == rep.org_node_id))
    lead_path = session.scalar(sa.select(OrgNode.path).where(OrgNode.id == lead.org_node_id))
    return bool(rep_path and lead_path and lead_path.startswith(rep_path))


def change_owner(
    session: Session,
    *,
    lead: Lead,
    to_owner: Staff | None,
    actor_id: int | None,
    reason: OwnerChange,
    expected_owner_id: int | None,
    note: str | None = None,
    now: datetime | None = None,
) -> Lead:
    """Move a lead from `expected_owner_id` to `to_owner`, atomically, with history.

    Raises AlreadyClaimed (409) when the owner changed under us (a concurrent claim won).
    Claim-rule checks are the caller's job (they differ per reason); territory coverage of
    the new owner is checked here for every reason.
    """
    now = now or utcnow()
    pool_rules = rules_for_node(session, lead.org_node_id)
    if to_owner is not None:
        if not to_owner.active or to_owner.role != Role.REP.value:
            raise InvalidOwner(f"Staff {to_owner.id} is not an active rep.")
        if not _rep_covers(session, to_owner, lead):
            raise OutOfTerritory(
                f"Lead {lead.id} is outside the territories of staff {to_owner.id}."
            )
    near_recycle = (
        to_owner is None
        and lead.claimed_at is not None
        and rules.reminder_due(
            pool_rules,
            due_at=rules.recycle_due_at(
                pool_rules,
                claimed_at=lead.claimed_at,
                last_verified_at=lead.last_verified_at,
                protected_until=lead.protected_until,
            ),
            now=now,
        )
    )
    values: dict[str, Any] = {"owner_id": to_owner.id if to_owner else None, "updated_at": now}
    if to_owner is None:
        values.update(claimed_at=None, protected_until=None, released_at=now)
    else:
        values.update(
            claimed_at=now,
            protected_until=rules.protection_after_claim(pool_rules, now),
            last_verified_at=None,
        )
    owner_is = (
        Lead.owner_id.is_(None) if expected_owner_id is None else Lead.owner_id == expected_owner_id
    )
    updated = session.execute(
        sa.update(Lead)
        .where(Lead.id == lead.id, owner_is)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if updated.rowcount != 1:
        raise AlreadyClaimed(f"Lead {lead.id} was claimed by someone else first.")
    event = LeadOwnerEvent(
        lead_id=lead.id,
        from_owner_id=expected_owner_id,
        to_owner_id=to_owner.id if to_owner else None,
        actor_id=actor_id,
        reason=reason.value,
        note=note,
        near_recycle=near_recycle,
        at=now,
    )
    session.add(event)
    session.flush()
    session.refresh(lead)
    collusion.inspect(session, event=event, rules=pool_rules)
    return lead


def claim(
    session: Session, principal: Principal, *, lead: Lead, now: datetime | None = None
) -> Lead:
    """A rep takes a public-pool lead inside their territories, if the pool rules allow.

    Raises OutOfTerritory (403), AlreadyClaimed (409), ClaimRefused (409, with `reason`).
    """
    now = now or utcnow()
    rep = session.get(Staff, principal.staff_id, with_for_update=True)  # serializes my claims
    if rep is None or rep.role != Role.REP.value:
        raise Forbidden("Only reps claim leads; team leads assign them.")
    if lead.owner_id is not None:
        raise AlreadyClaimed(f"Lead {lead.id} already has an owner.")
    if not _rep_covers(session, rep, lead):
        raise OutOfTerritory(f"Lead {lead.id} is outside your territories.")
    held, today, losses = claim_context(session, rep=rep, lead_ids=[lead.id], now=now)
    ctx = rules.ClaimContext(now, held, today, lead.released_at, losses.get(lead.id))
    refusal = rules.claim_refusal(rules_for_node(session, lead.org_node_id), ctx)
    if refusal:
        raise ClaimRefused(refusal[1], reason=refusal[0])
    return change_owner(
        session,
        lead=lead,
        to_owner=rep,
        actor_id=rep.id,
        reason=OwnerChange.CLAIM,
        expected_owner_id=None,
        now=now,
    )


def release(session: Session, principal: Principal, *, lead: Lead, note: str | None = None) -> Lead:
    """The owner (or a manager above them) returns a lead to the public pool."""
    if lead.owner_id is None:
        raise Conflict(f"Lead {lead.id} is already in the public pool.")
    if lead.owner_id != principal.staff_id and principal.role == Role.REP:
        raise NotOwner()
    return change_owner(
        session,
        lead=lead,
        to_owner=None,
        actor_id=principal.staff_id,
        reason=OwnerChange.RELEASE,
        expected_owner_id=lead.owner_id,
        note=note,
    )


def transfer(
    session: Session, principal: Principal, *, lead: Lead, to_staff_id: int, note: str | None
) -> Lead:
    """A team lead or admin hands a lead to a rep in scope (claim caps do not apply)."""
    if principal.role not in (Role.TEAM_LEAD, Role.ADMIN):
        raise Forbidden("Only team leads and admins transfer or assign leads.")
    target = session.get(Staff, to_staff_id)
    target_path = (
        session.scalar(sa.select(OrgNode.path).where(OrgNode.id == target.org_node_id))
        if target is not None and target.org_node_id is not None
        else None
    )
    if target is None or not (target_path and principal.sees_path(target_path)):
        raise InvalidOwner(f"Staff {to_staff_id} is not a rep in your subtree.")
    reason = OwnerChange.ASSIGN if lead.owner_id is None else OwnerChange.TRANSFER
    return change_owner(
        session,
        lead=lead,
        to_owner=target,
        actor_id=principal.staff_id,
        reason=reason,
        expected_owner_id=lead.owner_id,
        note=note,
    )


def record_verified_activity(
    session: Session, *, lead: Lead, at: datetime, pool_rules: rules.PoolRules | None = None
) -> None:
    """A verified visit resets the recycle clock and extends owner protection (not flushed).

    `pool_rules` are the rules at the lead's node when the caller has read them already.
    """
    lead.last_verified_at = max(lead.last_verified_at or at, at)
    if lead.owner_id is not None and lead.claimed_at is not None:
        lead.protected_until = rules.protection_after_activity(
            pool_rules or rules_for_node(session, lead.org_node_id),
            claimed_at=lead.claimed_at,
            current=lead.protected_until,
            activity_at=at,
        )


def recycle_expired(session: Session, *, now: datetime | None = None, progress: Any = None) -> int:
    """Return every owned open lead whose recycle time has passed to the pool.

    Safe to run concurrently and repeatedly: each lead moves only if its owner is still the
    one we saw (the conditional update in change_owner), and a lost race is skipped.
    `progress(n)` is called per examined lead (the CLI shows a bar).
    """
    now = now or utcnow()
    recycled = 0
    candidates = session.scalars(
        sa.select(Lead)
        .where(
            Lead.owner_id.is_not(None), Lead.stage.in_(OPEN_STAGES), Lead.claimed_at.is_not(None)
        )
        .order_by(Lead.claimed_at)
    )
    for lead in list(candidates):
        if progress is not None:
            progress(1)
        pool_rules = rules_for_node(session, lead.org_node_id)
        due = rules.recycle_due_at(
            pool_rules,
            claimed_at=lead.claimed_at,  # type: ignore[arg-type]
            last_verified_at=lead.last_verified_at,
            protected_until=lead.protected_until,
        )
        if due > now:
            continue
        try:
            with session.begin_nested():
                change_owner(
                    session,
                    lead=lead,
                    to_owner=None,
                    actor_id=None,
                    reason=OwnerChange.RECYCLE,
                    expected_owner_id=lead.owner_id,
                    note=f"due {due:%Y-%m-%d}",
                    now=now,
                )
            recycled += 1
        except AlreadyClaimed:
            continue  # another run (or a release) got there first
    return recycled


def release_all(
    session: Session, *, staff_id: int, actor_id: int | None, reason: OwnerChange
) -> int:
    """Every open lead of a person back to the pool (HR leavers), through the one path."""
    leads = session.scalars(
        sa.select(Lead).where(Lead.owner_id == staff_id, Lead.stage.in_(OPEN_STAGES))
    ).all()
    for lead in leads:
        change_owner(
            session,
            lead=lead,
            to_owner=None,
            actor_id=actor_id,
            reason=reason,
            expected_owner_id=staff_id,
        )
    return len(leads)


def transfer_all(
    session: Session, *, staff_id: int, to_owner: Staff, actor_id: int | None, reason: OwnerChange
) -> tuple[int, int]:
    """Every open lead of a person to another rep (HR leavers whose node says so).

    A lead the new owner may not hold (not an active rep, outside their territories) goes to
    the pool instead. Returns (transferred, released).
    """
    leads = session.scalars(
        sa.select(Lead).where(Lead.owner_id == staff_id, Lead.stage.in_(OPEN_STAGES))
    ).all()
    moved = 0
    for lead in leads:
        try:
            change_owner(
                session,
                lead=lead,
                to_owner=to_owner,
                actor_id=actor_id,
                reason=reason,
                expected_owner_id=staff_id,
            )
            moved += 1
        except (InvalidOwner, OutOfTerritory):  # raised before anything is written
            change_owner(
                session,
                lead=lead,
                to_owner=None,
                actor_id=actor_id,
                reason=reason,
                expected_owner_id=staff_id,
            )
    return moved, len(leads) - moved
