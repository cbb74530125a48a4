"""Bound devices, login sessions (one per device login) and rotating refresh tokens."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class Device(Base):
    """A phone bound to a person; unbinding ends its sessions and frees a slot."""

    __tablename__ = "devices"
    __table_args__ = (sa.Index("ix_devices_staff_active", "staff_id", "unbound_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id"))
    device_id: Mapped[str] = mapped_column(sa.String(128))
    platform: Mapped[str] = mapped_column(sa.String(20))
    bound_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    unbound_at: Mapped[datetime | None] = mapped_column()


class AuthSession(Base):
    """One login on one device; its refresh tokens form a family revoked together."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id"), index=True)
    device_pk: Mapped[int] = mapped_column(sa.ForeignKey("devices.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(40))


class RefreshToken(Base):
    """An opaque refresh token, stored as its SHA-256; consumed exactly once."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(sa.ForeignKey("auth_sessions.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
