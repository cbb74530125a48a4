"""Territories, leads, owner history, collusion flags.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

from app.db import UTCDateTime
from app.spatial import drop_spatial_table

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "territories",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("org_node_id", sa.Integer(), sa.ForeignKey("org_nodes.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column(
            "geom",
            Geometry("MULTIPOLYGON", srid=4326, spatial_index=True, nullable=False),
            nullable=False,
        ),
        sa.Column("vertex_count", sa.Integer(), nullable=False),
        sa.Column("area_m2", sa.Float(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_territories_org_node_id", "territories", ["org_node_id"])

    op.create_table(
        "leads",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.Column("contact_person", sa.String(100), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("phone_key", sa.String(32), nullable=True),
        sa.Column("address", sa.String(500), nullable=True),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column(
            "geom",
            Geometry("POINT", srid=4326, spatial_index=True, nullable=False),
            nullable=False,
        ),
        sa.Column("raw_lat", sa.Float(), nullable=False),
        sa.Column("raw_lon", sa.Float(), nullable=False),
        sa.Column("datum", sa.String(8), nullable=False),
        sa.Column("territory_id", sa.Integer(), sa.ForeignKey("territories.id"), nullable=True),
        sa.Column("org_node_id", sa.Integer(), sa.ForeignKey("org_nodes.id"), nullable=True),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("protected_until", UTCDateTime(), nullable=True),
        sa.Column("last_verified_at", UTCDateTime(), nullable=True),
        sa.Column("released_at", UTCDateTime(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_leads_owner_stage", "leads", ["owner_id", "stage"])
    op.create_index("ix_leads_name_key", "leads", ["name_key"])
    op.create_index("ix_leads_phone_key", "leads", ["phone_key"])
    op.create_index("ix_leads_territory_id", "leads", ["territory_id"])
    op.create_index("ix_leads_org_node_id", "leads", ["org_node_id"])
    if op.get_bind().dialect.name == "postgresql":
        # The public pool is what nearby searches: a partial index keeps it small and hot.
        op.execute(
            "CREATE INDEX ix_leads_public_geom ON leads USING gist (geom) WHERE owner_id IS NULL"
        )

    op.create_table(
        "lead_owner_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("lead_id", sa.String(64), sa.ForeignKey("leads.id"), nullable=False),
        sa.Column("from_owner_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("to_owner_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("near_recycle", sa.Boolean(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_lead_owner_events_lead_id", "lead_owner_events", ["lead_id"])
    op.create_index(
        "ix_lead_owner_events_to_at", "lead_owner_events", ["to_owner_id", "reason", "at"]
    )

    op.create_table(
        "collusion_flags",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("lead_id", sa.String(64), sa.ForeignKey("leads.id"), nullable=False),
        sa.Column("from_staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("to_staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("from_node_id", sa.Integer(), sa.ForeignKey("org_nodes.id"), nullable=True),
        sa.Column("to_node_id", sa.Integer(), sa.ForeignKey("org_nodes.id"), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("detected_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_collusion_flags_lead_id", "collusion_flags", ["lead_id"])
    op.create_index("ix_collusion_flags_from_node_id", "collusion_flags", ["from_node_id"])
    op.create_index("ix_collusion_flags_to_node_id", "collusion_flags", ["to_node_id"])


def downgrade() -> None:
    op.drop_table("collusion_flags")
    op.drop_table("lead_owner_events")
    drop_spatial_table(op, "leads", ("geom",))
    drop_spatial_table(op, "territories", ("geom",))
