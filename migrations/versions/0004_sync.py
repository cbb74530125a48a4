"""Sync: commit-ordered counter, stamps and column versions via triggers, device state.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from app.db import UTCDateTime
from sync import ddl

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Frozen copy of sync.tables.TRACKED_COLUMNS as of this revision (later tables get their own).
TRACKED_COLUMNS: dict[str, tuple[str, ...]] = {
    "leads": ("name", "contact_person", "phone", "address", "stage", "lat", "lon", "owner_id"),
    "visits": ("notes", "outcome", "next_step", "checked_out_at"),
    "visit_photos": (),
    "territories": (),
    "staff": (),
}


def _is_pg() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_table(
        "sync_counter",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
    )
    op.execute("INSERT INTO sync_counter (id, value) VALUES (1, 1)")
    op.create_table(
        "sync_tombstones",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("table_name", sa.String(40), nullable=False),
        sa.Column("record_id", sa.String(64), nullable=False),
        sa.Column("sync_version", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_sync_tombstones_sync_version", "sync_tombstones", ["sync_version"])
    op.add_column("leads", sa.Column("deleted_at", UTCDateTime(), nullable=True))
    for table, columns in TRACKED_COLUMNS.items():
        op.add_column(
            table, sa.Column("sync_version", sa.BigInteger(), server_default="1", nullable=False)
        )
        op.create_index(f"ix_{table}_sync_version", table, ["sync_version"])
        if columns:
            op.add_column(table, sa.Column("col_versions", sa.JSON(), nullable=True))
    if _is_pg():
        for statement in ddl.PG_FUNCTIONS:
            op.execute(statement)
    for table, columns in TRACKED_COLUMNS.items():
        statements = (ddl.pg_triggers if _is_pg() else ddl.sqlite_triggers)(table, columns)
        for statement in statements:
            op.execute(statement)

    op.create_table(
        "sync_devices",
        sa.Column("device_pk", sa.Integer(), sa.ForeignKey("devices.id"), primary_key=True),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("last_pulled_version", sa.BigInteger(), nullable=True),
        sa.Column("scope_fingerprint", sa.String(64), nullable=True),
        sa.Column("schema_version", sa.Integer(), nullable=True),
        sa.Column("first_sync_at", UTCDateTime(), nullable=False),
        sa.Column("last_sync_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_sync_devices_staff_id", "sync_devices", ["staff_id"])
    op.create_table(
        "sync_device_records",
        sa.Column("device_pk", sa.Integer(), sa.ForeignKey("devices.id"), primary_key=True),
        sa.Column("table_name", sa.String(40), primary_key=True),
        sa.Column("record_id", sa.String(64), primary_key=True),
        sa.Column("added_version", sa.BigInteger(), nullable=False),
        sa.Column("removed_version", sa.BigInteger(), nullable=True),
    )
    op.create_table(
        "sync_pushes",
        sa.Column("device_pk", sa.Integer(), sa.ForeignKey("devices.id"), primary_key=True),
        sa.Column("push_hash", sa.String(64), primary_key=True),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "sync_conflicts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("device_pk", sa.Integer(), sa.ForeignKey("devices.id"), nullable=False),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("table_name", sa.String(40), nullable=False),
        sa.Column("record_id", sa.String(64), nullable=False),
        sa.Column("column", sa.String(40), nullable=False),
        sa.Column("client_value", sa.JSON(), nullable=True),
        sa.Column("server_value", sa.JSON(), nullable=True),
        sa.Column("winner", sa.String(10), nullable=False),
        sa.Column("policy", sa.String(40), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_sync_conflicts_device_pk", "sync_conflicts", ["device_pk"])
    op.create_index("ix_sync_conflicts_staff_id", "sync_conflicts", ["staff_id"])
    op.create_table(
        "sync_rejections",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("device_pk", sa.Integer(), sa.ForeignKey("devices.id"), nullable=False),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("table_name", sa.String(40), nullable=False),
        sa.Column("record_id", sa.String(64), nullable=False),
        sa.Column("code", sa.String(60), nullable=False),
        sa.Column("detail", sa.String(1000), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_sync_rejections_device_pk", "sync_rejections", ["device_pk"])


def downgrade() -> None:
    for table in ("sync_rejections", "sync_conflicts", "sync_pushes", "sync_device_records"):
        op.drop_table(table)
    op.drop_table("sync_devices")
    for table, columns in TRACKED_COLUMNS.items():
        drops = ddl.pg_drop_triggers(table) if _is_pg() else ddl.sqlite_drop_triggers(table)
        for statement in drops:
            op.execute(statement)
        op.drop_index(f"ix_{table}_sync_version", table_name=table)
        if columns:
            op.drop_column(table, "col_versions")
        op.drop_column(table, "sync_version")
    if _is_pg():
        for statement in ddl.PG_DROP_FUNCTIONS:
            op.execute(statement)
    op.drop_column("leads", "deleted_at")
    op.drop_table("sync_tombstones")
    op.drop_table("sync_counter")
