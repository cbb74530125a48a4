"""Pushed visits: offline check-ins (assessed like online ones), check-outs, notes."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.errors import NotFound, Problem
from app.org.scope import Principal
from app.sync.records import (
    InvalidRecord,
    PushOutcome,
    changed_columns,
    iso_time,
    load_record,
    log_conflict,
)
from app.visits import bulk
from app.visits import service as visits
from app.visits.schemas import CheckInSchema, CheckOutSchema

VISIT_TEXT = ("notes", "outcome", "next_step")


def _visit_in(raw: dict[str, Any]) -> dict[str, Any]:
    fix = None
    if raw.get("fix_lat") is not None and raw.get("fix_lon") is not None:
        fix = {
            "lat": raw["fix_lat"],
            "lon": raw["fix_lon"],
            "datum": raw.get("fix_datum") or "wgs84",
            "accuracy_m": raw.get("fix_accuracy_m"),
            "altitude_m": raw.get("fix_altitude_m"),
            "vertical_accuracy_m": raw.get("fix_vertical_accuracy_m"),
            "speed_mps": raw.get("fix_speed_mps"),
            "bearing_deg": raw.get("fix_bearing_deg"),
            "provider": raw.get("fix_provider"),
            "fix_time": iso_time(raw.get("fix_time")),
            "is_mock": bool(raw.get("fix_is_mock")),
            "satellites": raw.get("fix_satellites"),
        }
        fix = {k: v for k, v in fix.items() if v is not None}
    data: dict[str, Any] = {
        "id": raw["id"],
        "lead_id": raw.get("lead_id"),
        "device_id": raw.get("device_id"),
        "captured_at": iso_time(raw.get("captured_at")),
        "captured_offline": bool(raw.get("captured_offline", True)),
        "upload_device_time": iso_time(raw.get("upload_device_time")),
        "fix": fix,
        "notes": raw.get("notes"),
        "outcome": raw.get("outcome"),
        "next_step": raw.get("next_step"),
    }
    for key in (
        "capture_elapsed_ms",
        "capture_boot_count",
        "upload_elapsed_ms",
        "upload_boot_count",
    ):
        data[key] = raw.get(key)
    for key in ("series", "wifi_bssids", "cell_ids"):
        text = raw.get(f"{key}_json")
        if text:
            try:
                data[key] = json.loads(text)
            except (TypeError, ValueError):
                raise InvalidRecord(f"{key}_json is not JSON") from None
    return data


def created(
    session: Session,
    principal: Principal,
    raw: dict[str, Any],
    cursor: int,
    outcome: PushOutcome,
    now: datetime,
) -> None:
    visit_in = load_record(CheckInSchema(), _visit_in(raw))
    visit, _created = visits.check_in(session, principal, visit_in=visit_in, now=now)
    if raw.get("checked_out_at") and visit.checked_out_at is None:
        checkout = load_record(CheckOutSchema(), {"captured_at": iso_time(raw["checked_out_at"])})
        visits.check_out(session, principal, visit_id=visit.id, checkout_in=checkout, now=now)
    outcome.hold("visits", visit.id)


def created_many(
    session: Session,
    principal: Principal,
    raws: list[dict[str, Any]],
    cursor: int,
    outcome: PushOutcome,
    now: datetime,
) -> dict[str, Problem]:
    """Check in a push's new visits together (app/visits/bulk); returns the refused ones by id.

    The same as `created` for each record in turn, with a few statements for all of them.
    """
    refused: dict[str, Problem] = {}
    check_in_schema, check_out_schema = CheckInSchema(), CheckOutSchema()
    loaded: list[tuple[dict[str, Any], bulk.CheckIn]] = []
    for raw in raws:
        try:
            visit_in = load_record(check_in_schema, _visit_in(raw))
            checkout = raw.get("checked_out_at") and load_record(
                check_out_schema, {"captured_at": iso_time(raw["checked_out_at"])}
            )
        except Problem as problem:
            refused[raw["id"]] = problem
            continue
        loaded.append((raw, bulk.CheckIn(visit_in, checkout["captured_at"] if checkout else None)))
    results = bulk.check_in_many(session, principal, [c for _raw, c in loaded], now=now)
    for (raw, check_in), result in zip(loaded, results, strict=True):
        if isinstance(result, Problem):
            refused[raw["id"]] = result
            continue
        visit, created = result
        if not created and check_in.checked_out_at and visit.checked_out_at is None:
            try:  # a retry that now carries the check-out
                with session.begin_nested():
                    visits.check_out(
                        session,
                        principal,
                        visit_id=visit.id,
                        checkout_in={"captured_at": check_in.checked_out_at},
                        now=now,
                    )
            except Problem as problem:
                refused[raw["id"]] = problem
                continue
        outcome.hold("visits", visit.id)
        outcome.applied += 1
    return refused


def updated(
    session: Session,
    principal: Principal,
    raw: dict[str, Any],
    cursor: int,
    outcome: PushOutcome,
    now: datetime,
) -> None:
    visit = visits.get_visit(session, principal, visit_id=raw["id"])
    if visit.rep_id != principal.staff_id:
        raise NotFound(f"Visit {raw['id']} not found.")
    columns = changed_columns(raw, (*VISIT_TEXT, "checked_out_at"))
    versions = visit.col_versions or {}
    if isinstance(versions, str):
        versions = json.loads(versions)
    if "checked_out_at" in columns and raw["checked_out_at"] and visit.checked_out_at is None:
        checkout = load_record(CheckOutSchema(), {"captured_at": iso_time(raw["checked_out_at"])})
        visits.check_out(session, principal, visit_id=visit.id, checkout_in=checkout, now=now)
    for column in (c for c in columns if c in VISIT_TEXT):
        client, server = raw[column], getattr(visit, column)
        if client == server:
            continue
        if int(versions.get(column) or 0) > cursor:
            log_conflict(
                outcome, "visits", visit.id, column, client, server, "client", "later_arrival"
            )
        if client is not None and not isinstance(client, str):
            raise InvalidRecord(f"{column} must be text")
        setattr(visit, column, client)
    visit.updated_at = now
    session.flush()
    outcome.hold("visits", visit.id)
