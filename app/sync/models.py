"""Sync bookkeeping: the counter, tombstones, per-device state, push receipts, conflicts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class SyncCounter(Base):
    """One row: the commit-ordered change counter (the pull cursor)."""

    __tablename__ = "sync_counter"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger)


class SyncTombstone(Base):
    """A hard-deleted synced row, kept while any active device may still hold it."""

    __tablename__ = "sync_tombstones"

    id: Mapped[int] = mapped_column(primary_key=True)
    table_name: Mapped[str] = mapped_column(sa.String(40))
    record_id: Mapped[str] = mapped_column(sa.String(64))
    sync_version: Mapped[int] = mapped_column(sa.BigInteger, index=True)


class SyncDevice(Base):
    """Per device binding: where its cursor is and which scope it last saw."""

    __tablename__ = "sync_devices"

    device_pk: Mapped[int] = mapped_column(sa.ForeignKey("devices.id"), primary_key=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id"), index=True)
    last_pulled_version: Mapped[int | None] = mapped_column(sa.BigInteger)
    scope_fingerprint: Mapped[str | None] = mapped_column(sa.String(64))
    schema_version: Mapped[int | None] = mapped_column()
    first_sync_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sync_at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncDeviceRecord(Base):
    """A record a device holds: sent at pull `added_version`, removed at `removed_version`.

    A device at cursor C holds a record when added_version <= C and (removed_version is
    null or > C); versioning by cursor undoes pulls whose responses were lost.
    """

    __tablename__ = "sync_device_records"

    device_pk: Mapped[int] = mapped_column(sa.ForeignKey("devices.id"), primary_key=True)
    table_name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    record_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    added_version: Mapped[int] = mapped_column(sa.BigInteger)
    removed_version: Mapped[int | None] = mapped_column(sa.BigInteger)


class SyncPush(Base):
    """Receipt of an applied push, so an identical retry returns the same answer."""

    __tablename__ = "sync_pushes"

    device_pk: Mapped[int] = mapped_column(sa.ForeignKey("devices.id"), primary_key=True)
    push_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    result: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncConflict(Base):
    """A column where the server kept a value other than the one a device pushed."""

    __tablename__ = "sync_conflicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_pk: Mapped[int] = mapped_column(sa.ForeignKey("devices.id"), index=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id"), index=True)
    table_name: Mapped[str] = mapped_column(sa.String(40))
    record_id: Mapped[str] = mapped_column(sa.String(64))
    column: Mapped[str] = mapped_column(sa.String(40))
    client_value: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    server_value: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    winner: Mapped[str] = mapped_column(sa.String(10))
    policy: Mapped[str] = mapped_column(sa.String(40))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncRejection(Base):
    """A pushed record the server refused, with the reason (GET /sync/rejections)."""

    __tablename__ = "sync_rejections"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_pk: Mapped[int] = mapped_column(sa.ForeignKey("devices.id"), index=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id"))
    table_name: Mapped[str] = mapped_column(sa.String(40))
    record_id: Mapped[str] = mapped_column(sa.String(64))
    code: Mapped[str] = mapped_column(sa.String(60))
    detail: Mapped[str] = mapped_column(sa.String(1000))
    at: Mapped[datetime] = mapped_column(default=utcnow)
