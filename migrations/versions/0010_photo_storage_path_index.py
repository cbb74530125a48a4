"""Index visit_photos.storage_path: the retention purge and the orphan-file sweep look up
photos by the file they point at (a scan of every photo per file without it).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_visit_photos_storage_path", "visit_photos", ["storage_path"])


def downgrade() -> None:
    op.drop_index("ix_visit_photos_storage_path", table_name="visit_photos")
