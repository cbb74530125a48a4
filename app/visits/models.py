"""Visits, their photos and the audit trail of team-lead reviews.

Location evidence (coordinates, accuracy, fix series, Wi-Fi and cell ids) lives in columns
that can be nulled on their own: when it must not be collected, or when retention ends, the
visit keeps its customer link, times and verdict.
"""

from __future__ import annotations

import enum
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geometry, WKBElement
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, ColumnVersioned, SyncStamped, utcnow


class Verdict(enum.StrEnum):
    VERIFIED = "verified"
    UNVERIFIED = "unverified"
    SUSPICIOUS = "suspicious"
    REJECTED = "rejected"


class Visit(ColumnVersioned, Base):
    __tablename__ = "visits"
    __table_args__ = (
        sa.Index("ix_visits_rep_visited", "rep_id", "visited_at"),
        sa.Index("ix_visits_node_visited", "org_node_id", "visited_at"),
        sa.Index("ix_visits_payload_hash", "payload_hash"),
        # Map queries filter by place and time together (btree_gist).
        sa.Index(
            "ix_visits_geom_time",
            "geom",
            "visited_at",
            postgresql_using="gist",
            info={"postgresql_only": True},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    rep_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id"))
    lead_id: Mapped[str] = mapped_column(sa.ForeignKey("leads.id"), index=True)
    # Stamped at check-in: the rep's node then, and the lead's territory.
    org_node_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_nodes.id"))
    territory_id: Mapped[int | None] = mapped_column(sa.ForeignKey("territories.id"))
    device_id: Mapped[str] = mapped_column(sa.String(128))
    # Server-side time of record: device capture time corrected by the clock offset
    # measured at upload (device timestamps are evidence, the server orders).
    visited_at: Mapped[datetime] = mapped_column()
    captured_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column()
    captured_offline: Mapped[bool] = mapped_column(default=False)
    capture_elapsed_ms: Mapped[int | None] = mapped_column(sa.BigInteger)
    capture_boot_count: Mapped[int | None] = mapped_column()
    upload_device_time: Mapped[datetime | None] = mapped_column()
    upload_elapsed_ms: Mapped[int | None] = mapped_column(sa.BigInteger)
    upload_boot_count: Mapped[int | None] = mapped_column()
    payload_hash: Mapped[str | None] = mapped_column(sa.String(64))
    # Check-in location evidence (null when not collected or purged).
    location_collected: Mapped[bool] = mapped_column(default=True)
    location_not_collected_reason: Mapped[str | None] = mapped_column(sa.String(40))
    lat: Mapped[float | None] = mapped_column(sa.Float)
    lon: Mapped[float | None] = mapped_column(sa.Float)
    geom: Mapped[WKBElement | None] = mapped_column(
        Geometry("POINT", srid=4326, spatial_index=True)
    )
    raw_lat: Mapped[float | None] = mapped_column(sa.Float)
    raw_lon: Mapped[float | None] = mapped_column(sa.Float)
    datum: Mapped[str | None] = mapped_column(sa.String(8))
    accuracy_m: Mapped[float | None] = mapped_column(sa.Float)
    fix_time: Mapped[datetime | None] = mapped_column()
    checkin_fix: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    evidence: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)  # series, wifi, cells
    # Check-out.
    checked_out_at: Mapped[datetime | None] = mapped_column()
    checkout_received_at: Mapped[datetime | None] = mapped_column()
    checkout_fix: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    # What the rep wrote.
    notes: Mapped[str | None] = mapped_column(sa.Text)
    outcome: Mapped[str | None] = mapped_column(sa.String(40))
    next_step: Mapped[str | None] = mapped_column(sa.String(500))
    # Assessment, and the team lead's review on top of it.
    verdict: Mapped[str] = mapped_column(sa.String(16))
    score: Mapped[int] = mapped_column(default=0)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    assessed_at: Mapped[datetime] = mapped_column(default=utcnow)
    review_verdict: Mapped[str | None] = mapped_column(sa.String(16))
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column()
    review_comment: Mapped[str | None] = mapped_column(sa.String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def final_verdict(self) -> str:
        """The team lead's decision when there is one, else the automatic verdict."""
        return self.review_verdict or self.verdict


# On PostgreSQL ix_visits_geom_time (geom, visited_at) serves every search on geom alone as
# well, so GeoAlchemy's own GiST index on geom is dropped there (migration 0009): one GiST
# index less to maintain per inserted visit. SpatiaLite keeps its R*Tree, which in_bbox reads.
_GEOM_INDEX = next(i for i in Visit.__table__.indexes if i.name == "idx_visits_geom")
_GEOM_INDEX.info["spatialite_only"] = True

# Every column the application writes (sync_version is the triggers' to stamp).
WRITTEN_COLUMNS = tuple(c for c in Visit.__table__.columns if c.name != "sync_version")


class NewVisit(SimpleNamespace):
    """A visit a bulk check-in is about to insert: every column in WRITTEN_COLUMNS as a plain
    attribute. The assessment reads and sets it like a Visit; no ORM instrumentation tracks
    it (for a thousand visits that cost more than inserting them)."""


class VisitPhoto(SyncStamped, Base):
    __tablename__ = "visit_photos"
    __table_args__ = (
        sa.Index("ix_visit_photos_sha256", "sha256"),
        sa.Index("ix_visit_photos_storage_path", "storage_path"),  # files to rows (retention)
    )

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    visit_id: Mapped[str] = mapped_column(sa.ForeignKey("visits.id"), index=True)
    rep_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id"), index=True)
    lead_id: Mapped[str] = mapped_column(sa.ForeignKey("leads.id"), index=True)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    phash: Mapped[str | None] = mapped_column(sa.String(16))
    source: Mapped[str] = mapped_column(sa.String(10))
    content_type: Mapped[str] = mapped_column(sa.String(20))
    size_bytes: Mapped[int] = mapped_column()
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()
    storage_path: Mapped[str | None] = mapped_column(sa.String(300))
    exif_taken_at: Mapped[datetime | None] = mapped_column()
    exif_lat: Mapped[float | None] = mapped_column(sa.Float)
    exif_lon: Mapped[float | None] = mapped_column(sa.Float)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class VisitReview(Base):
    """Audit trail: every confirmation or overturn of a verdict, with the comment."""

    __tablename__ = "visit_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[str] = mapped_column(sa.ForeignKey("visits.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id"))
    from_verdict: Mapped[str] = mapped_column(sa.String(16))
    to_verdict: Mapped[str] = mapped_column(sa.String(16))
    comment: Mapped[str] = mapped_column(sa.String(1000))
    at: Mapped[datetime] = mapped_column(default=utcnow)
