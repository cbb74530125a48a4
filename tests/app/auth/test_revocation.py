"""Revocation bites on the very next request: logout, deactivation, password and role changes."""

from __future__ import annotations

import pytest

from app.org.models import Role
from tests.app.auth.helpers import (
    LOGOUT_URL,
    assert_problem,
    assert_unauthenticated,
    bearer,
    get_me,
    post_login,
    post_refresh,
    session_row,
)
from tests.factories import auth_header, make_staff

NEW_PASSWORD = "a-brand-new-passphrase"


@pytest.fixture
def phone_a(client, rep):
    return post_login(client, rep.employee_number, device_id="phone-a").get_json()


@pytest.fixture
def phone_b(client, rep):
    return post_login(client, rep.employee_number, device_id="phone-b").get_json()


@pytest.fixture
def admin_headers(client, admin):
    return auth_header(client, admin, device_id="admin-desk")


def test_logout_ends_only_this_devices_session(client, sessions, phone_a, phone_b):
    response = client.post(LOGOUT_URL, headers=bearer(phone_a["access_token"]))

    assert response.status_code == 204
    assert_unauthenticated(get_me(client, phone_a["access_token"]))
    assert_problem(post_refresh(client, phone_a["refresh_token"]), 401)
    assert session_row(sessions, phone_a["session_id"]).revoked_reason == "logout"
    assert get_me(client, phone_b["access_token"]).status_code == 200
    assert post_refresh(client, phone_b["refresh_token"]).status_code == 200


def test_logout_keeps_the_device_bound(client, rep, phone_a, phone_b):
    client.post(LOGOUT_URL, headers=bearer(phone_a["access_token"]))

    assert post_login(client, rep.employee_number, device_id="phone-a").status_code == 200
    assert_problem(post_login(client, rep.employee_number, device_id="phone-c"), 409)


def test_logout_twice_is_401(client, phone_a):
    client.post(LOGOUT_URL, headers=bearer(phone_a["access_token"]))

    assert_unauthenticated(client.post(LOGOUT_URL, headers=bearer(phone_a["access_token"])))


def test_logout_needs_a_token(client):
    assert_unauthenticated(client.post(LOGOUT_URL))


def test_deactivation_cuts_access_and_refresh_on_the_next_request(
    client, admin_headers, rep, phone_a, phone_b
):
    response = client.post(f"/api/v1/staff/{rep.id}/deactivate", headers=admin_headers)

    assert response.status_code == 200
    assert response.get_json()["active"] is False
    for pair in (phone_a, phone_b):
        assert_unauthenticated(get_me(client, pair["access_token"]))
        assert_problem(post_refresh(client, pair["refresh_token"]), 401)
    assert_problem(post_login(client, rep.employee_number), 403, "auth.account_inactive")


def test_deactivation_unbinds_every_device_and_records_why(
    client, sessions, admin_headers, rep, phone_a
):
    client.post(f"/api/v1/staff/{rep.id}/deactivate", headers=admin_headers)

    assert session_row(sessions, phone_a["session_id"]).revoked_reason == "deactivated"
    devices = client.get(f"/api/v1/staff/{rep.id}/devices", headers=admin_headers)
    assert devices.get_json() == []


def test_reactivated_person_must_log_in_again(client, admin_headers, rep, phone_a):
    client.post(f"/api/v1/staff/{rep.id}/deactivate", headers=admin_headers)
    client.post(f"/api/v1/staff/{rep.id}/reactivate", headers=admin_headers)

    assert_unauthenticated(get_me(client, phone_a["access_token"]))
    assert_problem(post_refresh(client, phone_a["refresh_token"]), 401)
    fresh = post_login(client, rep.employee_number, device_id="phone-c")
    assert fresh.status_code == 200
    assert get_me(client, fresh.get_json()["access_token"]).status_code == 200


def test_deactivated_admin_loses_admin_powers_at_once(client, db, company, admin, rep):
    other_admin = post_login(client, admin.employee_number, device_id="admin-desk").get_json()
    boss = make_staff(db, company, Role.ADMIN)
    client.post(f"/api/v1/staff/{admin.id}/deactivate", headers=auth_header(client, boss, "desk"))

    response = client.post(
        f"/api/v1/staff/{rep.id}/deactivate", headers=bearer(other_admin["access_token"])
    )
    assert_unauthenticated(response)


def test_cannot_deactivate_yourself(client, admin, admin_headers):
    response = client.post(f"/api/v1/staff/{admin.id}/deactivate", headers=admin_headers)

    assert_problem(response, 409, "staff.self_deactivation")
    assert get_me(client, admin_headers["Authorization"].split()[1]).status_code == 200


def test_password_change_ends_sessions(client, sessions, admin_headers, rep, phone_a, phone_b):
    response = client.patch(
        f"/api/v1/staff/{rep.id}", json={"password": NEW_PASSWORD}, headers=admin_headers
    )

    assert response.status_code == 200
    for pair in (phone_a, phone_b):
        assert_unauthenticated(get_me(client, pair["access_token"]))
        assert_problem(post_refresh(client, pair["refresh_token"]), 401)
    assert session_row(sessions, phone_a["session_id"]).revoked_reason == "credentials_changed"
    assert_problem(post_login(client, rep.employee_number, device_id="phone-a"), 401)
    # Devices stay bound: the person logs in again on the same phone with the new password.
    again = post_login(client, rep.employee_number, device_id="phone-a", password=NEW_PASSWORD)
    assert again.status_code == 200


def test_role_change_ends_sessions(client, admin_headers, rep, phone_a):
    response = client.patch(
        f"/api/v1/staff/{rep.id}", json={"role": Role.TEAM_LEAD.value}, headers=admin_headers
    )

    assert response.status_code == 200
    assert_unauthenticated(get_me(client, phone_a["access_token"]))
    assert_problem(post_refresh(client, phone_a["refresh_token"]), 401)
    again = post_login(client, rep.employee_number, device_id="phone-a").get_json()
    assert get_me(client, again["access_token"]).get_json()["role"] == Role.TEAM_LEAD.value


@pytest.mark.parametrize(
    "change",
    [{"name": "Renamed Person"}, {"role": Role.REP.value}, {"timezone": "Asia/Shanghai"}],
    ids=["name", "same-role", "timezone"],
)
def test_harmless_changes_keep_sessions(client, admin_headers, rep, phone_a, change):
    response = client.patch(f"/api/v1/staff/{rep.id}", json=change, headers=admin_headers)

    assert response.status_code == 200
    assert get_me(client, phone_a["access_token"]).status_code == 200
    assert post_refresh(client, phone_a["refresh_token"]).status_code == 200


def test_a_refused_change_ends_no_session(client, db, team, admin_headers, rep, phone_a):
    taken = make_staff(db, team, Role.REP)
    response = client.patch(
        f"/api/v1/staff/{rep.id}",
        json={"password": NEW_PASSWORD, "employee_number": taken.employee_number},
        headers=admin_headers,
    )

    assert_problem(response, 409, "staff.duplicate")
    assert get_me(client, phone_a["access_token"]).status_code == 200
    assert post_login(client, rep.employee_number, device_id="phone-a").status_code == 200
