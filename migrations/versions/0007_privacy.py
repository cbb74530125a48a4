"""Location access audit log.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from app.db import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "location_access_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("viewer_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("subject_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("what", sa.String(40), nullable=False),
        sa.Column("filter", sa.JSON(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_location_access_log_viewer_id", "location_access_log", ["viewer_id"])
    op.create_index("ix_location_access_subject_at", "location_access_log", ["subject_id", "at"])


def downgrade() -> None:
    op.drop_table("location_access_log")
