"""Token attacks that tests/app/auth does not already make, and the API/SCIM token split.

Already covered there (not repeated here): expiry and clock skew, unknown or odd `kid`,
`alg: none`, HS256 keyed with our public key (PEM and raw), another Ed25519 key under our
`kid`, an embedded `jwk`, wrong `typ`, tampered and missing claims, a truncated signature, a
session of someone else, refresh reuse (within and past the grace), an access token posted
as a refresh token; tests/app/hr: an access token on /scim/v2/Users and a SCIM token on
/api/v1/me. The authorization matrix sends a SCIM token to every secured API operation.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.auth.tokens import ACCESS_AUDIENCE, ACCESS_TYP
from app.hr import tokens as scim_tokens
from app.org.models import Role
from tests.app.auth.helpers import assert_unauthenticated, bearer, get_me
from tests.factories import login, make_node, make_staff

KID = "test-key-1"  # the kid of tests/conftest.py's key set
ME = "/api/v1/me"


@pytest.fixture
def company(db):
    return make_node(db, None, "Company", "company")


@pytest.fixture
def rep(db, company):
    return make_staff(db, make_node(db, company, "Team"), Role.REP)


@pytest.fixture
def live(client, rep) -> dict[str, Any]:
    return login(client, rep)


@pytest.fixture
def claims(settings, rep, live) -> dict[str, Any]:
    """What a genuine access token of the live session asserts."""
    now = int(time.time())
    return {
        "iss": settings.jwt_issuer,
        "aud": ACCESS_AUDIENCE,
        "sub": str(rep.id),
        "sid": live["session_id"],
        "epoch": rep.auth_epoch,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": "forged",
    }


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


ATTACKER_KEYS = {
    "RS256": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
    "PS256": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
    "ES256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "ES512": lambda: ec.generate_private_key(ec.SECP521R1()),
}


@pytest.mark.parametrize("alg", sorted(ATTACKER_KEYS))
def test_another_asymmetric_algorithm_under_our_kid_is_refused(client, claims, alg):
    # RS/ES confusion: a well-formed token signed with the attacker's own key pair.
    token = jwt.encode(
        claims, ATTACKER_KEYS[alg](), algorithm=alg, headers={"kid": KID, "typ": ACCESS_TYP}
    )

    assert_unauthenticated(get_me(client, token))


@pytest.mark.parametrize("alg", ["None", "NONE", "nOnE"])
def test_alg_none_in_any_case_is_refused(client, claims, alg):
    header = {"alg": alg, "kid": KID, "typ": ACCESS_TYP}
    token = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."

    assert_unauthenticated(get_me(client, token))


@pytest.mark.parametrize("member", ["jku", "x5u", "x5c"])
def test_key_location_headers_are_ignored(client, claims, member):
    # A server that fetched or trusted a key named in the header would accept this token.
    attacker = Ed25519PrivateKey.generate()
    pointer = ["MIIB..."] if member == "x5c" else "https://attacker.example/keys.json"
    headers = {"kid": KID, "typ": ACCESS_TYP, member: pointer}

    assert_unauthenticated(get_me(client, jwt.encode(claims, attacker, "EdDSA", headers)))


def test_a_json_serialized_jws_is_refused(client, live):
    header, payload, signature = live["access_token"].split(".")
    flattened = json.dumps({"protected": header, "payload": payload, "signature": signature})

    assert_unauthenticated(get_me(client, flattened))


def test_a_refresh_token_is_not_an_access_token(client, live):
    assert_unauthenticated(get_me(client, live["refresh_token"]))


def test_a_token_outside_the_authorization_header_is_ignored(client, live):
    token = live["access_token"]
    client.set_cookie("access_token", token)

    assert_unauthenticated(client.get(f"{ME}?access_token={token}"))
    assert_unauthenticated(client.post("/api/v1/auth/logout", json={"access_token": token}))
    assert_unauthenticated(client.get(ME, headers={"X-Access-Token": token}))
    assert client.get(ME, headers=bearer(token)).status_code == 200


SCIM_ROUTES = [
    ("GET", "/ServiceProviderConfig"),
    ("GET", "/ResourceTypes"),
    ("GET", "/ResourceTypes/User"),
    ("GET", "/Schemas"),
    ("GET", "/Users"),
    ("POST", "/Users"),
    ("POST", "/Users/.search"),
    ("GET", "/Users/1"),
    ("PUT", "/Users/1"),
    ("PATCH", "/Users/1"),
    ("DELETE", "/Users/1"),
    ("GET", "/Groups"),
    ("POST", "/Groups"),
    ("GET", "/Groups/node-1"),
    ("PATCH", "/Groups/node-1"),
    ("DELETE", "/Groups/node-1"),
    ("POST", "/.search"),
    ("GET", "/Bulk"),
]


@pytest.mark.parametrize(("method", "path"), SCIM_ROUTES)
def test_an_access_token_opens_no_scim_route(client, live, method, path):
    response = client.open(
        f"/scim/v2{path}", method=method, json={}, headers=bearer(live["access_token"])
    )

    assert response.status_code == 401
    assert response.mimetype == "application/scim+json"
    assert response.get_json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def test_a_scim_token_without_its_prefix_or_with_a_changed_character_is_refused(
    client, db, company
):
    _token, secret = scim_tokens.create_token(
        db, name="okta", root_node_id=company.id, created_by_id=None
    )
    assert client.get("/scim/v2/Users", headers=bearer(secret)).status_code == 200
    changed = secret[:-1] + ("A" if secret[-1] != "A" else "B")

    for forged in (secret.removeprefix(scim_tokens.TOKEN_PREFIX), changed, secret.upper()):
        assert client.get("/scim/v2/Users", headers=bearer(forged)).status_code == 401
