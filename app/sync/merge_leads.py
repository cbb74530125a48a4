"""Pushed leads: create, per-column merge (pool rules, stage rules, later arrival), delete."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.leads import pool
from app.leads import service as leads
from app.leads.models import Lead, Stage
from app.org.scope import Principal
from app.sync.records import (
    DeleteRefused,
    PushOutcome,
    changed_columns,
    load_record,
    log_conflict,
    restamp,
)
from app.visits.models import Visit

LEAD_TEXT = ("name", "contact_person", "phone", "address")
LEAD_EDITABLE = (*LEAD_TEXT, "stage", "lat", "lon", "owner_id")
STAGE_RANK = {Stage.NEW: 0, Stage.CONTACTED: 1, Stage.QUALIFIED: 2, Stage.WON: 3, Stage.LOST: 3}
TERMINAL = {Stage.WON.value, Stage.LOST.value}


def _location_in(raw: dict[str, Any]) -> dict[str, Any]:
    return {"lat": raw.get("lat"), "lon": raw.get("lon"), "datum": raw.get("datum") or "wgs84"}


def created(
    session: Session,
    principal: Principal,
    raw: dict[str, Any],
    cursor: int,
    outcome: PushOutcome,
    now: datetime,
) -> None:
    existing = session.get(Lead, raw["id"])
    if existing is not None and existing.created_by_id == principal.staff_id:
        updated(session, principal, raw, cursor, outcome, now)  # a retried create
        return
    fields = {k: raw.get(k) for k in ("id", "name", "contact_person", "phone", "address", "stage")}
    from app.leads.schemas import LeadCreateSchema

    lead_in = load_record(LeadCreateSchema(), {**fields, **_location_in(raw)})
    leads.create_lead(session, principal, lead_in=lead_in)
    outcome.hold("leads", raw["id"])


def _stage_winner(server: str, client: str) -> str:
    if server in TERMINAL:
        return "server"
    if client in TERMINAL:
        return "client"
    return "client" if STAGE_RANK[Stage(client)] >= STAGE_RANK[Stage(server)] else "server"


def _lead_owner(
    session: Session, principal: Principal, lead: Lead, wanted: Any, outcome: PushOutcome
) -> bool:
    """Apply an offline claim or release; False when the server's owner stands."""
    wanted_id = None if wanted in (None, "") else str(wanted)
    if wanted_id == (str(lead.owner_id) if lead.owner_id is not None else None):
        return True
    try:
        if wanted_id == str(principal.staff_id) and lead.owner_id is None:
            pool.claim(session, principal, lead=lead)
            return True
        if wanted_id is None and lead.owner_id == principal.staff_id:
            pool.release(session, principal, lead=lead, note="released offline")
            return True
    except (pool.AlreadyClaimed, pool.ClaimRefused, pool.OutOfTerritory) as refused:
        log_conflict(
            outcome,
            "leads",
            lead.id,
            "owner_id",
            wanted_id,
            lead.owner_id,
            "server",
            f"pool_rules:{refused.code}",
        )
        return False
    log_conflict(
        outcome,
        "leads",
        lead.id,
        "owner_id",
        wanted_id,
        lead.owner_id,
        "server",
        "pool_rules:not_yours",
    )
    return False


def _lost_claim(
    session: Session, principal: Principal, raw: dict[str, Any], outcome: PushOutcome
) -> bool:
    """An offline claim of a lead someone else claimed first (so no longer visible): it loses
    by the pool rules and is logged as a conflict, not refused as "not found"."""
    wanted = raw.get("owner_id")
    if "owner_id" not in changed_columns(raw, LEAD_EDITABLE) or wanted in (None, ""):
        return False
    if str(wanted) != str(principal.staff_id):
        return False
    try:
        leads.get_lead_to_claim(session, principal, lead_id=raw["id"])
    except pool.AlreadyClaimed as refused:
        owner = session.scalar(sa.select(Lead.owner_id).where(Lead.id == raw["id"]))
        log_conflict(
            outcome,
            "leads",
            raw["id"],
            "owner_id",
            str(wanted),
            owner,
            "server",
            f"pool_rules:{refused.code}",
        )
        return True
    except NotFound:
        return False
    return False


def updated(
    session: Session,
    principal: Principal,
    raw: dict[str, Any],
    cursor: int,
    outcome: PushOutcome,
    now: datetime,
) -> None:
    try:
        lead = leads.get_lead(session, principal, lead_id=raw["id"])
    except NotFound:
        if _lost_claim(session, principal, raw, outcome):
            return
        raise
    versions = lead.col_versions or {}
    if isinstance(versions, str):
        versions = json.loads(versions)
    lost = False
    columns = changed_columns(raw, LEAD_EDITABLE)
    if "owner_id" in columns:
        lost |= not _lead_owner(session, principal, lead, raw["owner_id"], outcome)
        session.refresh(lead)
    changes: dict[str, Any] = {}
    for column in (c for c in columns if c != "owner_id"):
        client, server = raw[column], getattr(lead, column)
        if client == server:
            continue
        clash = int(versions.get(column) or 0) > cursor
        if clash and column == "stage":
            winner = _stage_winner(server, client) if client in STAGE_RANK else "server"
            log_conflict(outcome, "leads", lead.id, column, client, server, winner, "stage_rules")
            if winner == "server":
                lost = True
                continue
        elif clash:
            log_conflict(
                outcome, "leads", lead.id, column, client, server, "client", "later_arrival"
            )
        changes[column] = client
    if {"lat", "lon"} & changes.keys():
        changes.update(_location_in({**{"lat": lead.lat, "lon": lead.lon}, **raw, **changes}))
    if changes:
        from app.leads.schemas import LeadUpdateSchema

        leads.update_lead(
            session, principal, lead_id=lead.id, lead_in=load_record(LeadUpdateSchema(), changes)
        )
    if lost:
        restamp(session, Lead, lead.id, now)
    outcome.hold("leads", lead.id)


def deleted(
    session: Session,
    principal: Principal,
    record_id: Any,
    cursor: int,
    outcome: PushOutcome,
    now: datetime,
) -> None:
    lead = session.get(Lead, record_id)
    if lead is None or lead.deleted_at is not None:
        outcome.hold("leads", record_id, removed=True)
        return
    lead = leads.get_lead(session, principal, lead_id=record_id)
    if lead.created_by_id != principal.staff_id or lead.owner_id not in (None, principal.staff_id):
        raise DeleteRefused("Only a lead you created and still hold can be deleted.")
    has_visits = session.scalar(sa.select(sa.func.count()).where(Visit.lead_id == lead.id))
    if has_visits:
        raise DeleteRefused("A lead with visits cannot be deleted; mark it lost instead.")
    lead.deleted_at, lead.updated_at = now, now
    session.flush()
    outcome.hold("leads", record_id, removed=True)
