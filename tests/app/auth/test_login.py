"""Login: who may log in with what, and the exact shape of success and refusal."""

from __future__ import annotations

import jwt
import pytest
import sqlalchemy as sa

from app.auth.passwords import hash_password, verify_password
from app.auth.tokens import ACCESS_AUDIENCE, ACCESS_TYP, ALGORITHM
from app.org.models import Staff
from tests.app.auth.helpers import assert_problem, auth_row_counts, get_me, post_login
from tests.factories import PASSWORD


def test_login_by_employee_number_returns_a_bearer_token_pair(client, settings, rep):
    response = post_login(client, rep.employee_number)

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in", "session_id"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == settings.access_token_ttl_s == 900
    assert body["access_token"].count(".") == 2
    assert len(body["refresh_token"]) >= 32
    assert "password" not in response.get_data(as_text=True)


def test_login_by_phone_is_the_same_account(client, rep):
    body = post_login(client, rep.phone).get_json()

    me = get_me(client, body["access_token"])
    assert me.status_code == 200
    assert me.get_json()["id"] == rep.id


def test_access_token_is_eddsa_with_kid_typ_and_identity_only(client, settings, rep):
    token = post_login(client, rep.employee_number).get_json()["access_token"]

    header = jwt.get_unverified_header(token)
    assert header == {"alg": ALGORITHM, "kid": "test-key-1", "typ": ACCESS_TYP}
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == str(rep.id)
    assert claims["aud"] == ACCESS_AUDIENCE
    assert claims["iss"] == settings.jwt_issuer
    assert claims["exp"] - claims["iat"] == settings.access_token_ttl_s
    # Scope is computed per request from the live tree, so no role or org is baked in.
    assert not {"role", "org_node_id", "roots", "scope"} & claims.keys()


def test_wrong_password_and_unknown_login_are_indistinguishable(client, rep):
    wrong_password = post_login(client, rep.employee_number, password="not-the-password")
    unknown_login = post_login(client, "E99999")

    body = assert_problem(wrong_password, 401, "auth.invalid_credentials")
    assert assert_problem(unknown_login, 401, "auth.invalid_credentials") == body
    assert "WWW-Authenticate" not in wrong_password.headers
    assert "WWW-Authenticate" not in unknown_login.headers


def test_login_is_case_and_whitespace_exact(client, rep):
    assert_problem(post_login(client, rep.employee_number.lower()), 401)
    assert_problem(post_login(client, f" {rep.employee_number}"), 401)


def test_deactivated_account_is_refused_with_its_own_code(client, db, rep):
    rep.active = False
    db.flush()

    assert_problem(post_login(client, rep.employee_number), 403, "auth.account_inactive")


def test_deactivated_account_with_a_wrong_password_reveals_nothing(client, db, rep):
    rep.active = False
    db.flush()

    response = post_login(client, rep.employee_number, password="not-the-password")
    assert_problem(response, 401, "auth.invalid_credentials")


def test_account_without_password_cannot_log_in(client, db, rep):
    rep.password_hash = None
    db.flush()

    assert_problem(post_login(client, rep.employee_number), 401, "auth.invalid_credentials")


def test_failed_login_writes_nothing(client, sessions, rep):
    before = auth_row_counts(sessions)
    post_login(client, rep.employee_number, password="not-the-password")
    post_login(client, "nobody-by-that-name")

    assert auth_row_counts(sessions) == before


def test_login_opens_one_session_per_login(client, rep):
    first = post_login(client, rep.employee_number).get_json()
    second = post_login(client, rep.employee_number).get_json()

    assert first["session_id"] != second["session_id"]
    assert get_me(client, first["access_token"]).status_code == 200
    assert get_me(client, second["access_token"]).status_code == 200


@pytest.mark.parametrize("platform", ["android", "ios", "web", "other"])
def test_every_documented_platform_is_accepted(client, rep, platform):
    assert post_login(client, rep.employee_number, platform=platform).status_code == 200


def test_passwords_are_stored_as_argon2id(db, rep):
    stored = db.scalar(sa.select(Staff.password_hash).where(Staff.id == rep.id))

    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_verify_password_refuses_missing_and_corrupt_hashes():
    good = hash_password("a-long-password")

    assert verify_password(good, "a-long-password")
    assert not verify_password(good, "a-long-passworD")
    assert not verify_password(None, "a-long-password")
    assert not verify_password("not-a-hash", "a-long-password")


def test_jwks_publishes_public_keys_only(client):
    response = client.get("/api/v1/auth/jwks.json")

    assert response.status_code == 200
    (key,) = response.get_json()["keys"]
    assert key["kid"] == "test-key-1"
    assert key["kty"] == "OKP"
    assert key["crv"] == "Ed25519"
    assert "d" not in key


def test_me_without_a_token_is_a_bearer_challenge(client):
    response = client.get("/api/v1/me")

    assert_problem(response, 401, "auth.unauthenticated")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="waypoint"'


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "Bearer nope", "Bearer a.b.c"],
)
def test_malformed_authorization_headers_are_401(client, header):
    response = client.get("/api/v1/me", headers={"Authorization": header})

    assert_problem(response, 401, "auth.unauthenticated")
    assert "WWW-Authenticate" in response.headers


def test_bearer_scheme_is_case_insensitive(client, rep):
    token = post_login(client, rep.employee_number).get_json()["access_token"]

    response = client.get("/api/v1/me", headers={"Authorization": f"bearer {token}"})
    assert response.status_code == 200
