"""HR provisioning: SCIM tokens, the SCIM link of staff and org nodes, mappings, audit, alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class ScimToken(Base):
    """A bearer token of one HR connector; only its SHA-256 is stored, shown once."""

    __tablename__ = "hr_scim_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The connector provisions this subtree: its Users and Groups live below this node.
    root_node_id: Mapped[int] = mapped_column(sa.ForeignKey("org_nodes.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class HrUser(Base):
    """The SCIM side of a staff account: the attributes HR sent, and whether HR deleted it."""

    __tablename__ = "hr_users"

    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id"), primary_key=True)
    root_node_id: Mapped[int] = mapped_column(sa.ForeignKey("org_nodes.id"), index=True)
    # The SCIM User as HR last wrote it (canonical attribute names); staff columns win on read.
    document: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column()


class HrGroup(Base):
    """The SCIM side of an org node (a Group): its externalId, and whether SCIM made it."""

    __tablename__ = "hr_groups"

    org_node_id: Mapped[int] = mapped_column(sa.ForeignKey("org_nodes.id"), primary_key=True)
    external_id: Mapped[str | None] = mapped_column(sa.String(255))
    created_by_scim: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DepartmentMapping(Base):
    """HR's (organization, department) to an org node; '' matches any value of that part."""

    __tablename__ = "hr_department_mappings"
    __table_args__ = (sa.UniqueConstraint("organization", "department"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Both stored normalized (whitespace collapsed, case-folded); never both empty.
    organization: Mapped[str] = mapped_column(sa.String(200), default="")
    department: Mapped[str] = mapped_column(sa.String(200), default="")
    org_node_id: Mapped[int] = mapped_column(sa.ForeignKey("org_nodes.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HrAudit(Base):
    """Every HR action: who (token name or admin), what, on which record, before and after."""

    __tablename__ = "hr_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(sa.String(120))
    token_id: Mapped[int | None] = mapped_column(sa.ForeignKey("hr_scim_tokens.id"))
    action: Mapped[str] = mapped_column(sa.String(40))
    resource_type: Mapped[str] = mapped_column(sa.String(20))
    resource_id: Mapped[str | None] = mapped_column(sa.String(64))
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)


class HrAlert(Base):
    """Something an admin must fix by hand, e.g. a department that maps to no org node."""

    __tablename__ = "hr_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(sa.String(40))
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id"), index=True)
    root_node_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_nodes.id"), index=True)
    message: Mapped[str] = mapped_column(sa.String(500))
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    resolved_at: Mapped[datetime | None] = mapped_column()
