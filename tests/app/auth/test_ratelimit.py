"""Login rate limits: per account (whatever the IP) and per IP (whatever the account)."""

from __future__ import annotations

import pytest

from app import create_app
from app.org.models import Role
from tests.app.auth.helpers import LOGIN_URL, assert_problem, post_login
from tests.conftest import make_settings
from tests.factories import PASSWORD, make_staff


@pytest.fixture
def limited_client(settings, sessions):
    """An app with limits on: 3 attempts per account, 5 per IP, per minute."""
    limited = make_settings(
        settings.instance_path,
        settings.database_url,
        ratelimit_enabled=True,
        login_rate_limit="3 per minute",
        login_ip_rate_limit="5 per minute",
    )
    return create_app(limited, sessions=sessions).test_client()


def attempt(client, login: str, *, ip: str, password: str = PASSWORD):
    """A login attempt from the given client address."""
    body = {"login": login, "password": password, "device_id": "dev-1", "platform": "ios"}
    return client.post(LOGIN_URL, json=body, environ_base={"REMOTE_ADDR": ip})


def test_fourth_attempt_on_one_account_is_429(limited_client, rep):
    statuses = [
        post_login(limited_client, rep.employee_number, password="wrong-password").status_code
        for _ in range(3)
    ]

    response = post_login(limited_client, rep.employee_number)

    assert statuses == [401, 401, 401]
    body = assert_problem(response, 429, "request.rate_limited")
    assert "3 per 1 minute" in body["detail"]
    assert int(response.headers["Retry-After"]) > 0


def test_account_limit_holds_across_ips(limited_client, rep):
    for n in range(3):
        attempt(limited_client, rep.employee_number, ip=f"10.0.0.{n}", password="wrong")

    response = attempt(limited_client, rep.employee_number, ip="10.0.0.9")

    assert_problem(response, 429, "request.rate_limited")


def test_another_account_from_the_same_ip_is_allowed_until_the_ip_limit(
    limited_client, db, team, rep
):
    others = [make_staff(db, team, Role.REP) for _ in range(3)]
    for _ in range(3):
        post_login(limited_client, rep.employee_number, password="wrong-password")
    assert post_login(limited_client, rep.employee_number).status_code == 429

    statuses = [post_login(limited_client, other.employee_number).status_code for other in others]

    # 4 or 5 attempts from this IP so far (depending on whether the refused one counted):
    # the next account still gets in, and by the 7th attempt the IP limit of 5 bites.
    assert statuses[0] == 200
    assert statuses[-1] == 429


def test_ip_limit_bites_for_every_account(limited_client, db, team):
    people = [make_staff(db, team, Role.REP) for _ in range(6)]

    statuses = [
        attempt(limited_client, person.employee_number, ip="10.1.1.1", password="x").status_code
        for person in people
    ]

    assert statuses == [401] * 5 + [429]
    assert attempt(limited_client, people[0].employee_number, ip="10.9.9.9").status_code == 200


def test_rate_limits_are_off_in_the_default_test_app(client, rep):
    for _ in range(12):
        assert post_login(client, rep.employee_number, password="wrong-password").status_code == 401
