"""Pool rules at their boundaries, through the service with an explicit clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.leads import pool, rules
from app.leads.models import Lead, LeadOwnerEvent, Stage
from app.leads.pool import ClaimRefused
from tests.factories_geo import IN_E1, at, make_lead, principal_of, set_pool_rules

SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)
T0 = at("2026-03-02 09:00")


def claim(db, staff, lead, now=None):
    return pool.claim(db, principal_of(db, staff), lead=lead, now=now)


def refusal(db, staff, lead, now=None) -> str:
    with pytest.raises(ClaimRefused) as refused:
        claim(db, staff, lead, now)
    assert refused.value.code == "lead.claim_refused"
    assert refused.value.status == 409
    return refused.value.extra["reason"]


def released(db, staff, lead):
    """Release now (the release clock is the server's) and return the release time."""
    pool.release(db, principal_of(db, staff), lead=lead)
    return lead.released_at


def events(db, lead):
    return db.scalars(
        sa.select(LeadOwnerEvent)
        .where(LeadOwnerEvent.lead_id == lead.id)
        .order_by(LeadOwnerEvent.id)
    ).all()


def leads_in_e1(db, n):
    return [make_lead(db, IN_E1[0] + i * 1e-4, IN_E1[1]) for i in range(n)]


def test_capacity_from_a_node_override(db, org):
    set_pool_rules(db, org["company"], capacity=2)
    a, b, c = leads_in_e1(db, 3)
    claim(db, org["rep_e1"], a, T0)
    claim(db, org["rep_e1"], b, T0)

    assert refusal(db, org["rep_e1"], c, T0) == "capacity_reached"
    assert c.owner_id is None


def test_closed_leads_do_not_count_against_capacity(db, org):
    set_pool_rules(db, org["company"], capacity=2)
    a, b, c = leads_in_e1(db, 3)
    claim(db, org["rep_e1"], a, T0)
    claim(db, org["rep_e1"], b, T0)
    a.stage = Stage.WON.value
    db.flush()

    assert claim(db, org["rep_e1"], c, T0 + SECOND).owner_id == org["rep_e1"].id


def test_daily_cap_resets_at_midnight_in_the_reps_time_zone(db, org):
    set_pool_rules(db, org["company"], daily_claim_cap=2)
    rep = org["rep_e1"]
    rep.timezone = "Asia/Shanghai"  # UTC+8: 16:00 UTC is local midnight
    a, b, c = leads_in_e1(db, 3)
    claim(db, rep, a, at("2026-03-10 15:00"))
    claim(db, rep, b, at("2026-03-10 15:30"))

    assert refusal(db, rep, c, at("2026-03-10 15:59:59")) == "daily_cap_reached"
    assert claim(db, rep, c, at("2026-03-10 16:00")).owner_id == rep.id


def test_yesterdays_claims_in_local_time_do_not_count(db, org):
    set_pool_rules(db, org["company"], daily_claim_cap=1)
    rep = org["rep_e1"]
    rep.timezone = "America/New_York"  # UTC-4 in late March (DST)
    a, b = leads_in_e1(db, 2)
    claim(db, rep, a, at("2026-03-20 03:30"))  # 23:30 on the 19th in New York

    # 04:00 UTC is midnight in New York: a new local day though still the same UTC day
    assert refusal(db, rep, b, at("2026-03-20 03:59:59")) == "daily_cap_reached"
    assert claim(db, rep, b, at("2026-03-20 04:00")).owner_id == rep.id


def test_previous_owner_is_locked_out_for_30_days(db, org):
    lead = make_lead(db, *IN_E1)
    claim(db, org["rep_e1"], lead)
    gone = released(db, org["rep_e1"], lead)

    assert refusal(db, org["rep_e1"], lead, gone + 29 * DAY) == "previous_owner_lockout"
    assert refusal(db, org["rep_e1"], lead, gone + 30 * DAY - SECOND) == "previous_owner_lockout"
    assert claim(db, org["rep_e1"], lead, gone + 30 * DAY).owner_id == org["rep_e1"].id


def test_release_cool_down_of_3_days_for_other_reps(db, org):
    lead = make_lead(db, *IN_E1)
    claim(db, org["rep_e1"], lead)
    gone = released(db, org["rep_e1"], lead)

    assert refusal(db, org["rep_e1b"], lead, gone + 3 * DAY - SECOND) == "release_cooldown"
    assert refusal(db, org["rep_e1"], lead, gone + 3 * DAY) == "previous_owner_lockout"
    assert claim(db, org["rep_e1b"], lead, gone + 3 * DAY).owner_id == org["rep_e1b"].id


def test_recycled_leads_lock_out_their_previous_owner_too(db, org):
    lead = make_lead(db, *IN_E1)
    claim(db, org["rep_e1"], lead, T0)
    assert pool.recycle_expired(db, now=T0 + 15 * DAY) == 1

    assert refusal(db, org["rep_e1"], lead, T0 + 44 * DAY) == "previous_owner_lockout"
    # a recycled lead counts as released: the cool-down applies to everyone else
    assert refusal(db, org["rep_e1b"], lead, T0 + 18 * DAY - SECOND) == "release_cooldown"
    assert claim(db, org["rep_e1b"], lead, T0 + 18 * DAY).owner_id == org["rep_e1b"].id


def test_recycle_after_15_days_without_verified_follow_up(db, org):
    lead = make_lead(db, *IN_E1)
    claim(db, org["rep_e1"], lead, T0)

    assert pool.recycle_expired(db, now=T0 + 15 * DAY - SECOND) == 0
    assert pool.recycle_expired(db, now=T0 + 15 * DAY) == 1
    assert pool.recycle_expired(db, now=T0 + 15 * DAY) == 0  # repeatable

    db.refresh(lead)
    assert lead.owner_id is None and lead.released_at == T0 + 15 * DAY
    last = events(db, lead)[-1]
    assert (last.reason, last.from_owner_id, last.to_owner_id, last.actor_id) == (
        "recycle",
        org["rep_e1"].id,
        None,
        None,
    )
    assert last.at == T0 + 15 * DAY


def test_a_verified_follow_up_restarts_the_recycle_clock(db, org):
    lead = make_lead(db, *IN_E1)
    claim(db, org["rep_e1"], lead, T0)
    pool.record_verified_activity(db, lead=lead, at=T0 + 10 * DAY)

    assert lead.last_verified_at == T0 + 10 * DAY
    assert lead.protected_until == T0 + 30 * DAY  # still the initial protection
    assert pool.recycle_expired(db, now=T0 + 25 * DAY - SECOND) == 0
    assert pool.recycle_expired(db, now=T0 + 25 * DAY) == 1


def test_follow_ups_extend_protection(db, org):
    lead = make_lead(db, *IN_E1)
    claim(db, org["rep_e1"], lead, T0)

    pool.record_verified_activity(db, lead=lead, at=T0 + 20 * DAY)

    assert lead.protected_until == T0 + 35 * DAY
    assert pool.recycle_expired(db, now=T0 + 35 * DAY - SECOND) == 0
    assert pool.recycle_expired(db, now=T0 + 35 * DAY) == 1


def test_protection_never_passes_the_hard_maximum(db, org):
    lead = make_lead(db, *IN_E1)
    claim(db, org["rep_e1"], lead, T0)
    for day in range(10, 90, 10):  # a verified visit every 10 days, to day 80
        pool.record_verified_activity(db, lead=lead, at=T0 + day * DAY)
        assert pool.recycle_expired(db, now=T0 + day * DAY) == 0

    assert lead.protected_until == T0 + 90 * DAY
    assert pool.recycle_expired(db, now=T0 + 90 * DAY - SECOND) == 0
    assert pool.recycle_expired(db, now=T0 + 90 * DAY) == 1


def test_an_older_follow_up_never_shortens_anything(db, org):
    lead = make_lead(db, *IN_E1)
    claim(db, org["rep_e1"], lead, T0)
    pool.record_verified_activity(db, lead=lead, at=T0 + 20 * DAY)

    pool.record_verified_activity(db, lead=lead, at=T0 + 5 * DAY)  # a late-synced old visit

    assert lead.last_verified_at == T0 + 20 * DAY
    assert lead.protected_until == T0 + 35 * DAY


def test_won_and_lost_leads_are_never_recycled(db, org):
    won, lost = leads_in_e1(db, 2)
    for lead, stage in ((won, Stage.WON), (lost, Stage.LOST)):
        claim(db, org["rep_e1"], lead, T0)
        lead.stage = stage.value
    db.flush()

    assert pool.recycle_expired(db, now=T0 + 1000 * DAY) == 0
    assert won.owner_id == lost.owner_id == org["rep_e1"].id


def test_recycle_follows_node_overrides(db, org):
    set_pool_rules(db, org["e1"], recycle_after_days=5)
    e1_lead = make_lead(db, *IN_E1)
    e2_lead = make_lead(db, 31.25, 121.48)
    claim(db, org["rep_e1"], e1_lead, T0)
    claim(db, org["rep_e2"], e2_lead, T0)

    assert pool.recycle_expired(db, now=T0 + 5 * DAY) == 1
    assert (e1_lead.owner_id, e2_lead.owner_id) == (None, org["rep_e2"].id)


def test_reminder_window_opens_3_days_before_recycling():
    due = T0 + 15 * DAY
    defaults = rules.PoolRules()

    assert not rules.reminder_due(defaults, due_at=due, now=due - 3 * DAY - SECOND)
    assert rules.reminder_due(defaults, due_at=due, now=due - 3 * DAY)
    assert rules.reminder_due(defaults, due_at=due, now=due + DAY)
    assert not rules.reminder_due(rules.PoolRules(reminder_days=1), due_at=due, now=due - 2 * DAY)


def test_recycle_due_is_the_earlier_of_idle_and_protection():
    defaults = rules.PoolRules()
    assert rules.recycle_due_at(
        defaults, claimed_at=T0, last_verified_at=None, protected_until=None
    ) == (T0 + 15 * DAY)
    assert (
        rules.recycle_due_at(
            defaults, claimed_at=T0, last_verified_at=T0 + 10 * DAY, protected_until=T0 + 20 * DAY
        )
        == T0 + 20 * DAY
    )


def test_the_nearest_ancestor_override_wins(db, org):
    set_pool_rules(db, org["company"], capacity=5, release_cooldown_days=1)
    set_pool_rules(db, org["east"], capacity=3)
    set_pool_rules(db, org["e1"], daily_claim_cap=7)

    e1 = pool.rules_for_node(db, org["e1"].id)
    e2 = pool.rules_for_node(db, org["e2"].id)
    w = pool.rules_for_node(db, org["w"].id)

    assert (e1.capacity, e1.daily_claim_cap, e1.release_cooldown_days) == (3, 7, 1)
    assert (e2.capacity, e2.daily_claim_cap, e2.release_cooldown_days) == (3, 20, 1)
    assert (w.capacity, w.daily_claim_cap) == (5, 20)
    assert pool.rules_for_node(db, None) == rules.PoolRules()


def test_a_team_override_beats_the_company_in_claims(db, org):
    set_pool_rules(db, org["company"], capacity=1)
    set_pool_rules(db, org["e1"], capacity=2)
    a, b, c = leads_in_e1(db, 3)
    e2_a, e2_b = make_lead(db, 31.25, 121.48), make_lead(db, 31.26, 121.48)
    claim(db, org["rep_e1"], a, T0)
    claim(db, org["rep_e2"], e2_a, T0)

    assert claim(db, org["rep_e1"], b, T0).owner_id == org["rep_e1"].id
    assert refusal(db, org["rep_e1"], c, T0) == "capacity_reached"
    assert refusal(db, org["rep_e2"], e2_b, T0) == "capacity_reached"


def test_claims_write_history_with_the_rules_clock(db, org):
    lead = make_lead(db, *IN_E1)

    claimed = claim(db, org["rep_e1"], lead, T0)

    assert (claimed.claimed_at, claimed.protected_until) == (T0, T0 + 30 * DAY)
    [event] = events(db, lead)
    assert (event.reason, event.actor_id, event.to_owner_id, event.at) == (
        "claim",
        org["rep_e1"].id,
        org["rep_e1"].id,
        T0,
    )


def test_a_lead_with_an_owner_is_already_claimed(db, org):
    lead = make_lead(db, *IN_E1, owner=org["rep_e1b"])

    with pytest.raises(pool.AlreadyClaimed):
        claim(db, org["rep_e1"], lead, T0)
    assert db.get(Lead, lead.id).owner_id == org["rep_e1b"].id
