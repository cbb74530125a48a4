"""A territory: one (multi)polygon owned by one org node (a node may have several)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from geoalchemy2 import Geometry, WKBElement
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, SyncStamped, utcnow


class Territory(SyncStamped, Base):
    __tablename__ = "territories"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_node_id: Mapped[int] = mapped_column(sa.ForeignKey("org_nodes.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=True, nullable=False)
    )
    vertex_count: Mapped[int] = mapped_column()
    area_m2: Mapped[float] = mapped_column(sa.Float)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
