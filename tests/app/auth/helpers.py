"""Shared helpers for the auth tests: URLs, problem assertions, row counts."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from app.auth.models import AuthSession, Device, RefreshToken
from app.errors import PROBLEM_CONTENT_TYPE
from tests.factories import PASSWORD

LOGIN_URL = "/api/v1/auth/login"
REFRESH_URL = "/api/v1/auth/refresh"
LOGOUT_URL = "/api/v1/auth/logout"
ME_URL = "/api/v1/me"
PROBLEM_MEMBERS = {"type", "title", "status", "detail", "code"}


def assert_problem(response: TestResponse, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert an RFC 7807 problem with this status (and code); return its body."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == PROBLEM_CONTENT_TYPE
    body = response.get_json()
    assert body.keys() >= PROBLEM_MEMBERS
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body
    return body


def assert_unauthenticated(response: TestResponse) -> dict[str, Any]:
    """401 `auth.unauthenticated` with a Bearer challenge, as every bad access token gets."""
    body = assert_problem(response, 401, "auth.unauthenticated")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    return body


def bearer(access_token: str) -> dict[str, str]:
    """An Authorization header carrying this access token."""
    return {"Authorization": f"Bearer {access_token}"}


def post_login(
    client: FlaskClient,
    login: str,
    *,
    password: str = PASSWORD,
    device_id: str = "device-0001",
    platform: str = "android",
) -> TestResponse:
    """POST /auth/login with a well-formed body."""
    body = {"login": login, "password": password, "device_id": device_id, "platform": platform}
    return client.post(LOGIN_URL, json=body)


def post_refresh(client: FlaskClient, refresh_token: str) -> TestResponse:
    """POST /auth/refresh with this refresh token."""
    return client.post(REFRESH_URL, json={"refresh_token": refresh_token})


def get_me(client: FlaskClient, access_token: str) -> TestResponse:
    """GET /me with this access token: 200 while the token and its session are live."""
    return client.get(ME_URL, headers=bearer(access_token))


def auth_row_counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Rows in the auth tables, read by a fresh session (sees what requests kept)."""
    with sessions() as session:
        count = sa.select(sa.func.count())
        return {
            model.__tablename__: session.scalar(count.select_from(model)) or 0
            for model in (Device, AuthSession, RefreshToken)
        }


def session_row(sessions: sessionmaker[Session], session_id: str) -> AuthSession:
    """The login session as stored, read by a fresh session."""
    with sessions() as session:
        row = session.get(AuthSession, session_id)
        assert row is not None
        session.expunge(row)
        return row
