"""Visits, visit photos, visit reviews.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

from app.db import UTCDateTime
from app.spatial import drop_spatial_table

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "visits",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("rep_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("lead_id", sa.String(64), sa.ForeignKey("leads.id"), nullable=False),
        sa.Column("org_node_id", sa.Integer(), sa.ForeignKey("org_nodes.id"), nullable=True),
        sa.Column("territory_id", sa.Integer(), sa.ForeignKey("territories.id"), nullable=True),
        sa.Column("device_id", sa.String(128), nullable=False),
        sa.Column("visited_at", UTCDateTime(), nullable=False),
        sa.Column("captured_at", UTCDateTime(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("captured_offline", sa.Boolean(), nullable=False),
        sa.Column("capture_elapsed_ms", sa.BigInteger(), nullable=True),
        sa.Column("capture_boot_count", sa.Integer(), nullable=True),
        sa.Column("upload_device_time", UTCDateTime(), nullable=True),
        sa.Column("upload_elapsed_ms", sa.BigInteger(), nullable=True),
        sa.Column("upload_boot_count", sa.Integer(), nullable=True),
        sa.Column("payload_hash", sa.String(64), nullable=True),
        sa.Column("location_collected", sa.Boolean(), nullable=False),
        sa.Column("location_not_collected_reason", sa.String(40), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=True), nullable=True),
        sa.Column("raw_lat", sa.Float(), nullable=True),
        sa.Column("raw_lon", sa.Float(), nullable=True),
        sa.Column("datum", sa.String(8), nullable=True),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.Column("fix_time", UTCDateTime(), nullable=True),
        sa.Column("checkin_fix", sa.JSON(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=True),
        sa.Column("checked_out_at", UTCDateTime(), nullable=True),
        sa.Column("checkout_received_at", UTCDateTime(), nullable=True),
        sa.Column("checkout_fix", sa.JSON(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(40), nullable=True),
        sa.Column("next_step", sa.String(500), nullable=True),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("assessed_at", UTCDateTime(), nullable=False),
        sa.Column("review_verdict", sa.String(16), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("reviewed_at", UTCDateTime(), nullable=True),
        sa.Column("review_comment", sa.String(1000), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_visits_lead_id", "visits", ["lead_id"])
    op.create_index("ix_visits_rep_visited", "visits", ["rep_id", "visited_at"])
    op.create_index("ix_visits_node_visited", "visits", ["org_node_id", "visited_at"])
    op.create_index("ix_visits_payload_hash", "visits", ["payload_hash"])
    if op.get_bind().dialect.name == "postgresql":
        # Map queries filter by place and time together: one GiST index over both.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute("CREATE INDEX ix_visits_geom_time ON visits USING gist (geom, visited_at)")

    op.create_table(
        "visit_photos",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("visit_id", sa.String(64), sa.ForeignKey("visits.id"), nullable=False),
        sa.Column("rep_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("lead_id", sa.String(64), sa.ForeignKey("leads.id"), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("phash", sa.String(16), nullable=True),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("content_type", sa.String(20), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("storage_path", sa.String(300), nullable=True),
        sa.Column("exif_taken_at", UTCDateTime(), nullable=True),
        sa.Column("exif_lat", sa.Float(), nullable=True),
        sa.Column("exif_lon", sa.Float(), nullable=True),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_visit_photos_visit_id", "visit_photos", ["visit_id"])
    op.create_index("ix_visit_photos_rep_id", "visit_photos", ["rep_id"])
    op.create_index("ix_visit_photos_lead_id", "visit_photos", ["lead_id"])
    op.create_index("ix_visit_photos_sha256", "visit_photos", ["sha256"])

    op.create_table(
        "visit_reviews",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("visit_id", sa.String(64), sa.ForeignKey("visits.id"), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("from_verdict", sa.String(16), nullable=False),
        sa.Column("to_verdict", sa.String(16), nullable=False),
        sa.Column("comment", sa.String(1000), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_visit_reviews_visit_id", "visit_reviews", ["visit_id"])


def downgrade() -> None:
    op.drop_table("visit_reviews")
    op.drop_table("visit_photos")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_visits_geom_time")
    drop_spatial_table(op, "visits", ("geom",))
