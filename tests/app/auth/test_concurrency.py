"""Real concurrency on PostgreSQL: committed data, requests racing from threads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa

from app import create_app
from app.auth.models import Device
from app.org.models import Role, Staff
from tests.app.auth.helpers import assert_problem, get_me, post_login, post_refresh
from tests.factories import make_node, make_staff

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def person(committed) -> Staff:
    with committed() as session:
        company = make_node(session, name="Company", kind="company")
        staff = make_staff(session, company, Role.REP)
        session.commit()
    return staff


@pytest.fixture
def live_app(settings, committed):
    return create_app(settings, sessions=committed)


def race(app, n: int, action: Callable[[Any, int], Any]) -> list[Any]:
    """Run `action(client, i)` in n threads released together by a barrier."""
    barrier = threading.Barrier(n)

    def worker(i: int) -> Any:
        client = app.test_client()
        barrier.wait(timeout=30)
        return action(client, i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return [f.result(timeout=120) for f in [pool.submit(worker, i) for i in range(n)]]


def test_two_concurrent_refreshes_of_one_token_exactly_one_wins(live_app, person):
    pair = post_login(live_app.test_client(), person.employee_number).get_json()

    for _ in range(5):  # several rounds: each round races the token the last winner got
        token = pair["refresh_token"]
        responses = race(live_app, 2, lambda client, _i, token=token: post_refresh(client, token))

        assert sorted(r.status_code for r in responses) == [200, 401]
        winner = next(r for r in responses if r.status_code == 200)
        loser = next(r for r in responses if r.status_code == 401)
        assert_problem(loser, 401, "auth.refresh_in_flight")
        pair = winner.get_json()

    # The racing client was spared: the family is intact and the newest token works.
    client = live_app.test_client()
    assert get_me(client, pair["access_token"]).status_code == 200
    assert post_refresh(client, pair["refresh_token"]).status_code == 200


def test_concurrent_logins_from_new_devices_never_exceed_the_limit(
    live_app, settings, committed, person
):
    n = 6
    responses = race(
        live_app,
        n,
        lambda client, i: post_login(client, person.employee_number, device_id=f"phone-{i}"),
    )

    statuses = sorted(r.status_code for r in responses)
    limit = settings.max_devices_per_staff
    assert statuses == [200] * limit + [409] * (n - limit)
    for refused in (r for r in responses if r.status_code == 409):
        assert_problem(refused, 409, "auth.device_limit")
    with committed() as session:
        bound = session.scalars(
            sa.select(Device.device_id).where(
                Device.staff_id == person.id, Device.unbound_at.is_(None)
            )
        ).all()
    winners = {r.get_json()["session_id"] for r in responses if r.status_code == 200}
    assert len(bound) == limit
    assert len(winners) == limit


def test_concurrent_logins_from_one_new_device_bind_it_once(live_app, committed, person):
    responses = race(
        live_app,
        4,
        lambda client, _i: post_login(client, person.employee_number, device_id="phone-x"),
    )

    assert [r.status_code for r in responses] == [200] * 4
    with committed() as session:
        rows = session.scalar(
            sa.select(sa.func.count()).select_from(Device).where(Device.staff_id == person.id)
        )
    assert rows == 1
