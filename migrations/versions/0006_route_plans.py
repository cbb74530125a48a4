"""Route plans (synced read-only to the phone).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from app.db import UTCDateTime
from sync import ddl

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "route_plans",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("org_node_id", sa.Integer(), sa.ForeignKey("org_nodes.id"), nullable=True),
        sa.Column("plan_date", sa.Date(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("replaces_id", sa.String(32), nullable=True),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("sync_version", sa.BigInteger(), server_default="1", nullable=False),
    )
    op.create_index("ix_route_plans_staff_date", "route_plans", ["staff_id", "plan_date"])
    op.create_index("ix_route_plans_org_node_id", "route_plans", ["org_node_id"])
    op.create_index("ix_route_plans_sync_version", "route_plans", ["sync_version"])
    is_pg = op.get_bind().dialect.name == "postgresql"
    for statement in (ddl.pg_triggers if is_pg else ddl.sqlite_triggers)("route_plans", ()):
        op.execute(statement)


def downgrade() -> None:
    is_pg = op.get_bind().dialect.name == "postgresql"
    for statement in (ddl.pg_drop_triggers if is_pg else ddl.sqlite_drop_triggers)("route_plans"):
        op.execute(statement)
    op.drop_table("route_plans")
