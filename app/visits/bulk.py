"""Check-ins in bulk: the offline visits of a sync push, set-based.

The rules and results are those of `service.check_in` one visit at a time (tests compare
them); only the number of statements changes: visible leads, territory paths, ids already
taken and the assessment context are read once for the whole batch, the visits are built as
plain rows and inserted with one statement (COPY on PostgreSQL, an executemany on SQLite),
and the leads' follow-up clocks are refreshed with one query.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.errors import Forbidden, NotFound, Problem
from app.leads import service as leads
from app.leads.models import Lead
from app.leads.pool import OutOfTerritory
from app.org.models import Staff
from app.org.scope import Principal
from app.org.staff import current_consent
from app.visits import assessment, service
from app.visits.models import WRITTEN_COLUMNS, NewVisit, Visit
from sync.params import in_values

CHUNK = 1_000  # ids per statement


@dataclass(frozen=True)
class CheckIn:
    """One check-in to log: the CheckInSchema fields, and a check-out time when it has one."""

    visit_in: dict[str, Any]
    checked_out_at: datetime | None = None


Result = tuple[Visit | NewVisit, bool] | Problem  # (visit, created) or why it was refused


def check_in_many(
    session: Session, principal: Principal, check_ins: list[CheckIn], *, now: datetime
) -> list[Result]:
    """Log many visits at once, each as `service.check_in` would; one result per check-in.

    A check-in whose id is already stored (or repeated in the batch) returns that visit
    (created False); a refused one its Problem, while the others go in.
    """
    staff = session.get(Staff, principal.staff_id)
    if staff is None:
        return [Forbidden() for _ in check_ins]
    ids = [c.visit_in["id"] for c in check_ins]
    by_id = sa.select(Visit).where(in_values(session.get_bind().dialect.name, Visit.id, "ids"))
    stored: dict[str, Visit | NewVisit] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        stored.update((v.id, v) for v in session.scalars(by_id, {"ids": chunk}))
    visible = leads.visible_leads(session, principal, (c.visit_in["lead_id"] for c in check_ins))
    outside = leads.outside_territory(session, principal, visible.values())
    consented = current_consent(session, staff_id=staff.id) is not None
    token_device: str | None = None
    results: list[Result] = []
    pairs: list[tuple[NewVisit, Lead]] = []
    for check_in in check_ins:
        visit_in = check_in.visit_in
        prior = stored.get(visit_in["id"])
        if prior is not None:
            taken = prior.rep_id != principal.staff_id
            results.append(
                service.VisitIdTaken(f"Visit id {visit_in['id']!r} is taken.")
                if taken
                else (prior, False)
            )
            continue
        lead = visible.get(visit_in["lead_id"])
        if lead is None:
            results.append(NotFound(f"Lead {visit_in['lead_id']} not found."))
            continue
        if lead.id in outside:
            results.append(OutOfTerritory(f"Lead {lead.id} is outside your territories."))
            continue
        if not visit_in.get("device_id") and token_device is None:
            token_device = service.token_device(session, principal)
        try:
            columns = service.visit_columns(
                staff,
                lead,
                visit_in,
                consented=consented,
                device_id=visit_in.get("device_id") or token_device,  # type: ignore[arg-type]
                now=now,
                checked_out_at=check_in.checked_out_at,
            )
        except Problem as problem:
            results.append(problem)
            continue
        visit = NewVisit(**columns)
        stored[visit.id] = visit
        pairs.append((visit, lead))
        results.append((visit, True))
    assessment.assess_many(session, pairs, now=now)
    _insert(session, [visit for visit, _lead in pairs])
    service.refresh_leads_activity(session, {lead.id: lead for _v, lead in pairs}.values())
    return results


JSON_COLUMNS = frozenset(c.name for c in WRITTEN_COLUMNS if isinstance(c.type, sa.JSON))


def _insert(session: Session, visits: list[NewVisit]) -> None:
    """Insert the new visits with one statement, outside the unit of work.

    They are plain objects (the caller reads their ids); each row names every written column,
    and a JSON column left empty is SQL NULL, as the unit of work leaves it (not JSON 'null').
    A refused row (an id inserted concurrently) raises sa.exc.IntegrityError on both backends,
    and any other database error the SQLAlchemy exception an INSERT would have raised.
    """
    if not visits:
        return
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        _copy(session, dialect, visits)
        return
    rows = [_row(vars(visit)) for visit in visits]
    session.execute(Visit.__table__.insert(), rows)


def _row(columns: dict[str, Any]) -> dict[str, Any]:
    row = {column.name: columns[column.key] for column in WRITTEN_COLUMNS}
    for name in JSON_COLUMNS:
        if row[name] is None:
            row[name] = sa.null()
    return row


def _copy_text(column: sa.Column[Any]) -> Callable[[Any], Any] | None:
    """How COPY's text format takes a column's value, when psycopg's own dump will not do:
    JSON as its text, a point as hex EWKB (the SRID inside, as the column requires)."""
    if isinstance(column.type, sa.JSON):
        return json.dumps
    if column.key == "geom":
        return lambda point: point.as_ewkb().desc
    return None


def _copy_value(value: Any, text: Callable[[Any], Any] | None) -> Any:
    return value if value is None or text is None else text(value)


_COPY_SQL = f"COPY visits ({', '.join(c.name for c in WRITTEN_COLUMNS)}) FROM STDIN"
_COPY_COLUMNS = tuple((c.key, _copy_text(c)) for c in WRITTEN_COLUMNS)


def _copy(session: Session, dialect: sa.Dialect, visits: list[NewVisit]) -> None:
    """PostgreSQL: stream the rows with COPY, in the session's transaction. One statement and
    no per-row bind processing: half the time of an executemany of a thousand rows
    (bench/sync.py). Triggers and foreign keys apply as to an INSERT."""
    driver = session.connection().connection.driver_connection
    dbapi = dialect.loaded_dbapi  # psycopg, which a SQLite server never imports
    try:
        with driver.cursor() as cursor, cursor.copy(_COPY_SQL) as copy:  # type: ignore[union-attr]
            for visit in visits:
                columns = vars(visit)
                copy.write_row([_copy_value(columns[key], text) for key, text in _COPY_COLUMNS])
    except dbapi.Error as exc:
        # Raised as SQLAlchemy raises an INSERT's (IntegrityError for a taken id, a lost
        # connection as OperationalError: 503), which the fallback and error handlers know.
        error = sa.exc.DBAPIError.instance(_COPY_SQL, None, exc, dbapi.Error, dialect=dialect)
        raise error from exc
