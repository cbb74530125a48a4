"""Owner changes over HTTP: claim, release, transfer, assign, recycle, each in the history."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app import create_app
from app.leads import pool
from app.leads.models import Lead, LeadOwnerEvent
from app.org.models import Role
from tests.app.auth.helpers import assert_problem
from tests.factories import make_staff
from tests.factories_geo import IN_E1, at, make_geo_org, make_lead, principal_of

URL = "/api/v1/leads"


def history(client, headers, lead_id):
    response = client.get(f"{URL}/{lead_id}/history", headers=headers)
    assert response.status_code == 200
    return [
        (e["reason"], e["from_owner_id"], e["to_owner_id"], e["actor_id"])
        for e in response.get_json()
    ]


def test_claim_and_release_are_recorded_with_actor_and_note(client, db, org, headers):
    lead = make_lead(db, *IN_E1)
    rep = org["rep_e1"]

    claimed = client.post(f"{URL}/{lead.id}/claim", headers=headers(rep))
    released = client.post(
        f"{URL}/{lead.id}/release", json={"note": "not interested"}, headers=headers(rep)
    )

    assert claimed.status_code == 200 and claimed.get_json()["owner_id"] == rep.id
    assert claimed.get_json()["protected_until"] is not None
    assert released.status_code == 200 and released.get_json()["owner_id"] is None
    assert released.get_json()["released_at"] is not None
    assert history(client, headers(rep), lead.id) == [
        ("claim", None, rep.id, rep.id),
        ("release", rep.id, None, rep.id),
    ]
    notes = client.get(f"{URL}/{lead.id}/history", headers=headers(rep)).get_json()
    assert [e["note"] for e in notes] == [None, "not interested"]


def test_claiming_twice_is_already_claimed_and_releasing_a_public_lead_conflicts(
    client, db, org, headers
):
    lead = make_lead(db, *IN_E1, owner=org["rep_e1"])
    public = make_lead(db, 31.26, 121.42)

    again = client.post(f"{URL}/{lead.id}/claim", headers=headers(org["rep_e1"]))
    release = client.post(f"{URL}/{public.id}/release", json={}, headers=headers(org["lead_e1"]))

    assert_problem(again, 409, "already_claimed")
    assert_problem(release, 409, "resource.conflict")


def test_a_team_lead_assigns_transfers_and_releases_with_history(client, db, org, headers):
    lead = make_lead(db, *IN_E1)
    boss, a, b = org["lead_e1"], org["rep_e1"], org["rep_e1b"]

    assign = client.post(
        f"{URL}/{lead.id}/transfer", json={"to_staff_id": a.id}, headers=headers(boss)
    )
    transfer = client.post(
        f"{URL}/{lead.id}/transfer",
        json={"to_staff_id": b.id, "note": "a is on leave"},
        headers=headers(boss),
    )
    release = client.post(f"{URL}/{lead.id}/release", json={}, headers=headers(org["lead_east"]))

    assert assign.status_code == transfer.status_code == release.status_code == 200
    assert history(client, headers(org["admin"]), lead.id) == [
        ("assign", None, a.id, boss.id),
        ("transfer", a.id, b.id, boss.id),
        ("release", b.id, None, org["lead_east"].id),
    ]


def test_transfer_to_a_rep_outside_the_leads_territory_is_out_of_territory(
    client, db, org, headers
):
    lead = make_lead(db, *IN_E1, owner=org["rep_e1"])

    for boss in ("lead_east", "admin"):  # both manage rep_e2, whose team does not cover E1
        response = client.post(
            f"{URL}/{lead.id}/transfer",
            json={"to_staff_id": org["rep_e2"].id},
            headers=headers(org[boss]),
        )
        assert_problem(response, 403, "out_of_territory")
    # lead_e1 does not manage rep_e2: answered like an unknown staff id, revealing nothing
    response = client.post(
        f"{URL}/{lead.id}/transfer",
        json={"to_staff_id": org["rep_e2"].id},
        headers=headers(org["lead_e1"]),
    )
    assert response.status_code == 422
    db.expire_all()
    assert db.get(Lead, lead.id).owner_id == org["rep_e1"].id
    assert db.scalar(sa.select(sa.func.count()).select_from(LeadOwnerEvent)) == 0


@pytest.mark.parametrize("target", ["lead_e1", "admin", "hr", "inactive_rep", "missing"])
def test_transfer_to_someone_who_is_not_an_active_rep_is_422(client, db, org, headers, target):
    lead = make_lead(db, *IN_E1, owner=org["rep_e1"])
    people = {
        **org.people,
        "inactive_rep": make_staff(db, org["e1"], Role.REP, active=False),
    }
    to_id = people[target].id if target in people else 99_999_999

    response = client.post(
        f"{URL}/{lead.id}/transfer", json={"to_staff_id": to_id}, headers=headers(org["lead_e1"])
    )

    assert_problem(response, 422, "lead.invalid_owner")
    db.expire_all()
    assert db.get(Lead, lead.id).owner_id == org["rep_e1"].id


def test_a_rep_releases_only_their_own_lead(client, db, org, headers):
    lead = make_lead(db, *IN_E1, owner=org["rep_e1"])

    # rep_e1b cannot see it at all; rep_e1 can release it
    assert_problem(
        client.post(f"{URL}/{lead.id}/release", json={}, headers=headers(org["rep_e1b"])), 404
    )
    assert (
        client.post(f"{URL}/{lead.id}/release", json={}, headers=headers(org["rep_e1"])).status_code
        == 200
    )


def test_recycling_appears_in_the_history_as_the_system(client, db, org, headers):
    lead = make_lead(db, *IN_E1)
    t0 = at("2026-03-02 09:00")
    pool.claim(db, principal_of(db, org["rep_e1"]), lead=lead, now=t0)

    assert pool.recycle_expired(db, now=at("2026-03-17 09:00")) == 1

    assert history(client, headers(org["lead_e1"]), lead.id) == [
        ("claim", None, org["rep_e1"].id, org["rep_e1"].id),
        ("recycle", org["rep_e1"].id, None, None),
    ]


def test_a_leaver_s_leads_all_go_back_through_the_one_path(db, org):
    from app.leads.models import OwnerChange

    owned = [make_lead(db, IN_E1[0] + i * 1e-3, IN_E1[1], owner=org["rep_e1"]) for i in range(3)]
    won = make_lead(db, 31.27, 121.42, owner=org["rep_e1"], stage="won")

    moved = pool.release_all(
        db, staff_id=org["rep_e1"].id, actor_id=org["hr"].id, reason=OwnerChange.LEAVER
    )

    assert moved == 3
    assert all(lead.owner_id is None for lead in owned)
    assert won.owner_id == org["rep_e1"].id
    reasons = db.scalars(
        sa.select(LeadOwnerEvent.reason).where(LeadOwnerEvent.actor_id == org["hr"].id)
    ).all()
    assert reasons == ["leaver"] * 3


@pytest.fixture
def cli_app(settings, committed, engine):
    app = create_app(settings, sessions=committed)
    app.extensions["waypoint.engine"] = engine
    return app


def test_the_recycle_cli_recycles_once_and_is_repeatable(cli_app, committed):
    t0 = at("2026-03-02 09:00")
    with committed() as session:
        org = make_geo_org(session)
        due, fresh = make_lead(session, *IN_E1), make_lead(session, 31.26, 121.42)
        rep = principal_of(session, org["rep_e1"])
        pool.claim(session, rep, lead=due, now=t0)
        pool.claim(session, rep, lead=fresh, now=at("2026-03-10 09:00"))
        session.commit()
    runner = cli_app.test_cli_runner()

    first = runner.invoke(args=["leads", "recycle", "--now", "2026-03-17 09:00:00"])
    second = runner.invoke(args=["leads", "recycle", "--now", "2026-03-17 09:00:00"])

    assert first.exit_code == 0, first.output
    assert "recycled 1 lead(s)" in first.output
    assert "recycled 0 lead(s)" in second.output
    with committed() as session:
        assert session.get(Lead, due.id).owner_id is None
        assert session.get(Lead, fresh.id).owner_id == org["rep_e1"].id
        recycles = session.scalars(
            sa.select(LeadOwnerEvent).where(LeadOwnerEvent.reason == "recycle")
        ).all()
        assert [(e.lead_id, e.actor_id) for e in recycles] == [(due.id, None)]
