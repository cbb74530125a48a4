"""The synced tables as a principal sees them: scope, columns, WatermelonDB raw records.

Raw records use snake_case columns; times are epoch milliseconds (WatermelonDB's `number`
columns), ids are strings, nested evidence is JSON text. Everything not listed here stays
on the server.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from geoalchemy2.shape import to_shape

from app.leads import service as leads
from app.leads.models import Lead
from app.org.models import Staff
from app.org.scope import Principal, node_in_scope
from app.sync.models import SyncCounter, SyncDeviceRecord, SyncPush, SyncTombstone
from app.territories.models import Territory
from app.visits import service as visits
from app.visits.models import Visit, VisitPhoto
from geo import polygons
from sync.engine import Store, TableSpec

# Bump when a table or column is added; MIGRATIONS says what each version added.
SCHEMA_VERSION = 1
MIGRATIONS: dict[int, dict[str, tuple[str, ...]]] = {}

STORE = Store(
    counter=SyncCounter.__table__,  # type: ignore[arg-type]
    tombstones=SyncTombstone.__table__,  # type: ignore[arg-type]
    device_records=SyncDeviceRecord.__table__,  # type: ignore[arg-type]
    pushes=SyncPush.__table__,  # type: ignore[arg-type]
)


def ms(value: datetime | None) -> int | None:
    """Epoch milliseconds (WatermelonDB number columns)."""
    return None if value is None else int(value.timestamp() * 1000)


def ref(value: Any) -> str | None:
    """A foreign key as a WatermelonDB relation id (string)."""
    return None if value is None else str(value)


LEAD_COLUMNS = (
    "id",
    "name",
    "contact_person",
    "phone",
    "address",
    "lat",
    "lon",
    "raw_lat",
    "raw_lon",
    "datum",
    "territory_id",
    "org_node_id",
    "owner_id",
    "stage",
    "claimed_at",
    "protected_until",
    "last_verified_at",
    "created_at",
    "updated_at",
)
TIME_COLUMNS = frozenset(
    {
        "claimed_at",
        "protected_until",
        "last_verified_at",
        "created_at",
        "updated_at",
        "visited_at",
        "captured_at",
        "checked_out_at",
        "fix_time",
        "uploaded_at",
        "exif_taken_at",
    }
)
REF_COLUMNS = frozenset({"territory_id", "org_node_id", "owner_id", "visit_id", "lead_id"})


def _selected(table: sa.Table, names: tuple[str, ...]) -> list[Any]:
    """The columns a pull reads, as `names`; times as the driver returns them (aware on
    PostgreSQL, naive UTC on SQLite), for `_raw_maker`'s to_raw to turn into epoch ms: for
    a first pull's 125,000 times that costs less than UTCDateTime converting each first."""
    return [
        sa.type_coerce(table.c[n], sa.DateTime(timezone=True)).label(n)
        if n in TIME_COLUMNS
        else table.c[n]
        for n in names
    ]


def _raw_maker(names: tuple[str, ...]) -> Callable[[Any], dict[str, Any]]:
    """to_raw for rows selected as `_selected(table, names)` (trailing extra columns ignored).

    A first pull converts tens of thousands of rows: which columns are times or references
    is decided once here, and values are taken by position, not looked up by name.
    """
    times = tuple(n for n in names if n in TIME_COLUMNS)
    refs = tuple(n for n in names if n not in TIME_COLUMNS and (n in REF_COLUMNS or n == "id"))

    def to_raw(row: Any) -> dict[str, Any]:
        raw = dict(zip(names, row, strict=False))
        for name in times:
            value = raw[name]
            if value is not None:
                utc = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
                raw[name] = int(utc.timestamp() * 1000)
        for name in refs:
            value = raw[name]
            if value is not None:
                raw[name] = str(value)
        return raw

    return to_raw


_lead_raw = _raw_maker(LEAD_COLUMNS)


def lead_spec(principal: Principal) -> TableSpec:
    table = Lead.__table__
    return TableSpec(
        name="leads",
        table=table,  # type: ignore[arg-type]
        columns=_selected(table, LEAD_COLUMNS),  # type: ignore[arg-type]
        visible=leads.visible(principal),
        to_raw=_lead_raw,
    )


VISIT_COLUMNS = (
    "id",
    "lead_id",
    "device_id",
    "visited_at",
    "captured_at",
    "captured_offline",
    "lat",
    "lon",
    "raw_lat",
    "raw_lon",
    "datum",
    "accuracy_m",
    "fix_time",
    "notes",
    "outcome",
    "next_step",
    "checked_out_at",
    "verdict",
    "review_verdict",
    "score",
    "findings",
    "location_not_collected_reason",
    "updated_at",
)


_visit_columns_raw = _raw_maker(VISIT_COLUMNS)


def _visit_raw(row: Any) -> dict[str, Any]:
    raw = _visit_columns_raw(row)
    raw["fix_lat"], raw["fix_lon"] = raw.pop("lat"), raw.pop("lon")
    review = raw.pop("review_verdict")
    raw["verdict"] = review or raw["verdict"]
    findings = raw.pop("findings")
    raw["findings_json"] = json.dumps(findings, ensure_ascii=False) if findings else "[]"
    return raw


def visit_spec(principal: Principal) -> TableSpec:
    table = Visit.__table__
    return TableSpec(
        name="visits",
        table=table,  # type: ignore[arg-type]
        columns=_selected(table, VISIT_COLUMNS),  # type: ignore[arg-type]
        visible=visits.visible(principal),
        to_raw=_visit_raw,
    )


PHOTO_COLUMNS = (
    "id",
    "visit_id",
    "sha256",
    "source",
    "content_type",
    "width",
    "height",
    "exif_taken_at",
    "uploaded_at",
)


def photo_spec(principal: Principal) -> TableSpec:
    table = VisitPhoto.__table__
    return TableSpec(
        name="visit_photos",
        table=table,  # type: ignore[arg-type]
        columns=_selected(table, PHOTO_COLUMNS),  # type: ignore[arg-type]
        visible=VisitPhoto.visit_id.in_(sa.select(Visit.id).where(visits.visible(principal))),
        to_raw=_raw_maker(PHOTO_COLUMNS),
    )


def _territory_raw(row: Any) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "org_node_id": str(row.org_node_id),
        "name": row.name,
        "geometry_json": json.dumps(polygons.to_geojson(to_shape(row.geom))),
        "updated_at": ms(row.updated_at),
    }


def territory_spec(principal: Principal) -> TableSpec:
    table = Territory.__table__
    return TableSpec(
        name="territories",
        table=table,  # type: ignore[arg-type]
        columns=[table.c.id, table.c.org_node_id, table.c.name, table.c.geom, table.c.updated_at],
        visible=node_in_scope(Territory.org_node_id, principal),
        to_raw=_territory_raw,
    )


def _me_raw(row: Any) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "employee_number": row.employee_number,
        "name": row.name,
        "role": row.role,
        "org_node_id": ref(row.org_node_id),
        "timezone": row.timezone,
        "working_hours_json": json.dumps(row.working_hours or {}),
    }


def me_spec(principal: Principal) -> TableSpec:
    table = Staff.__table__
    return TableSpec(
        name="me",
        table=table,  # type: ignore[arg-type]
        columns=[
            table.c[n]
            for n in (
                "id",
                "employee_number",
                "name",
                "role",
                "org_node_id",
                "timezone",
                "working_hours",
            )
        ],
        visible=Staff.id == principal.staff_id,
        to_raw=_me_raw,
    )


def _plan_raw(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "plan_date": row.plan_date.isoformat(),
        "status": row.status,
        "replaces_id": row.replaces_id,
        "plan_json": json.dumps(row.result, ensure_ascii=False),
        "created_at": ms(row.created_at),
        "updated_at": ms(row.updated_at),
    }


def route_plan_spec(principal: Principal) -> TableSpec:
    from app.planning import service as planning
    from app.planning.models import RoutePlan

    table = RoutePlan.__table__
    return TableSpec(
        name="route_plans",
        table=table,  # type: ignore[arg-type]
        columns=[
            table.c[n]
            for n in (
                "id",
                "plan_date",
                "status",
                "replaces_id",
                "result",
                "created_at",
                "updated_at",
            )
        ],
        visible=sa.and_(planning.visible(principal), RoutePlan.staff_id == principal.staff_id),
        to_raw=_plan_raw,
    )


def specs_for(principal: Principal) -> list[TableSpec]:
    """Every synced table for this principal, parents before children."""
    return [
        me_spec(principal),
        territory_spec(principal),
        lead_spec(principal),
        visit_spec(principal),
        photo_spec(principal),
        route_plan_spec(principal),
    ]
