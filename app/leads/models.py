"""Leads (customers are leads at a later stage), their owner history and collusion flags."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geometry, WKBElement
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, ColumnVersioned, utcnow


class Stage(enum.StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    WON = "won"
    LOST = "lost"


OPEN_STAGES = (Stage.NEW.value, Stage.CONTACTED.value, Stage.QUALIFIED.value)


class OwnerChange(enum.StrEnum):
    """Why an owner changed; every change goes through leads.pool.change_owner."""

    CLAIM = "claim"
    RELEASE = "release"
    RECYCLE = "recycle"
    TRANSFER = "transfer"
    ASSIGN = "assign"
    LEAVER = "leaver"


class Lead(ColumnVersioned, Base):
    __tablename__ = "leads"
    __table_args__ = (
        sa.Index("ix_leads_owner_stage", "owner_id", "stage"),
        sa.Index("ix_leads_name_key", "name_key"),
        # The public pool is what nearby searches: a partial index keeps it small and hot.
        sa.Index(
            "ix_leads_public_geom",
            "geom",
            postgresql_using="gist",
            postgresql_where=sa.text("owner_id IS NULL"),
            info={"postgresql_only": True},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_key: Mapped[str] = mapped_column(sa.String(200))
    contact_person: Mapped[str | None] = mapped_column(sa.String(100))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    phone_key: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    address: Mapped[str | None] = mapped_column(sa.String(500))
    # WGS-84, also as plain floats: exact haversine in SQL without geometry accessors.
    lat: Mapped[float] = mapped_column(sa.Float)
    lon: Mapped[float] = mapped_column(sa.Float)
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("POINT", srid=4326, spatial_index=True, nullable=False)
    )
    raw_lat: Mapped[float] = mapped_column(sa.Float)
    raw_lon: Mapped[float] = mapped_column(sa.Float)
    datum: Mapped[str] = mapped_column(sa.String(8))
    # Derived from the location, never taken from input.
    territory_id: Mapped[int | None] = mapped_column(sa.ForeignKey("territories.id"), index=True)
    org_node_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_nodes.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    stage: Mapped[str] = mapped_column(sa.String(16), default=Stage.NEW.value)
    claimed_at: Mapped[datetime | None] = mapped_column()
    protected_until: Mapped[datetime | None] = mapped_column()
    last_verified_at: Mapped[datetime | None] = mapped_column()
    released_at: Mapped[datetime | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Soft delete (a rep removing a lead they created): a tombstone that sync can send.
    deleted_at: Mapped[datetime | None] = mapped_column()

    @property
    def is_public(self) -> bool:
        """True while the lead sits in the public pool."""
        return self.owner_id is None


class LeadOwnerEvent(Base):
    """Owner history: who moved the lead from whom to whom, why, when."""

    __tablename__ = "lead_owner_events"
    __table_args__ = (sa.Index("ix_lead_owner_events_to_at", "to_owner_id", "reason", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[str] = mapped_column(sa.ForeignKey("leads.id"), index=True)
    from_owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    to_owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    reason: Mapped[str] = mapped_column(sa.String(16))
    note: Mapped[str | None] = mapped_column(sa.String(500))
    # A release inside the reminder window before recycling (drop-and-reclaim evidence).
    near_recycle: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class CollusionFlag(Base):
    """A suspicious hand-off pattern between two reps, for the team leads above them."""

    __tablename__ = "collusion_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    lead_id: Mapped[str] = mapped_column(sa.ForeignKey("leads.id"), index=True)
    from_staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    to_staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    from_node_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_nodes.id"), index=True)
    to_node_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_nodes.id"), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)
