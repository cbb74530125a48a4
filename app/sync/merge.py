"""Applying pushed records: per-column merge with documented policies (docs/sync.md).

Only the columns named in `_changed` are applied. A column the server also changed after
the device's cursor is a clash, settled by its policy:
- owner_id: through the pool rules (an offline claim of a lead someone claimed first loses);
- stage: a won/lost server stage stands; otherwise the more advanced stage wins;
- free text and location: the later arrival at the server wins (that is this push).
Every clash is logged; when the server keeps a value the device did not push, the row is
re-stamped so the device's next pull brings it the server's value.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.errors import Problem
from app.org.scope import Principal
from app.sync import merge_leads, merge_visits
from app.sync.records import DeleteRefused, PushOutcome, ReadOnlyTable
from app.visits import context as visit_context

__all__ = ["PushOutcome", "apply", "apply_all"]


def apply_all(
    session: Session,
    principal: Principal,
    *,
    table: str,
    kind: str,
    items: list[Any],
    cursor: int,
    outcome: PushOutcome,
    now: datetime,
) -> dict[str, Problem]:
    """Apply one table's created, updated or deleted records; returns the refused ones by id.

    Each record goes in its own savepoint, so a refused one leaves no trace and blocks no
    other. New visits are checked in together (app/visits/bulk), in one savepoint; should the
    database refuse that batch (the same id inserted concurrently), they go one by one.
    """
    if (table, kind) == ("visits", "created") and items:
        try:
            with session.begin_nested():
                return merge_visits.created_many(session, principal, items, cursor, outcome, now)
        except sa.exc.IntegrityError:
            visit_context.invalidate(session)
    refused: dict[str, Problem] = {}
    for item in items:
        try:
            with session.begin_nested():
                apply(
                    session,
                    principal,
                    table=table,
                    kind=kind,
                    item=item,
                    cursor=cursor,
                    outcome=outcome,
                    now=now,
                )
        except Problem as problem:
            visit_context.invalidate(session)  # the savepoint undid what the batch had seen
            refused[item if kind == "deleted" else item["id"]] = problem
    return refused


def apply(
    session: Session,
    principal: Principal,
    *,
    table: str,
    kind: str,
    item: Any,
    cursor: int,
    outcome: PushOutcome,
    now: datetime,
) -> None:
    """Apply one pushed record (raises a Problem to reject it)."""
    handlers = {
        ("leads", "created"): merge_leads.created,
        ("leads", "updated"): merge_leads.updated,
        ("leads", "deleted"): merge_leads.deleted,
        ("visits", "created"): merge_visits.created,
        ("visits", "updated"): merge_visits.updated,
    }
    handler = handlers.get((table, kind))
    if handler is None:
        if table == "visits" and kind == "deleted":
            raise DeleteRefused("Visits are evidence; ask a team lead to review instead.")
        raise ReadOnlyTable(f"Devices cannot change {table!r}.")
    handler(session, principal, item, cursor, outcome, now)
    outcome.applied += 1
