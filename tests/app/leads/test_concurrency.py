"""Racing claims on PostgreSQL: committed data, real threads, one test client and login each."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from app import create_app
from app.db import transaction
from app.leads import pool
from app.leads.models import Lead, LeadOwnerEvent
from app.org.models import Role
from tests.app.auth.helpers import assert_problem
from tests.factories import login, make_staff
from tests.factories_geo import IN_E1, at, make_geo_org, make_lead, principal_of, set_pool_rules

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def live_app(settings, committed):
    return create_app(settings, sessions=committed)


def race(app, tokens: list[str], action: Callable[[Any, dict[str, str], int], Any]) -> list[Any]:
    """Run `action(client, headers, i)` in one thread per token, released together."""
    barrier = threading.Barrier(len(tokens))

    def worker(i: int) -> Any:
        client = app.test_client()
        headers = {"Authorization": f"Bearer {tokens[i]}"}
        barrier.wait(timeout=60)
        return action(client, headers, i)

    with ThreadPoolExecutor(max_workers=len(tokens)) as pool:
        futures = [pool.submit(worker, i) for i in range(len(tokens))]
        return [f.result(timeout=300) for f in futures]


def test_fifty_reps_claiming_one_lead_exactly_one_wins(live_app, committed):
    with committed() as session:
        org = make_geo_org(session)
        reps = [make_staff(session, org["e1"], Role.REP) for _ in range(50)]
        lead_id = make_lead(session, *IN_E1).id
        session.commit()
    client = live_app.test_client()
    tokens = [login(client, rep, f"phone-{rep.id}")["access_token"] for rep in reps]

    responses = race(
        live_app, tokens, lambda c, h, _i: c.post(f"/api/v1/leads/{lead_id}/claim", headers=h)
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 49, statuses
    for refused in (r for r in responses if r.status_code == 409):
        assert_problem(refused, 409, "already_claimed")
    winner = next(r for r in responses if r.status_code == 200).get_json()["owner_id"]
    with committed() as session:
        assert session.get(Lead, lead_id).owner_id == winner
        claims = session.scalars(
            sa.select(LeadOwnerEvent).where(LeadOwnerEvent.lead_id == lead_id)
        ).all()
    assert [(e.reason, e.to_owner_id) for e in claims] == [("claim", winner)]


def test_concurrent_claims_never_exceed_capacity(live_app, committed):
    with committed() as session:
        org = make_geo_org(session)
        set_pool_rules(session, org["e1"], capacity=3)
        rep = org["rep_e1"]
        lead_ids = [make_lead(session, IN_E1[0] + i * 1e-3, IN_E1[1]).id for i in range(10)]
        session.commit()
    client = live_app.test_client()
    tokens = [login(client, rep, "phone-1")["access_token"] for _ in lead_ids]

    responses = race(
        live_app,
        tokens,
        lambda c, h, i: c.post(f"/api/v1/leads/{lead_ids[i]}/claim", headers=h),
    )

    assert sorted(r.status_code for r in responses) == [200] * 3 + [409] * 7
    for refused in (r for r in responses if r.status_code == 409):
        assert assert_problem(refused, 409, "lead.claim_refused")["reason"] == "capacity_reached"
    with committed() as session:
        owned = session.scalar(
            sa.select(sa.func.count()).select_from(Lead).where(Lead.owner_id == rep.id)
        )
    assert owned == 3


def test_concurrent_recycle_runs_recycle_each_lead_once(committed):
    t0 = at("2026-03-02 09:00")
    with committed() as session:
        org = make_geo_org(session)
        set_pool_rules(session, org["company"], daily_claim_cap=30)
        rep = principal_of(session, org["rep_e1"])
        for i in range(30):
            lead = make_lead(session, IN_E1[0] + i * 1e-3, IN_E1[1])
            pool.claim(session, rep, lead=lead, now=t0 + timedelta(minutes=i % 3))
        session.commit()
    runs = 4
    barrier = threading.Barrier(runs)

    def run(_i: int) -> int:
        barrier.wait(timeout=60)
        with transaction(committed) as session:
            return pool.recycle_expired(session, now=t0 + timedelta(days=16))

    with ThreadPoolExecutor(max_workers=runs) as executor:
        counts = [f.result(timeout=300) for f in [executor.submit(run, i) for i in range(runs)]]

    assert sum(counts) == 30, counts
    with committed() as session:
        recycles = session.scalars(
            sa.select(LeadOwnerEvent.lead_id).where(LeadOwnerEvent.reason == "recycle")
        ).all()
        assert session.scalar(sa.select(sa.func.count()).where(Lead.owner_id.is_not(None))) == 0
    assert sorted(recycles) == sorted(set(recycles)) and len(recycles) == 30
