"""Refresh: rotation on every use, reuse revokes the family, a racing client is spared."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.auth import service
from app.auth.service import RefreshRace, RefreshTokenReused
from app.db import utcnow
from tests.app.auth.helpers import (
    assert_problem,
    assert_unauthenticated,
    get_me,
    post_login,
    post_refresh,
    session_row,
)
from tests.factories import PASSWORD


def login_at(db, auth_config, staff, when, device_id="device-0001"):
    """Log in through the service as if at `when` (past logins make old tokens)."""
    pair = service.login(
        db,
        auth_config,
        login=staff.employee_number,
        password=PASSWORD,
        device_id=device_id,
        platform="android",
        now=when,
    )
    db.flush()
    return pair


def test_refresh_rotates_both_tokens(client, settings, rep):
    first = post_login(client, rep.employee_number).get_json()

    response = post_refresh(client, first["refresh_token"])

    assert response.status_code == 200
    second = response.get_json()
    assert second["token_type"] == "Bearer"
    assert second["expires_in"] == settings.access_token_ttl_s
    assert second["session_id"] == first["session_id"]
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert get_me(client, second["access_token"]).status_code == 200
    assert post_refresh(client, second["refresh_token"]).status_code == 200


def test_a_rotated_refresh_token_no_longer_works(client, rep):
    first = post_login(client, rep.employee_number).get_json()
    post_refresh(client, first["refresh_token"])

    # Within the grace period: refused as a racing duplicate, the session survives.
    response = post_refresh(client, first["refresh_token"])
    assert_problem(response, 401, "auth.refresh_in_flight")


def test_reuse_within_the_grace_revokes_nothing(client, sessions, rep):
    first = post_login(client, rep.employee_number).get_json()
    second = post_refresh(client, first["refresh_token"]).get_json()

    assert_problem(post_refresh(client, first["refresh_token"]), 401, "auth.refresh_in_flight")

    assert session_row(sessions, first["session_id"]).revoked_at is None
    assert get_me(client, second["access_token"]).status_code == 200
    assert post_refresh(client, second["refresh_token"]).status_code == 200


def test_reuse_after_the_grace_revokes_the_whole_family_and_keeps_it(
    client, db, sessions, auth_config, rep
):
    # Log in and rotate 10 s ago, so that presenting the first token now is past the grace.
    start = utcnow() - timedelta(seconds=10)
    first = login_at(db, auth_config, rep, start)
    second = service.refresh(db, auth_config, refresh_token=first.refresh_token, now=start)
    db.flush()
    assert get_me(client, second.access_token).status_code == 200

    response = post_refresh(client, first.refresh_token)

    assert_problem(response, 401, "auth.refresh_token_reused")
    # The request answered with an error, yet the revocation was committed.
    row = session_row(sessions, first.session_id)
    assert row.revoked_at is not None
    assert row.revoked_reason == "refresh_reuse"
    assert_problem(post_refresh(client, second.refresh_token), 401, "auth.invalid_refresh_token")
    assert_unauthenticated(get_me(client, second.access_token))
    assert_unauthenticated(get_me(client, first.access_token))


def test_reuse_revokes_only_that_family(client, db, auth_config, rep):
    start = utcnow() - timedelta(seconds=10)
    stolen = login_at(db, auth_config, rep, start, device_id="phone-a")
    service.refresh(db, auth_config, refresh_token=stolen.refresh_token, now=start)
    other = post_login(client, rep.employee_number, device_id="phone-b").get_json()

    assert_problem(post_refresh(client, stolen.refresh_token), 401, "auth.refresh_token_reused")

    assert get_me(client, other["access_token"]).status_code == 200
    assert post_refresh(client, other["refresh_token"]).status_code == 200


def test_grace_boundary_in_the_service(db, auth_config, rep):
    start = utcnow()
    first = login_at(db, auth_config, rep, start)
    second = service.refresh(db, auth_config, refresh_token=first.refresh_token, now=start)

    with pytest.raises(RefreshRace):
        service.refresh(
            db,
            auth_config,
            refresh_token=first.refresh_token,
            now=start + service.REFRESH_RACE_GRACE,
        )
    third = service.refresh(
        db, auth_config, refresh_token=second.refresh_token, now=start + timedelta(seconds=1)
    )
    with pytest.raises(RefreshTokenReused):
        service.refresh(
            db,
            auth_config,
            refresh_token=first.refresh_token,
            now=start + service.REFRESH_RACE_GRACE + timedelta(milliseconds=1),
        )
    with pytest.raises(service.InvalidRefreshToken):
        service.refresh(
            db, auth_config, refresh_token=third.refresh_token, now=start + timedelta(seconds=7)
        )


def test_expired_refresh_token_is_401(client, db, auth_config, settings, rep):
    long_ago = utcnow() - timedelta(seconds=settings.refresh_token_ttl_s + 60)
    pair = login_at(db, auth_config, rep, long_ago)

    response = post_refresh(client, pair.refresh_token)

    assert_problem(response, 401, "auth.invalid_refresh_token")


def test_refresh_token_expires_exactly_at_its_ttl(db, auth_config, rep):
    start = utcnow()
    pair = login_at(db, auth_config, rep, start)
    ttl = timedelta(seconds=auth_config.refresh_ttl_s)

    with pytest.raises(service.InvalidRefreshToken):
        service.refresh(db, auth_config, refresh_token=pair.refresh_token, now=start + ttl)
    rotated = service.refresh(
        db, auth_config, refresh_token=pair.refresh_token, now=start + ttl - timedelta(seconds=1)
    )
    assert rotated.session_id == pair.session_id


@pytest.mark.parametrize(
    "token",
    ["x" * 16, "A" * 43, "not a token at all, but long", "0" * 256],
)
def test_unknown_refresh_token_is_401(client, rep, token):
    post_login(client, rep.employee_number)

    assert_problem(post_refresh(client, token), 401, "auth.invalid_refresh_token")


@pytest.mark.parametrize("token", ["", "short", "x" * 257, None, 12345, ["x" * 20]])
def test_malformed_refresh_token_is_422(client, token):
    response = client.post("/api/v1/auth/refresh", json={"refresh_token": token})

    assert_problem(response, 422, "request.validation")
    assert "refresh_token" in response.get_json()["errors"]["json"]


def test_access_token_is_not_a_refresh_token(client, rep):
    pair = post_login(client, rep.employee_number).get_json()

    response = post_refresh(client, pair["access_token"][:256])

    assert_problem(response, 401, "auth.invalid_refresh_token")
