"""Real concurrency on PostgreSQL: HR deactivates a rep while the rep is mid-request."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from app import create_app
from app.hr import tokens
from app.leads.models import Lead, LeadOwnerEvent
from app.org.models import OrgNode, Role, Staff
from tests.app.auth.helpers import get_me, post_login, post_refresh
from tests.app.hr.conftest import Scim, fixture, ok
from tests.factories import make_node, make_staff

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def world(committed):
    with committed() as session:
        company = make_node(session, name="Company", kind="company")
        rep = make_staff(session, company, Role.REP, external_hr_id="okta-rep")
        _token, secret = tokens.create_token(
            session, name="okta", root_node_id=company.id, created_by_id=None
        )
        session.commit()
        return {"rep_id": rep.id, "login": rep.employee_number, "secret": secret}


def test_deactivation_during_a_request_ends_access_on_the_next_one(settings, committed, world):
    app = create_app(settings, sessions=committed)
    client = app.test_client()
    tokens_ = post_login(client, world["login"]).get_json()
    scim = Scim(app.test_client(), world["secret"])

    # The rep's request holds the staff row (as a claim does) while HR deactivates.
    holding, release = threading.Event(), threading.Event()
    result: dict[str, int] = {}

    def rep_request() -> None:
        with committed() as session:
            session.execute(
                sa.select(Staff.id).where(Staff.id == world["rep_id"]).with_for_update()
            )
            holding.set()
            release.wait(10)
            session.commit()
        result["me"] = get_me(client, tokens_["access_token"]).status_code

    worker = threading.Thread(target=rep_request)
    worker.start()
    assert holding.wait(10)
    hr = threading.Thread(
        target=lambda: result.__setitem__(
            "hr",
            scim.patch(f"/Users/{world['rep_id']}", fixture("okta_deactivate.json")).status_code,
        )
    )
    hr.start()
    release.set()
    worker.join(20)
    hr.join(20)
    assert result["hr"] == 200
    assert get_me(client, tokens_["access_token"]).status_code == 401
    assert post_refresh(client, tokens_["refresh_token"]).status_code == 401


def test_racing_deactivations_release_leads_exactly_once(settings, committed, world):
    from tests.factories_geo import E1_BOX, IN_E1, make_lead, make_territory

    with committed() as session:
        rep = session.get(Staff, world["rep_id"])
        node = make_node(session, session.get(OrgNode, rep.org_node_id), name="E1")
        rep.org_node_id = node.id
        make_territory(session, node, E1_BOX)
        leads = [make_lead(session, *IN_E1, owner=rep).id for _ in range(3)]
        session.commit()
    app = create_app(settings, sessions=committed)
    body = fixture("okta_deactivate.json")
    statuses: list[int] = []
    barrier = threading.Barrier(3)

    def deactivate() -> None:
        scim = Scim(app.test_client(), world["secret"])
        barrier.wait(10)
        statuses.append(scim.patch(f"/Users/{world['rep_id']}", body).status_code)

    threads = [threading.Thread(target=deactivate) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert statuses.count(200) >= 1 and set(statuses) <= {200, 404, 409, 503}
    with committed() as session:
        assert all(session.get(Lead, lead_id).owner_id is None for lead_id in leads)
        events = session.scalars(
            sa.select(LeadOwnerEvent).where(LeadOwnerEvent.reason == "leaver")
        ).all()
        assert sorted(e.lead_id for e in events) == sorted(leads)


def test_hr_reads_see_a_committed_deactivation(settings, committed, world):
    app = create_app(settings, sessions=committed)
    scim = Scim(app.test_client(), world["secret"])
    ok(scim.patch(f"/Users/{world['rep_id']}", fixture("okta_deactivate.json")))
    assert ok(scim.get(f"/Users/{world['rep_id']}"))["active"] is False
