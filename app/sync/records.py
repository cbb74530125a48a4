"""Shared plumbing for applying pushed records: outcome, errors, times, conflict log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.errors import Forbidden, Problem


class InvalidRecord(Problem):
    status = 422
    code = "sync.invalid_record"
    title = "A pushed record has missing or invalid fields"


class ReadOnlyTable(Forbidden):
    code = "sync.read_only"
    title = "This table is read-only for devices"


class DeleteRefused(Forbidden):
    code = "sync.delete_refused"
    title = "This record cannot be deleted from a device"


@dataclass
class PushOutcome:
    applied: int = 0
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    # table -> (ids the device now holds, ids it removed)
    holdings: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)

    def hold(self, table: str, record_id: str, *, removed: bool = False) -> None:
        held, gone = self.holdings.setdefault(table, ([], []))
        (gone if removed else held).append(record_id)


def changed_columns(raw: dict[str, Any], allowed: tuple[str, ...]) -> list[str]:
    """Columns the device says it changed (`_changed`), limited to what it may change."""
    named = raw.get("_changed")
    if isinstance(named, str) and named:
        wanted = [c.strip() for c in named.split(",")]
        return [c for c in allowed if c in wanted and c in raw]
    return [c for c in allowed if c in raw]


def iso_time(value: Any) -> str | None:
    """Epoch milliseconds (or an ISO string) to the ISO form the schemas parse."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidRecord("times are epoch milliseconds")
    if isinstance(value, str):
        return value
    try:
        return datetime.fromtimestamp(value / 1000, tz=UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        raise InvalidRecord(f"{value} is not a time") from None


def load_record(schema: ma.Schema, data: dict[str, Any]) -> dict[str, Any]:
    try:
        return schema.load({k: v for k, v in data.items() if v is not None})
    except ma.ValidationError as exc:
        raise InvalidRecord(f"invalid fields: {exc.messages}") from None


def log_conflict(
    outcome: PushOutcome,
    table: str,
    record_id: str,
    column: str,
    client: Any,
    server: Any,
    winner: str,
    policy: str,
) -> None:
    outcome.conflicts.append(
        {
            "table_name": table,
            "record_id": record_id,
            "column": column,
            "client_value": client,
            "server_value": server,
            "winner": winner,
            "policy": policy,
        }
    )


def restamp(session: Session, model: Any, record_id: str, now: datetime) -> None:
    """Re-stamp a row so the device's next pull carries the server's final state."""
    session.execute(sa.update(model).where(model.id == record_id).values(updated_at=now))
