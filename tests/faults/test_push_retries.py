"""A push retried 5 times with the identical body is applied once: in sequence (lost answers)
and all at once (a phone timing out and re-sending while the first is still running)."""

from __future__ import annotations

import threading
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from app.leads.models import Lead, LeadOwnerEvent
from app.sync.models import SyncPush
from app.visits.models import Visit
from tests.faults.conftest import Field, Server
from tests.faults.support import new_lead, offline_visit


def _batch(field: Field, tag: str) -> dict[str, Any]:
    (l0, lat0, lon0), (l1, lat1, lon1) = field.leads[:2]
    return {
        "visits": {
            "created": [
                offline_visit(f"{tag}-v1", l0, lat0, lon0),
                offline_visit(f"{tag}-v2", l1, lat1, lon1),
            ],
            "updated": [],
            "deleted": [],
        },
        "leads": {"created": [new_lead(f"{tag}-lead", lat0 + 0.01, lon0)]},
    }


def _state(committed: sessionmaker[Session], tag: str) -> dict[str, Any]:
    """Everything a second application would change."""
    with committed() as session:
        visits = session.execute(
            sa.select(Visit.id, Visit.sync_version, Visit.verdict)
            .where(Visit.id.like(f"{tag}-%"))
            .order_by(Visit.id)
        ).all()
        leads = session.execute(
            sa.select(Lead.id, Lead.sync_version).where(Lead.id == f"{tag}-lead")
        ).all()
        return {
            "visits": [tuple(v) for v in visits],
            "leads": [tuple(lead) for lead in leads],
            "owner_events": session.scalar(
                sa.select(sa.func.count()).where(LeadOwnerEvent.lead_id == f"{tag}-lead")
            ),
            "receipts": session.scalar(sa.select(sa.func.count()).select_from(SyncPush)),
        }


def test_five_identical_pushes_in_a_row_apply_once(
    werkzeug_server: Server, field_org: Field, committed: sessionmaker[Session]
) -> None:
    http = werkzeug_server.http
    auth = http.login(field_org.reps[0])
    cursor = http.pull(auth, None).json()["timestamp"]
    changes = _batch(field_org, "seq")

    first = http.push(auth, cursor, changes)
    assert first.status == 200, first.body
    after_first = _state(committed, "seq")
    assert [v[0] for v in after_first["visits"]] == ["seq-v1", "seq-v2"]
    assert all(v[2] in ("verified", "unverified") for v in after_first["visits"])
    assert len(after_first["leads"]) == 1

    answers = [http.push(auth, cursor, changes) for _ in range(4)]
    newer = http.pull(auth, cursor).json()["timestamp"]  # a pull in between, then a 6th try
    answers.append(http.push(auth, newer, changes))

    assert [a.status for a in answers] == [200] * 5
    assert {a.body for a in answers} == {first.body}
    assert _state(committed, "seq") == after_first


def test_five_identical_pushes_at_once_apply_once(
    werkzeug_server: Server, field_org: Field, committed: sessionmaker[Session]
) -> None:
    http = werkzeug_server.http
    auth = http.login(field_org.reps[0])
    cursor = http.pull(auth, None).json()["timestamp"]
    changes = _batch(field_org, "par")
    start = threading.Barrier(5, timeout=30)
    statuses: list[int] = []

    def send() -> None:
        start.wait()
        statuses.append(http.push(auth, cursor, changes).status)

    threads = [threading.Thread(target=send) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    # A loser of the race may be told to retry (503/409, nothing written); none is a 500.
    assert len(statuses) == 5 and set(statuses) <= {200, 409, 503}, statuses
    assert 200 in statuses
    retry = http.push(auth, cursor, changes)  # what a phone does after a 503: the same body
    assert retry.status == 200
    state = _state(committed, "par")
    assert [v[0] for v in state["visits"]] == ["par-v1", "par-v2"]
    assert len(state["leads"]) == 1
    assert state["receipts"] == 1
    assert http.push(auth, cursor, changes).status == 200
    assert _state(committed, "par") == state
