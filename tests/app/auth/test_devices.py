"""Device binding: at most N devices per person; unbinding frees a slot and ends its sessions."""

from __future__ import annotations

import dataclasses

import pytest

from app import create_app
from app.org.models import Role
from tests.app.auth.helpers import (
    assert_problem,
    assert_unauthenticated,
    auth_row_counts,
    bearer,
    get_me,
    post_login,
    post_refresh,
    session_row,
)
from tests.factories import auth_header, make_node, make_staff


def device_url(staff_id: int, device_id: str) -> str:
    return f"/api/v1/staff/{staff_id}/devices/{device_id}"


def test_the_same_device_may_log_in_again(client, rep):
    for _ in range(3):
        assert post_login(client, rep.employee_number, device_id="phone-a").status_code == 200
    assert post_login(client, rep.employee_number, device_id="phone-b").status_code == 200


def test_third_device_is_refused_listing_the_bound_ones(client, rep):
    post_login(client, rep.employee_number, device_id="phone-a", platform="android")
    post_login(client, rep.employee_number, device_id="phone-b", platform="ios")

    response = post_login(client, rep.employee_number, device_id="phone-c")

    body = assert_problem(response, 409, "auth.device_limit")
    assert body["bound_devices"] == [
        {"device_id": "phone-a", "platform": "android"},
        {"device_id": "phone-b", "platform": "ios"},
    ]
    assert "2 of 2" in body["detail"]


def test_refused_device_writes_nothing(client, sessions, rep):
    post_login(client, rep.employee_number, device_id="phone-a")
    post_login(client, rep.employee_number, device_id="phone-b")
    before = auth_row_counts(sessions)

    assert post_login(client, rep.employee_number, device_id="phone-c").status_code == 409
    assert auth_row_counts(sessions) == before


def test_bound_devices_still_log_in_when_the_limit_is_reached(client, rep):
    post_login(client, rep.employee_number, device_id="phone-a")
    post_login(client, rep.employee_number, device_id="phone-b")
    post_login(client, rep.employee_number, device_id="phone-c")

    assert post_login(client, rep.employee_number, device_id="phone-a").status_code == 200
    assert post_login(client, rep.employee_number, device_id="phone-b").status_code == 200


def test_device_slots_are_per_person(client, db, team, rep):
    other = make_staff(db, team, Role.REP)
    post_login(client, rep.employee_number, device_id="phone-a")
    post_login(client, rep.employee_number, device_id="phone-b")

    assert post_login(client, other.employee_number, device_id="phone-c").status_code == 200
    # A device id is not exclusive to one person: a shared phone may serve two people.
    assert post_login(client, other.employee_number, device_id="phone-a").status_code == 200


def test_device_limit_is_configurable(settings, sessions, rep):
    app = create_app(dataclasses.replace(settings, max_devices_per_staff=3), sessions=sessions)
    client = app.test_client()

    for device in ("phone-a", "phone-b", "phone-c"):
        assert post_login(client, rep.employee_number, device_id=device).status_code == 200
    response = post_login(client, rep.employee_number, device_id="phone-d")
    assert len(assert_problem(response, 409, "auth.device_limit")["bound_devices"]) == 3


@pytest.mark.parametrize("manager", ["admin", "lead"])
def test_unbinding_frees_the_slot_and_ends_that_devices_sessions(client, request, rep, manager):
    a = post_login(client, rep.employee_number, device_id="phone-a").get_json()
    b = post_login(client, rep.employee_number, device_id="phone-b").get_json()
    headers = auth_header(client, request.getfixturevalue(manager), device_id="desk-1")

    response = client.delete(device_url(rep.id, "phone-a"), headers=headers)

    assert response.status_code == 204
    assert_unauthenticated(get_me(client, a["access_token"]))
    assert_problem(post_refresh(client, a["refresh_token"]), 401, "auth.invalid_refresh_token")
    assert get_me(client, b["access_token"]).status_code == 200
    assert post_login(client, rep.employee_number, device_id="phone-c").status_code == 200


def test_unbinding_records_why_the_session_ended(client, sessions, admin, rep):
    a = post_login(client, rep.employee_number, device_id="phone-a").get_json()
    client.delete(device_url(rep.id, "phone-a"), headers=auth_header(client, admin, "desk-1"))

    row = session_row(sessions, a["session_id"])
    assert row.revoked_at is not None
    assert row.revoked_reason == "device_unbound"


def test_unbound_device_may_bind_again_later(client, admin, rep):
    post_login(client, rep.employee_number, device_id="phone-a")
    client.delete(device_url(rep.id, "phone-a"), headers=auth_header(client, admin, "desk-1"))

    again = post_login(client, rep.employee_number, device_id="phone-a")
    assert again.status_code == 200
    listed = client.get(
        f"/api/v1/staff/{rep.id}/devices", headers=auth_header(client, admin, "desk-1")
    )
    assert [d["device_id"] for d in listed.get_json()] == ["phone-a"]


def test_unbinding_an_unknown_device_is_404(client, admin, rep):
    response = client.delete(
        device_url(rep.id, "never-bound"), headers=auth_header(client, admin, "desk-1")
    )

    assert_problem(response, 404, "resource.not_found")


def test_a_rep_cannot_unbind_devices(client, db, team, rep):
    post_login(client, rep.employee_number, device_id="phone-a")
    colleague = make_staff(db, team, Role.REP)

    for target in (rep, colleague):
        response = client.delete(
            device_url(rep.id, "phone-a"), headers=auth_header(client, target, "desk-1")
        )
        assert_problem(response, 403, "auth.forbidden")


def test_a_lead_of_another_team_cannot_unbind(client, db, company, rep):
    other_team = make_node(db, company, name="Team B")
    other_lead = make_staff(db, other_team, Role.TEAM_LEAD)
    token = post_login(client, rep.employee_number, device_id="phone-a").get_json()

    response = client.delete(
        device_url(rep.id, "phone-a"), headers=auth_header(client, other_lead, "desk-1")
    )

    assert_problem(response, 404, "resource.not_found")
    assert get_me(client, token["access_token"]).status_code == 200


def test_unbinding_needs_a_token(client, rep):
    post_login(client, rep.employee_number, device_id="phone-a")

    assert_unauthenticated(client.delete(device_url(rep.id, "phone-a")))
    assert_unauthenticated(client.delete(device_url(rep.id, "phone-a"), headers=bearer("x.y.z")))
