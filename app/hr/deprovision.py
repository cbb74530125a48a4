"""What happens to a person HR deactivates or deletes, all inside the request's transaction.

1. `org.staff.set_active(False)`: every access and refresh token dies on the very next
   request and devices are unbound (auth.service.revoke_all).
2. Their open private-pool leads go through `leads.pool` with reason `leaver`: released to
   the public pool, or, when the node's `leaver_leads` rule is `transfer_to_manager` and HR
   named a manager, handed to that manager (any lead the manager may not hold is released).
3. Their future route plans are cancelled (`cancel_future_route_plans`).
Re-activation restores login only: leads do not come back.
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.db import utcnow
from app.leads import pool
from app.leads.models import OwnerChange
from app.org.models import Staff
from app.org.staff import set_active
from app.schemas import parse_id


@dataclass(frozen=True)
class Deprovisioned:
    """What deactivation did (written to the audit row)."""

    leads_released: int = 0
    leads_transferred: int = 0
    transferred_to: int | None = None
    route_plans_cancelled: int = 0

    def as_dict(self) -> dict[str, Any]:
        """For the audit detail."""
        return asdict(self)


def cancel_future_route_plans(session: Session, *, staff_id: int, now: datetime) -> int:
    """Cancel the person's route plans from today (their local day) on; returns how many."""
    from app.planning.service import cancel_future_plans

    staff = session.get(Staff, staff_id)
    today = now.date()
    if staff is not None:
        import zoneinfo

        with contextlib.suppress(zoneinfo.ZoneInfoNotFoundError, ValueError):
            today = now.astimezone(zoneinfo.ZoneInfo(staff.timezone)).date()
    return cancel_future_plans(session, staff_id=staff_id, today=today)


def _manager(session: Session, manager_id: str | None) -> Staff | None:
    staff_id = parse_id(manager_id) if manager_id else None
    if staff_id is None:
        return None
    manager = session.get(Staff, staff_id)
    if manager is None or not manager.active:
        return None
    return manager


def deactivate(session: Session, *, staff: Staff, manager_id: str | None) -> Deprovisioned:
    """Deactivate and hand over; a no-op (nothing released twice) when already inactive."""
    if not staff.active:
        return Deprovisioned()
    now = utcnow()
    staff_id, node_id = staff.id, staff.org_node_id
    set_active(session, staff=staff, active=False, now=now)
    rule = pool.rules_for_node(session, node_id).leaver_leads
    manager = _manager(session, manager_id) if rule == "transfer_to_manager" else None
    if manager is not None and manager.id != staff_id:
        moved, released = pool.transfer_all(
            session, staff_id=staff_id, to_owner=manager, actor_id=None, reason=OwnerChange.LEAVER
        )
    else:
        moved = 0
        released = pool.release_all(
            session, staff_id=staff_id, actor_id=None, reason=OwnerChange.LEAVER
        )
    plans = cancel_future_route_plans(session, staff_id=staff_id, now=now)
    return Deprovisioned(released, moved, manager.id if moved and manager else None, plans)


def reactivate(session: Session, *, staff: Staff) -> None:
    """Allow login again (devices must be bound anew); leads stay where they went."""
    set_active(session, staff=staff, active=True)
