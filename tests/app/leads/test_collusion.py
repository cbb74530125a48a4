"""Collusion flags: hand-off after release, ping-pong pairs, drop-and-reclaim; who sees them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.db import utcnow
from app.leads import pool
from app.leads.models import CollusionFlag
from app.org.models import Role
from tests.app.auth.helpers import assert_problem
from tests.factories import make_staff
from tests.factories_geo import IN_E1, make_lead, principal_of, set_pool_rules

URL = "/api/v1/leads"
FLAGS = "/api/v1/leads/collusion-flags"


def flags(db, kind=None):
    stmt = sa.select(CollusionFlag).order_by(CollusionFlag.id)
    if kind:
        stmt = stmt.where(CollusionFlag.kind == kind)
    return db.scalars(stmt).all()


def claim(client, headers, lead):
    response = client.post(f"{URL}/{lead.id}/claim", headers=headers)
    assert response.status_code == 200, response.get_json()


def release(client, headers, lead):
    response = client.post(f"{URL}/{lead.id}/release", json={}, headers=headers)
    assert response.status_code == 200, response.get_json()


def transfer(client, headers, lead, to):
    response = client.post(
        f"{URL}/{lead.id}/transfer", json={"to_staff_id": to.id}, headers=headers
    )
    assert response.status_code == 200, response.get_json()


@pytest.fixture
def no_cooldown(db, org):
    set_pool_rules(db, org["e1"], release_cooldown_days=0)


def test_a_release_then_a_claim_by_another_rep_is_flagged(client, db, org, headers, no_cooldown):
    lead = make_lead(db, *IN_E1)
    a, b = org["rep_e1"], org["rep_e1b"]
    claim(client, headers(a), lead)
    release(client, headers(a), lead)

    claim(client, headers(b), lead)

    [flag] = flags(db)
    assert (flag.kind, flag.lead_id, flag.from_staff_id, flag.to_staff_id) == (
        "handoff_after_release",
        lead.id,
        a.id,
        b.id,
    )
    assert (flag.from_node_id, flag.to_node_id) == (org["e1"].id, org["e1"].id)
    assert flag.detail["hours_between"] < 1


@pytest.mark.parametrize(("hours", "flagged"), [(24, True), (24.01, False)])
def test_the_hand_off_window_is_the_cool_down_plus_24_hours(db, org, no_cooldown, hours, flagged):
    lead = make_lead(db, *IN_E1)
    a, b = principal_of(db, org["rep_e1"]), principal_of(db, org["rep_e1b"])
    pool.claim(db, a, lead=lead)
    pool.release(db, a, lead=lead)

    pool.claim(db, b, lead=lead, now=lead.released_at + timedelta(hours=hours))

    assert [f.kind for f in flags(db)] == (["handoff_after_release"] if flagged else [])


def test_with_the_default_cool_down_the_window_is_four_days(db, org):
    lead = make_lead(db, *IN_E1)
    a, b = principal_of(db, org["rep_e1"]), principal_of(db, org["rep_e1b"])
    pool.claim(db, a, lead=lead)
    pool.release(db, a, lead=lead)

    pool.claim(db, b, lead=lead, now=lead.released_at + timedelta(days=3, hours=23))

    assert [f.kind for f in flags(db)] == ["handoff_after_release"]


def test_ping_pong_between_two_reps_is_flagged_once(client, db, org, headers):
    lead = make_lead(db, *IN_E1)
    boss, a, b = headers(org["lead_e1"]), org["rep_e1"], org["rep_e1b"]
    transfer(client, boss, lead, a)  # an assignment from the pool, not a hand-off
    transfer(client, boss, lead, b)
    transfer(client, boss, lead, a)
    assert flags(db, "ping_pong") == []

    transfer(client, boss, lead, b)  # third hand-off between a and b
    transfer(client, boss, lead, a)
    transfer(client, boss, lead, b)

    [flag] = flags(db, "ping_pong")
    assert {flag.from_staff_id, flag.to_staff_id} == {a.id, b.id}
    assert flag.detail == {"window_days": 30, "min_handoffs": 3}


def test_ping_pong_through_the_pool_across_leads(client, db, org, headers, no_cooldown):
    a, b = org["rep_e1"], org["rep_e1b"]
    for i in range(3):
        lead = make_lead(db, IN_E1[0] + i * 1e-3, IN_E1[1])
        claim(client, headers(a), lead)
        release(client, headers(a), lead)
        claim(client, headers(b), lead)
        assert len(flags(db, "ping_pong")) == (1 if i == 2 else 0)

    assert len(flags(db, "handoff_after_release")) == 3


def test_hand_offs_with_a_third_rep_do_not_make_a_pair(client, db, org, headers):
    c = make_staff(db, org["e1"], Role.REP)
    lead = make_lead(db, *IN_E1)
    boss, a, b = headers(org["lead_e1"]), org["rep_e1"], org["rep_e1b"]
    for to in (a, b, c, a, c, b):
        transfer(client, boss, lead, to)

    assert flags(db, "ping_pong") == []


def test_release_in_the_reminder_window_then_reclaim_is_drop_and_reclaim(client, db, org, headers):
    set_pool_rules(db, org["e1"], release_cooldown_days=0, previous_owner_lockout_days=0)
    lead = make_lead(db, *IN_E1)
    rep = org["rep_e1"]
    # claimed 13 days ago: recycling is 2 days away, inside the 3-day reminder window
    pool.claim(db, principal_of(db, rep), lead=lead, now=utcnow() - timedelta(days=13))

    release(client, headers(rep), lead)
    claim(client, headers(rep), lead)

    [flag] = flags(db)
    assert (flag.kind, flag.from_staff_id, flag.to_staff_id) == ("drop_and_reclaim", rep.id, rep.id)


def test_a_colleague_picking_up_a_dropped_lead_is_drop_and_reclaim(
    client, db, org, headers, no_cooldown
):
    lead = make_lead(db, *IN_E1)
    a, b = org["rep_e1"], org["rep_e1b"]
    pool.claim(db, principal_of(db, a), lead=lead, now=utcnow() - timedelta(days=12, hours=1))

    release(client, headers(a), lead)
    claim(client, headers(b), lead)

    assert [(f.kind, f.from_staff_id, f.to_staff_id) for f in flags(db)] == [
        ("drop_and_reclaim", a.id, b.id)
    ]


def test_a_release_before_the_reminder_window_is_no_drop_and_reclaim(client, db, org, headers):
    set_pool_rules(db, org["e1"], release_cooldown_days=0, previous_owner_lockout_days=0)
    lead = make_lead(db, *IN_E1)
    rep = org["rep_e1"]
    pool.claim(db, principal_of(db, rep), lead=lead, now=utcnow() - timedelta(days=11, hours=23))

    release(client, headers(rep), lead)
    claim(client, headers(rep), lead)

    assert flags(db) == []


@pytest.fixture
def flagged(client, db, org, headers, no_cooldown):
    """rep_e1 (team E1) hands a lead to a rep sitting at the East region node."""
    regional = make_staff(db, org["east"], Role.REP)
    lead = make_lead(db, *IN_E1)
    claim(client, headers(org["rep_e1"]), lead)
    release(client, headers(org["rep_e1"]), lead)
    claim(client, headers(regional), lead)
    [flag] = flags(db)
    return flag


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("lead_e1", True),
        ("lead_east", True),
        ("admin", True),
        ("lead_e2", False),
        ("lead_w", False),
    ],
)
def test_flags_are_listed_for_the_team_leads_above_either_rep(
    client, org, headers, flagged, who, sees
):
    response = client.get(FLAGS, headers=headers(org[who]))

    assert response.status_code == 200
    listed = [(f["id"], f["kind"], f["lead_id"]) for f in response.get_json()]
    assert listed == ([(flagged.id, "handoff_after_release", flagged.lead_id)] if sees else [])


def test_reps_cannot_list_flags(client, org, headers, flagged):
    assert_problem(client.get(FLAGS, headers=headers(org["rep_e1"])), 403, "auth.forbidden")
