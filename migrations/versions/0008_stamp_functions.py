"""PostgreSQL: each table with tracked columns gets its own stamp function.

The generic stamp function turned both versions of a row into JSON to compare the tracked
columns by name; that cost a third of a millisecond per written row (a sync push of a
thousand visits touches a thousand visits and hundreds of leads). The per-table function
compares the columns directly and records the same versions. SQLite is unchanged.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from alembic import op

from sync import ddl

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Frozen copy of the tables with tracked columns (sync.tables.TRACKED_COLUMNS) at this revision.
TRACKED_COLUMNS: dict[str, tuple[str, ...]] = {
    "leads": ("name", "contact_person", "phone", "address", "stage", "lat", "lon", "owner_id"),
    "visits": ("notes", "outcome", "next_step", "checked_out_at"),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in TRACKED_COLUMNS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {table}_sync_stamp ON {table}")
        for statement in ddl.pg_stamp_trigger(table, columns):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in TRACKED_COLUMNS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {table}_sync_stamp ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_sync_stamp()")
        op.execute(ddl.pg_generic_stamp_trigger(table, columns))
