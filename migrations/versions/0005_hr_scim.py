"""HR provisioning (SCIM 2.0): tokens, user and group links, department mappings, audit, alerts.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from app.db import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("staff", sa.Column("user_name", sa.String(254), nullable=True))
    op.create_index("ix_staff_user_name", "staff", ["user_name"], unique=True)
    op.add_column(
        "staff",
        sa.Column("break_glass", sa.Boolean(), server_default=sa.false(), nullable=False),
    )

    op.create_table(
        "hr_scim_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("root_node_id", sa.Integer(), sa.ForeignKey("org_nodes.id"), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("token_hash", name="uq_hr_scim_tokens_token_hash"),
    )
    op.create_index("ix_hr_scim_tokens_root_node_id", "hr_scim_tokens", ["root_node_id"])

    op.create_table(
        "hr_users",
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), primary_key=True),
        sa.Column("root_node_id", sa.Integer(), sa.ForeignKey("org_nodes.id"), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_hr_users_root_node_id", "hr_users", ["root_node_id"])

    op.create_table(
        "hr_groups",
        sa.Column("org_node_id", sa.Integer(), sa.ForeignKey("org_nodes.id"), primary_key=True),
        sa.Column("external_id", sa.String(255), nullable=True),
        sa.Column("created_by_scim", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )

    op.create_table(
        "hr_department_mappings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("organization", sa.String(200), nullable=False),
        sa.Column("department", sa.String(200), nullable=False),
        sa.Column("org_node_id", sa.Integer(), sa.ForeignKey("org_nodes.id"), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint(
            "organization", "department", name="uq_hr_department_mappings_organization_department"
        ),
    )
    op.create_index(
        "ix_hr_department_mappings_org_node_id", "hr_department_mappings", ["org_node_id"]
    )

    op.create_table(
        "hr_audit",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("token_id", sa.Integer(), sa.ForeignKey("hr_scim_tokens.id"), nullable=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("resource_type", sa.String(20), nullable=False),
        sa.Column("resource_id", sa.String(64), nullable=True),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_index("ix_hr_audit_at", "hr_audit", ["at"])
    op.create_index("ix_hr_audit_staff_id", "hr_audit", ["staff_id"])

    op.create_table(
        "hr_alerts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("root_node_id", sa.Integer(), sa.ForeignKey("org_nodes.id"), nullable=True),
        sa.Column("message", sa.String(500), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_hr_alerts_staff_id", "hr_alerts", ["staff_id"])
    op.create_index("ix_hr_alerts_root_node_id", "hr_alerts", ["root_node_id"])


def downgrade() -> None:
    for table in (
        "hr_alerts",
        "hr_audit",
        "hr_department_mappings",
        "hr_groups",
        "hr_users",
        "hr_scim_tokens",
    ):
        op.drop_table(table)
    op.drop_index("ix_staff_user_name", table_name="staff")
    op.drop_column("staff", "break_glass")
    op.drop_column("staff", "user_name")
