"""A stored day plan: the normalized request (for re-optimisation) and the planned route."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, SyncStamped, utcnow


class PlanStatus(enum.StrEnum):
    ACTIVE = "active"
    REPLACED = "replaced"  # a re-optimisation superseded it
    CANCELLED = "cancelled"  # e.g. the rep left the company


class RoutePlan(SyncStamped, Base):
    __tablename__ = "route_plans"
    __table_args__ = (sa.Index("ix_route_plans_staff_date", "staff_id", "plan_date"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id"))
    org_node_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_nodes.id"), index=True)
    plan_date: Mapped[date] = mapped_column(sa.Date)
    timezone: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16), default=PlanStatus.ACTIVE.value)
    replaces_id: Mapped[str | None] = mapped_column(sa.String(32))
    request: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    result: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
