"""Who looked at whose location data, with which filter, when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class LocationAccess(Base):
    __tablename__ = "location_access_log"
    __table_args__ = (sa.Index("ix_location_access_subject_at", "subject_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    viewer_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id"), index=True)
    subject_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id"))
    what: Mapped[str] = mapped_column(sa.String(40))
    filter: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    at: Mapped[datetime] = mapped_column(default=utcnow)
