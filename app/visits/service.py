"""Visit use cases: check in, check out, read, list, review.

Rules:
- A visit is logged only for a lead inside the territories of the principal's subtree.
- Check-in is idempotent by the client id: a retry returns the stored visit.
- Outside the rep's working hours, or without a standing location consent, no coordinates
  or device location evidence are stored at all; the visit is `unverified` and says why.
- Every visit is assessed by the spoof checks; only a `verified` final verdict counts as a
  follow-up that resets the lead's recycle clock.
- Team leads review suspicious visits in their subtree; each review is audited.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import spatial
from app.auth.models import Device
from app.db import utcnow
from app.errors import Conflict, Forbidden, NotFound, Problem
from app.leads import pool
from app.leads import service as leads
from app.leads.models import Lead
from app.org.hours import is_working_time
from app.org.models import Role, Staff
from app.org.scope import Principal, node_in_scope
from app.org.staff import current_consent
from app.visits import assessment
from app.visits.models import WRITTEN_COLUMNS, Verdict, Visit, VisitReview
from sync.params import in_values

LOCATION_KEYS = ("series", "wifi_bssids", "cell_ids")


class VisitIdTaken(Conflict):
    code = "visit.id_taken"
    title = "Another person's visit already uses this id"


class AlreadyCheckedOut(Conflict):
    code = "visit.already_checked_out"
    title = "This visit was already checked out"


class InvalidFix(Problem):
    status = 422
    code = "visit.invalid_fix"
    title = "A location fix cannot be used"


def _fix_json(fix_in: dict[str, Any] | None) -> dict[str, Any] | None:
    """A validated fix with WGS-84 coordinates, as JSON (raw coordinate and datum kept)."""
    if not fix_in:
        return None
    try:
        loc = leads.to_location(fix_in["lat"], fix_in["lon"], fix_in.get("datum", "wgs84"))
    except leads.InvalidLocation as exc:
        raise InvalidFix(exc.detail) from None
    data = {k: v for k, v in fix_in.items() if k not in ("lat", "lon", "datum") and v is not None}
    data["fix_time"] = fix_in["fix_time"].isoformat()
    return {
        **data,
        "lat": loc.lat,
        "lon": loc.lon,
        "raw_lat": loc.raw_lat,
        "raw_lon": loc.raw_lon,
        "datum": loc.datum,
    }


def _payload_hash(visit_in: dict[str, Any]) -> str | None:
    """Hash of the location evidence without the visit id: the same payload replayed under a
    new id has the same hash."""
    if not visit_in.get("fix"):
        return None
    evidence = {k: visit_in.get(k) for k in ("fix", "series", "captured_at", "capture_elapsed_ms")}
    canonical = json.dumps(_canonical(evidence), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _canonical(value: Any) -> Any:
    """Times in UTC and no nulls: re-serialising the same evidence must not change its hash."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def _gate(staff: Staff, consented: bool, at: datetime) -> str | None:
    """Why location must not be collected at `at`, or None."""
    if not consented:
        return "no_location_consent"
    if not is_working_time(staff.working_hours or {}, staff.timezone, at):
        return "outside_working_hours"
    return None


def visible(principal: Principal) -> sa.ColumnElement[bool]:
    """Reps see their own visits; managers the visits stamped with a node in their subtree."""
    if principal.role == Role.REP:
        return Visit.rep_id == principal.staff_id
    return node_in_scope(Visit.org_node_id, principal)


def get_visit(session: Session, principal: Principal, *, visit_id: str) -> Visit:
    """One visible visit, or NotFound."""
    visit = session.scalars(
        sa.select(Visit).where(Visit.id == visit_id, visible(principal))
    ).first()
    if visit is None:
        raise NotFound(f"Visit {visit_id} not found.")
    return visit


def refresh_lead_activity(session: Session, lead: Lead) -> None:
    """Derive the lead's last verified follow-up from its verified visits since the claim."""
    refresh_leads_activity(session, [lead])


def refresh_leads_activity(session: Session, leads_: Iterable[Lead]) -> None:
    """refresh_lead_activity for many leads: one query, pool rules read once per node."""
    by_id = {lead.id: lead for lead in leads_}
    if not by_id:
        return
    session.flush()  # the visits just logged count
    stmt = (
        sa.select(Visit.lead_id, sa.func.max(Visit.visited_at))
        .join(Lead, Lead.id == Visit.lead_id)
        .where(
            in_values(session.get_bind().dialect.name, Visit.lead_id, "lead_ids"),
            sa.func.coalesce(Visit.review_verdict, Visit.verdict) == Verdict.VERIFIED.value,
            sa.or_(Lead.owner_id.is_(None), Visit.rep_id == Lead.owner_id),
            sa.or_(Lead.claimed_at.is_(None), Visit.visited_at >= Lead.claimed_at),
        )
        .group_by(Visit.lead_id)
    )
    latest: dict[str, datetime] = {}
    ids = sorted(by_id)
    for i in range(0, len(ids), 1_000):
        latest.update(session.execute(stmt, {"lead_ids": ids[i : i + 1_000]}).all())
    pool_rules: dict[int | None, Any] = {}
    for lead_id, lead in by_id.items():
        last = latest.get(lead_id)
        if last == lead.last_verified_at:
            continue
        if last is None or (lead.last_verified_at is not None and last < lead.last_verified_at):
            lead.last_verified_at = last  # a verdict was overturned: the clock goes back
            continue
        if lead.org_node_id not in pool_rules:
            pool_rules[lead.org_node_id] = pool.rules_for_node(session, lead.org_node_id)
        pool.record_verified_activity(
            session, lead=lead, at=last, pool_rules=pool_rules[lead.org_node_id]
        )
    session.flush()


def check_in(
    session: Session, principal: Principal, *, visit_in: dict[str, Any], now: datetime | None = None
) -> tuple[Visit, bool]:
    """Log a visit (idempotent by id); returns (visit, created).

    Raises NotFound (lead not visible), OutOfTerritory (403), VisitIdTaken (409), InvalidFix.
    """
    now = now or utcnow()
    existing = session.get(Visit, visit_in["id"])
    if existing is not None:
        if existing.rep_id != principal.staff_id:
            raise VisitIdTaken(f"Visit id {visit_in['id']!r} is taken.")
        return existing, False
    lead = leads.get_lead(session, principal, lead_id=visit_in["lead_id"])
    leads.require_in_territory(session, principal, lead)
    staff = session.get(Staff, principal.staff_id)
    if staff is None:
        raise Forbidden()
    visit = new_visit(
        staff,
        lead,
        visit_in,
        consented=current_consent(session, staff_id=staff.id) is not None,
        device_id=visit_in.get("device_id") or token_device(session, principal),
        now=now,
    )
    session.add(visit)
    assessment.assess(session, visit, lead, now=now)  # flushes the visit with its verdict
    refresh_lead_activity(session, lead)
    return visit, True


def new_visit(
    staff: Staff,
    lead: Lead,
    visit_in: dict[str, Any],
    *,
    consented: bool,
    device_id: str,
    now: datetime,
    checked_out_at: datetime | None = None,
) -> Visit:
    """The Visit a check-in stores (not yet added or assessed): see visit_columns."""
    columns = visit_columns(
        staff,
        lead,
        visit_in,
        consented=consented,
        device_id=device_id,
        now=now,
        checked_out_at=checked_out_at,
    )
    return Visit(**{key: value for key, value in columns.items() if value is not None})


def visit_columns(
    staff: Staff,
    lead: Lead,
    visit_in: dict[str, Any],
    *,
    consented: bool,
    device_id: str,
    now: datetime,
    checked_out_at: datetime | None = None,
) -> dict[str, Any]:
    """Every written column of the visit a check-in stores (None where empty): server times,
    the privacy gate, the fix and evidence in WGS-84. Raises InvalidFix. `checked_out_at`
    closes it at once (an offline visit pushed after its check-out)."""
    # Device times in UTC, as every later read returns them: a retry gets the same body.
    captured_at = visit_in["captured_at"].astimezone(UTC)
    upload_time = visit_in.get("upload_device_time")
    upload_time = upload_time.astimezone(UTC) if upload_time else None
    offset = (upload_time - now) if upload_time else None
    visited_at = captured_at - offset if offset is not None else captured_at
    visited_at = min(visited_at, now)
    reason = _gate(staff, consented, visited_at)
    fix = None if reason else _fix_json(visit_in.get("fix"))
    row: dict[str, Any] = dict.fromkeys(c.key for c in WRITTEN_COLUMNS)
    row.update(
        id=visit_in["id"],
        rep_id=staff.id,
        lead_id=lead.id,
        org_node_id=staff.org_node_id,
        territory_id=lead.territory_id,
        device_id=device_id,
        visited_at=visited_at,
        captured_at=captured_at,
        received_at=now,
        captured_offline=visit_in.get("captured_offline", False),
        upload_device_time=upload_time,
        notes=visit_in.get("notes"),
        outcome=visit_in.get("outcome"),
        next_step=visit_in.get("next_step"),
        location_collected=reason is None,
        location_not_collected_reason=reason,
        verdict=Verdict.UNVERIFIED.value,
        score=0,
        findings=[],
        assessed_at=now,
        created_at=now,
        updated_at=now,
    )
    if checked_out_at is not None:
        row["checked_out_at"], row["checkout_received_at"] = checked_out_at.astimezone(UTC), now
    if reason is None:
        for key in (
            "capture_elapsed_ms",
            "capture_boot_count",
            "upload_elapsed_ms",
            "upload_boot_count",
        ):
            row[key] = visit_in.get(key)
        row["payload_hash"] = _payload_hash(visit_in)
        row["evidence"] = {
            "series": [f for f in map(_fix_json, visit_in.get("series") or []) if f],
            "wifi_bssids": visit_in.get("wifi_bssids") or [],
            "cell_ids": visit_in.get("cell_ids") or [],
        }
        if fix is not None:
            row.update(
                checkin_fix=fix,
                lat=fix["lat"],
                lon=fix["lon"],
                raw_lat=fix["raw_lat"],
                raw_lon=fix["raw_lon"],
                datum=fix["datum"],
                accuracy_m=fix.get("accuracy_m"),
                fix_time=datetime.fromisoformat(fix["fix_time"]),
                geom=spatial.point(fix["lon"], fix["lat"]),
            )
    return row


def token_device(session: Session, principal: Principal) -> str:
    """The device id of the caller's token (what a check-in without one was captured on)."""
    if principal.device_pk is None:
        return "unknown"
    return (
        session.scalar(sa.select(Device.device_id).where(Device.id == principal.device_pk))
        or "unknown"
    )


def check_out(
    session: Session,
    principal: Principal,
    *,
    visit_id: str,
    checkout_in: dict[str, Any],
    now: datetime | None = None,
) -> Visit:
    """Close a visit with its check-out time (and fix when allowed); re-assess it.

    A retried identical check-out returns the visit unchanged; a different one is a 409.
    """
    now = now or utcnow()
    visit = get_visit(session, principal, visit_id=visit_id)
    if visit.rep_id != principal.staff_id:
        raise Forbidden("Only the rep who checked in checks out.")
    if visit.checked_out_at is not None:
        if visit.checked_out_at == checkout_in["captured_at"]:
            return visit
        raise AlreadyCheckedOut()
    visit.checked_out_at = checkout_in["captured_at"].astimezone(UTC)
    visit.checkout_received_at = now
    if visit.location_collected:
        visit.checkout_fix = _fix_json(checkout_in.get("fix"))
    for field in ("notes", "outcome", "next_step"):
        if checkout_in.get(field) is not None:
            setattr(visit, field, checkout_in[field])
    visit.updated_at = now
    lead = session.get(Lead, visit.lead_id)
    assessment.assess(session, visit, lead, now=now)  # type: ignore[arg-type]
    refresh_lead_activity(session, lead)  # type: ignore[arg-type]
    return visit


def list_visits(
    session: Session,
    principal: Principal,
    *,
    rep_id: int | None = None,
    lead_id: str | None = None,
    verdict: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Visit], int]:
    """Visible visits, newest first, filtered by rep, lead, final verdict and time."""
    stmt = sa.select(Visit).where(visible(principal))
    if rep_id is not None:
        stmt = stmt.where(Visit.rep_id == rep_id)
    if lead_id is not None:
        stmt = stmt.where(Visit.lead_id == lead_id)
    if verdict is not None:
        stmt = stmt.where(sa.func.coalesce(Visit.review_verdict, Visit.verdict) == verdict)
    if since is not None:
        stmt = stmt.where(Visit.visited_at >= since)
    if until is not None:
        stmt = stmt.where(Visit.visited_at < until)
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(Visit.visited_at.desc(), Visit.id).limit(limit).offset(offset)
    )
    return list(rows), total


def suspicious(session: Session, principal: Principal, *, limit: int = 100) -> list[Visit]:
    """Suspicious or rejected visits in the subtree that no one has reviewed yet."""
    if principal.role not in (Role.TEAM_LEAD, Role.ADMIN):
        raise Forbidden("Only team leads and admins review visits.")
    stmt = sa.select(Visit).where(
        visible(principal),
        Visit.review_verdict.is_(None),
        Visit.verdict.in_([Verdict.SUSPICIOUS.value, Verdict.REJECTED.value]),
    )
    return list(session.scalars(stmt.order_by(Visit.visited_at.desc()).limit(limit)))


def review(
    session: Session, principal: Principal, *, visit_id: str, verdict: str, comment: str
) -> Visit:
    """Confirm or overturn a verdict with a comment (team leads above the rep; audited)."""
    if principal.role not in (Role.TEAM_LEAD, Role.ADMIN):
        raise Forbidden("Only team leads and admins review visits.")
    visit = get_visit(session, principal, visit_id=visit_id)
    if visit.rep_id == principal.staff_id:
        raise Forbidden("You cannot review your own visit.")
    now = utcnow()
    session.add(
        VisitReview(
            visit_id=visit.id,
            reviewer_id=principal.staff_id,
            from_verdict=visit.final_verdict,
            to_verdict=verdict,
            comment=comment,
            at=now,
        )
    )
    visit.review_verdict, visit.reviewed_by_id = verdict, principal.staff_id
    visit.reviewed_at, visit.review_comment, visit.updated_at = now, comment, now
    session.flush()
    lead = session.get(Lead, visit.lead_id)
    refresh_lead_activity(session, lead)  # type: ignore[arg-type]
    return visit


def reviews(session: Session, principal: Principal, *, visit_id: str) -> list[VisitReview]:
    """The review trail of a visible visit."""
    visit = get_visit(session, principal, visit_id=visit_id)
    stmt = sa.select(VisitReview).where(VisitReview.visit_id == visit.id)
    return list(session.scalars(stmt.order_by(VisitReview.at, VisitReview.id)))
