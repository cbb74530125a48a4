"""Org nodes (a materialized path of ids beside parent_id), staff, managers, consent records."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, SyncStamped, utcnow

# Bytewise comparison keeps `path` range scans on the index on PostgreSQL (SQLite is binary).
PathString = sa.String(1024).with_variant(sa.String(1024, collation="C"), "postgresql")


class Role(enum.StrEnum):
    REP = "rep"
    TEAM_LEAD = "team_lead"
    HR = "hr"
    ADMIN = "admin"


# Who works with customers and visits. HR manages people: it sees staff and the org tree, never
# leads, visits, locations or route plans (least privilege for sensitive personal data).
SALES_ROLES = (Role.REP, Role.TEAM_LEAD, Role.ADMIN)


DEFAULT_WORKING_HOURS: dict[str, list[list[str]]] = {
    day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")
}


class OrgNode(Base):
    __tablename__ = "org_nodes"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_nodes.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(40), default="team")
    # "/1/4/9/": ids from the root down to this node. Facts elsewhere carry only the node id.
    path: Mapped[str] = mapped_column(PathString, unique=True)
    depth: Mapped[int] = mapped_column(default=0)
    settings: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    parent: Mapped[OrgNode | None] = relationship(remote_side=[id], lazy="raise")

    def is_ancestor_of(self, other: OrgNode) -> bool:
        """True when `other` lies in this node's subtree (itself included)."""
        return other.path.startswith(self.path)


class Staff(SyncStamped, Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_number: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    org_node_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_nodes.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(20), default=Role.REP.value)
    active: Mapped[bool] = mapped_column(default=True)
    external_hr_id: Mapped[str | None] = mapped_column(sa.String(128), unique=True)
    # SCIM userName, stored case-folded so uniqueness is case-insensitive (app.hr).
    user_name: Mapped[str | None] = mapped_column(sa.String(254), unique=True, index=True)
    # May log in without an HR link when WAYPOINT_REQUIRE_HR_LINK is on; SCIM never sees it.
    break_glass: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    # Bumped on deactivation, password change and role change: every access token dies.
    auth_epoch: Mapped[int] = mapped_column(default=1)
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    working_hours: Mapped[dict[str, Any]] = mapped_column(
        sa.JSON, default=lambda: dict(DEFAULT_WORKING_HOURS)
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    deactivated_at: Mapped[datetime | None] = mapped_column()

    org_node: Mapped[OrgNode | None] = relationship(lazy="raise")


class NodeManager(Base):
    """A team lead or admin may manage several nodes beside their own."""

    __tablename__ = "node_managers"

    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id"), primary_key=True)
    org_node_id: Mapped[int] = mapped_column(
        sa.ForeignKey("org_nodes.id"), primary_key=True, index=True
    )


class LocationConsent(Base):
    """Consent to location collection: who, when, which document; withdrawal keeps history."""

    __tablename__ = "location_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id"), index=True)
    document_version: Mapped[str] = mapped_column(sa.String(40))
    consented_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column()
