"""Sync use cases: pull and push for the authenticated device, plus their audit trails.

Pull: changes since the cursor inside the principal's scope (sync.engine); a changed scope
(org move, team change) compares every table in full, so records that left are deleted and
records that entered are created. Push: one transaction; every record in its own savepoint;
refused records are reported in `experimentalRejectedIds` and kept in sync_rejections;
columns merge per docs/sync.md and every override is kept in sync_conflicts.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.auth.models import Device
from app.db import utcnow
from app.errors import Forbidden, Problem
from app.org.scope import Principal
from app.sync import merge
from app.sync.models import SyncConflict, SyncDevice, SyncDeviceRecord, SyncPush, SyncRejection
from app.sync.tables import MIGRATIONS, SCHEMA_VERSION, STORE, specs_for
from app.visits import context as visit_context
from sync import engine

log = logging.getLogger("waypoint.sync")
PUSH_TABLES = ("leads", "visits")
READ_ONLY = ("me", "territories", "visit_photos")


class InvalidCursor(Problem):
    status = 422
    code = "sync.invalid_cursor"
    title = "last_pulled_at must be null or a positive integer returned by a pull"


class InvalidChanges(Problem):
    status = 422
    code = "sync.invalid_changes"
    title = "The changes object does not follow the WatermelonDB sync protocol"


class UnsupportedSchema(Problem):
    status = 422
    code = "sync.unsupported_schema"
    title = "This schema version or migration is unknown to the server"


@dataclass(frozen=True)
class PullAnswer:
    changes: dict[str, Any]
    timestamp: int
    strategy: str | None


def _device(session: Session, principal: Principal, now: datetime) -> SyncDevice:
    if principal.device_pk is None:
        raise Forbidden("Sync needs a device-bound access token.")
    device = session.get(SyncDevice, principal.device_pk, with_for_update=True)
    if device is None:
        device = SyncDevice(
            device_pk=principal.device_pk,
            staff_id=principal.staff_id,
            first_sync_at=now,
            last_sync_at=now,
        )
        previous = _previous_binding(session, principal)
        if previous is not None:
            device.last_pulled_version = previous.last_pulled_version
            device.scope_fingerprint = previous.scope_fingerprint
            device.schema_version = previous.schema_version
            device.first_sync_at = previous.first_sync_at
        session.add(device)
        session.flush()
        if previous is not None:
            for model in (SyncDeviceRecord, SyncPush):
                session.execute(
                    sa.update(model)
                    .where(model.device_pk == previous.device_pk)
                    .values(device_pk=device.device_pk)
                )
    return device


def _previous_binding(session: Session, principal: Principal) -> SyncDevice | None:
    """The sync state of this phone's earlier, unbound binding (same person, same device id).

    Unbinding a device and logging in again on it makes a new binding, but the phone keeps
    its local database and cursor: its holdings and push receipts move to the new binding,
    or its next pull would be a replacement sync that the client warns about per record.
    """
    this_phone = sa.select(Device.device_id).where(Device.id == principal.device_pk)
    stmt = (
        sa.select(SyncDevice)
        .join(Device, Device.id == SyncDevice.device_pk)
        .where(
            Device.staff_id == principal.staff_id,
            Device.device_id == this_phone.scalar_subquery(),
            Device.id != principal.device_pk,
            Device.unbound_at.is_not(None),
        )
        .order_by(SyncDevice.last_sync_at.desc(), SyncDevice.device_pk.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def fingerprint(principal: Principal) -> str:
    """Changes whenever what the principal may see changes shape (org moves, team change)."""
    basis = json.dumps([principal.role, principal.org_node_id, sorted(principal.roots)])
    return hashlib.sha256(basis.encode()).hexdigest()[:32]


def _migration_tables(migration: dict[str, Any] | None, schema_version: int) -> frozenset[str]:
    if schema_version < 1 or schema_version > SCHEMA_VERSION:
        raise UnsupportedSchema(f"The server speaks schema versions 1..{SCHEMA_VERSION}.")
    if migration is None:
        return frozenset()
    start = migration.get("from")
    if not isinstance(start, int) or isinstance(start, bool) or not 1 <= start <= schema_version:
        raise UnsupportedSchema("migration.from must be an earlier schema version.")
    tables: set[str] = set()
    for version in range(start + 1, schema_version + 1):
        tables.update(MIGRATIONS.get(version, {}))
    return frozenset(tables)


def pull(
    session: Session,
    principal: Principal,
    *,
    cursor: int | None,
    schema_version: int = SCHEMA_VERSION,
    migration: dict[str, Any] | None = None,
) -> PullAnswer:
    """Changes since `cursor` for the caller's device; records what the device now holds."""
    started, now = time.perf_counter(), utcnow()
    device = _device(session, principal, now)
    full = _migration_tables(migration, schema_version)
    current = engine.current_version(session, STORE)
    if cursor is not None and (cursor < 1 or cursor > current):
        raise InvalidCursor(f"last_pulled_at {cursor} was never returned by this server.")
    specs = specs_for(principal)
    scope = fingerprint(principal)
    unknown_holdings = cursor is not None and device.last_pulled_version is None
    if cursor is not None and device.scope_fingerprint != scope:
        full = frozenset(spec.name for spec in specs)
    result = engine.pull(
        session,
        STORE,
        specs,
        device_pk=device.device_pk,
        cursor=cursor,
        full_tables=full,
        replacement=unknown_holdings,
    )
    device.last_pulled_version = result.timestamp
    device.scope_fingerprint, device.schema_version, device.last_sync_at = (
        scope,
        schema_version,
        now,
    )
    _log("pull", principal, cursor, result.timestamp, result.counts(), started)
    return PullAnswer(
        changes={name: c.as_dict() for name, c in result.changes.items()},
        timestamp=result.timestamp,
        strategy=result.strategy,
    )


def _validate(changes: Any) -> dict[str, dict[str, list[Any]]]:
    if not isinstance(changes, dict):
        raise InvalidChanges("The body must be an object of tables.")
    for table, table_changes in changes.items():
        if not isinstance(table_changes, dict):
            raise InvalidChanges(f"{table}: must be an object with created/updated/deleted.")
        for kind in ("created", "updated", "deleted"):
            items = table_changes.get(kind, [])
            if not isinstance(items, list):
                raise InvalidChanges(f"{table}.{kind} must be a list.")
            for item in items:
                ok = (
                    isinstance(item, str)
                    if kind == "deleted"
                    else (isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"])
                )
                if not ok or (isinstance(item, str) and len(item) > 64):
                    raise InvalidChanges(f"{table}.{kind}: every entry needs a string id.")
    return changes


def push(session: Session, principal: Principal, *, cursor: int, changes: Any) -> dict[str, Any]:
    """Apply a device's changes; returns {"experimentalRejectedIds": {...}} (maybe empty)."""
    started, now = time.perf_counter(), utcnow()
    changes = _validate(changes)
    device = _device(session, principal, now)
    if cursor < 1 or cursor > engine.current_version(session, STORE):
        raise InvalidCursor(f"last_pulled_at {cursor} was never returned by this server.")
    digest = engine.push_hash(changes)
    stored = engine.receipt(session, STORE, device_pk=device.device_pk, digest=digest)
    if stored is not None:
        _log("push-retry", principal, cursor, cursor, {}, started)
        return stored
    rejected: dict[str, list[str]] = {}
    outcome = merge.PushOutcome()
    with visit_context.batch(session):  # context loaded once per push, not per visit
        for table, table_changes in changes.items():
            for kind in ("created", "updated", "deleted"):
                refused = merge.apply_all(
                    session,
                    principal,
                    table=table,
                    kind=kind,
                    items=table_changes.get(kind, []),
                    cursor=cursor,
                    outcome=outcome,
                    now=now,
                )
                for record_id, problem in refused.items():
                    rejected.setdefault(table, []).append(record_id)
                    session.add(
                        SyncRejection(
                            device_pk=device.device_pk,
                            staff_id=principal.staff_id,
                            table_name=table[:40],
                            record_id=record_id,
                            code=problem.code,
                            detail=problem.detail[:1000],
                            at=now,
                        )
                    )
    for conflict in outcome.conflicts:
        session.add(
            SyncConflict(
                device_pk=device.device_pk, staff_id=principal.staff_id, at=now, **conflict
            )
        )
    for table, (held, removed) in outcome.holdings.items():
        engine.note_pushed(
            session, STORE, device_pk=device.device_pk, table=table, ids=held, cursor=cursor
        )
        engine.note_pushed(
            session,
            STORE,
            device_pk=device.device_pk,
            table=table,
            ids=removed,
            cursor=cursor,
            removed=True,
        )
    result: dict[str, Any] = {"experimentalRejectedIds": rejected} if rejected else {}
    engine.store_receipt(
        session, STORE, device_pk=device.device_pk, digest=digest, result=result, now=now
    )
    counts = {
        "applied": outcome.applied,
        "rejected": sum(map(len, rejected.values())),
        "conflicts": len(outcome.conflicts),
    }
    _log("push", principal, cursor, cursor, counts, started)
    return result


def rejections(session: Session, principal: Principal, *, limit: int = 200) -> list[SyncRejection]:
    """What the server refused from the caller's devices, newest first."""
    stmt = sa.select(SyncRejection).where(SyncRejection.staff_id == principal.staff_id)
    return list(
        session.scalars(
            stmt.order_by(SyncRejection.at.desc(), SyncRejection.id.desc()).limit(limit)
        )
    )


def conflicts(session: Session, principal: Principal, *, limit: int = 200) -> list[SyncConflict]:
    """Columns where the server kept another value than the caller's device pushed."""
    stmt = sa.select(SyncConflict).where(SyncConflict.staff_id == principal.staff_id)
    return list(
        session.scalars(stmt.order_by(SyncConflict.at.desc(), SyncConflict.id.desc()).limit(limit))
    )


def _log(
    kind: str,
    principal: Principal,
    cursor: int | None,
    out: int,
    counts: dict[str, int],
    started: float,
) -> None:
    log.info(
        json.dumps(
            {
                "event": f"sync.{kind}",
                "staff": principal.staff_id,
                "device": principal.device_pk,
                "cursor_in": cursor,
                "cursor_out": out,
                **counts,
                "ms": round((time.perf_counter() - started) * 1000, 1),
            }
        )
    )
