"""Org tree, staff, managers, location consent, devices, sessions, refresh tokens.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from app.db import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

PathString = sa.String(1024).with_variant(sa.String(1024, collation="C"), "postgresql")


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "org_nodes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("org_nodes.id"), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("path", PathString, nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        *_timestamps(),
        sa.UniqueConstraint("path", name="uq_org_nodes_path"),
    )
    op.create_index("ix_org_nodes_parent_id", "org_nodes", ["parent_id"])

    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("employee_number", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("org_node_id", sa.Integer(), sa.ForeignKey("org_nodes.id"), nullable=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("external_hr_id", sa.String(128), nullable=True),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("auth_epoch", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("working_hours", sa.JSON(), nullable=False),
        *_timestamps(),
        sa.Column("deactivated_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("employee_number", name="uq_staff_employee_number"),
        sa.UniqueConstraint("phone", name="uq_staff_phone"),
        sa.UniqueConstraint("external_hr_id", name="uq_staff_external_hr_id"),
    )
    op.create_index("ix_staff_org_node_id", "staff", ["org_node_id"])

    op.create_table(
        "node_managers",
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), primary_key=True),
        sa.Column("org_node_id", sa.Integer(), sa.ForeignKey("org_nodes.id"), primary_key=True),
    )
    op.create_index("ix_node_managers_org_node_id", "node_managers", ["org_node_id"])

    op.create_table(
        "location_consents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("document_version", sa.String(40), nullable=False),
        sa.Column("consented_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("withdrawn_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_location_consents_staff_id", "location_consents", ["staff_id"])

    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("device_id", sa.String(128), nullable=False),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("bound_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("unbound_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_devices_staff_active", "devices", ["staff_id", "unbound_at"])

    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("device_pk", sa.Integer(), sa.ForeignKey("devices.id"), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_reason", sa.String(40), nullable=True),
    )
    op.create_index("ix_auth_sessions_staff_id", "auth_sessions", ["staff_id"])
    op.create_index("ix_auth_sessions_device_pk", "auth_sessions", ["device_pk"])

    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("session_id", sa.String(32), sa.ForeignKey("auth_sessions.id"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("token_hash", name="uq_refresh_tokens_token_hash"),
    )
    op.create_index("ix_refresh_tokens_session_id", "refresh_tokens", ["session_id"])


def downgrade() -> None:
    for table in (
        "refresh_tokens",
        "auth_sessions",
        "devices",
        "location_consents",
        "node_managers",
        "staff",
        "org_nodes",
    ):
        op.drop_table(table)
