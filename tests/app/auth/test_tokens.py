"""Access tokens (RFC 8725): anything not signed by one of our keys, for us, now, is 401."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app import create_app
from app.auth import service
from app.auth.tokens import (
    ACCESS_AUDIENCE,
    ACCESS_TYP,
    REQUIRED_CLAIMS,
    KeySet,
    generate_keyset_json,
)
from app.db import utcnow
from tests.app.auth.helpers import assert_unauthenticated, get_me, post_login, post_refresh
from tests.conftest import make_settings
from tests.factories import PASSWORD

KID = "test-key-1"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def assemble(header: dict[str, Any], claims: dict[str, Any], sign: Callable[[bytes], bytes]) -> str:
    """A compact JWS built by hand, so that any header (alg none, HS256...) can be forged."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64(sign(signing_input.encode()))}"


def private_key(keyset_json: str, kid: str) -> Ed25519PrivateKey:
    pem = json.loads(keyset_json)["keys"][kid].encode()
    key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return key


def public_pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture
def our_key(settings) -> Ed25519PrivateKey:
    return private_key(settings.jwt_keys, KID)


@pytest.fixture
def live(client, rep) -> dict[str, Any]:
    """A live login of the rep: its real token pair."""
    return post_login(client, rep.employee_number).get_json()


@pytest.fixture
def claims(settings, rep, live) -> dict[str, Any]:
    """Claims a genuine token for the live session would carry."""
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
        "jti": "forged-or-not",
    }


def eddsa(key: Ed25519PrivateKey, claims: dict[str, Any], **header: Any) -> str:
    return assemble({"alg": "EdDSA", "kid": KID, "typ": ACCESS_TYP, **header}, claims, key.sign)


def test_a_token_built_by_hand_with_our_key_is_accepted(client, our_key, claims):
    # The control for every refusal below: the forging helpers themselves are sound.
    assert get_me(client, eddsa(our_key, claims)).status_code == 200


def test_alg_none_is_refused(client, claims):
    header = {"alg": "none", "kid": KID, "typ": ACCESS_TYP}
    token = assemble(header, claims, lambda _: b"")

    assert_unauthenticated(get_me(client, token))
    assert_unauthenticated(get_me(client, token.rstrip(".") + "."))


@pytest.mark.parametrize("secret", ["pem", "raw"])
def test_hs256_signed_with_our_public_key_is_refused(client, our_key, claims, secret):
    public = our_key.public_key()
    key = (
        public_pem(our_key)
        if secret == "pem"
        else public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    header = {"alg": "HS256", "kid": KID, "typ": ACCESS_TYP}
    token = assemble(header, claims, lambda msg: hmac.new(key, msg, hashlib.sha256).digest())

    assert_unauthenticated(get_me(client, token))


def test_another_ed25519_key_with_our_kid_is_refused(client, claims):
    assert_unauthenticated(get_me(client, eddsa(Ed25519PrivateKey.generate(), claims)))


def test_an_embedded_jwk_header_is_ignored(client, claims):
    attacker = Ed25519PrivateKey.generate()
    jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(attacker.public_key()))

    assert_unauthenticated(get_me(client, eddsa(attacker, claims, jwk=jwk)))


@pytest.mark.parametrize("kid", ["test-key-2", "", None, ["test-key-1"], {"k": 1}, 1])
def test_wrong_or_unknown_kid_is_refused(client, our_key, claims, kid):
    header = {"alg": "EdDSA", "typ": ACCESS_TYP} | ({} if kid is None else {"kid": kid})

    assert_unauthenticated(get_me(client, assemble(header, claims, our_key.sign)))


@pytest.mark.parametrize("typ", ["JWT", "at+JWT", "rt+jwt", None])
def test_wrong_typ_is_refused(client, our_key, claims, typ):
    header = {"alg": "EdDSA", "kid": KID} | ({} if typ is None else {"typ": typ})

    assert_unauthenticated(get_me(client, assemble(header, claims, our_key.sign)))


def test_tampered_claims_keep_no_signature(client, live, admin):
    header, payload, signature = live["access_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = str(admin.id)
    tampered = f"{header}.{b64(json.dumps(claims).encode())}.{signature}"

    assert_unauthenticated(get_me(client, tampered))
    assert get_me(client, live["access_token"]).status_code == 200


def test_a_truncated_signature_is_refused(client, live):
    assert_unauthenticated(get_me(client, live["access_token"][:-2]))


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("aud", "another-api"),
        ("aud", ["another-api"]),
        ("iss", "someone-else"),
        ("exp", -3600),
        ("nbf", 3600),
        ("sub", "not-a-number"),
        ("sub", 12),
        ("epoch", "one"),
        ("epoch", 2),
        ("sid", "0" * 32),
    ],
)
def test_wrong_claims_are_refused(client, our_key, claims, claim, value):
    if claim in ("exp", "nbf"):
        value = int(time.time()) + value
    claims[claim] = value

    assert_unauthenticated(get_me(client, eddsa(our_key, claims)))


@pytest.mark.parametrize("claim", REQUIRED_CLAIMS)
def test_missing_claims_are_refused(client, our_key, claims, claim):
    del claims[claim]

    assert_unauthenticated(get_me(client, eddsa(our_key, claims)))


def test_a_session_of_someone_else_is_refused(client, our_key, claims, lead):
    # A genuine signature over our sub with another person's sid: the pair must match.
    other = post_login(client, lead.employee_number).get_json()
    claims["sid"] = other["session_id"]

    assert_unauthenticated(get_me(client, eddsa(our_key, claims)))


def test_expired_access_token_is_refused(client, db, auth_config, rep):
    an_hour_ago = utcnow() - timedelta(hours=1)
    pair = service.login(
        db,
        auth_config,
        login=rep.employee_number,
        password=PASSWORD,
        device_id="device-0001",
        platform="android",
        now=an_hour_ago,
    )
    db.flush()

    assert_unauthenticated(get_me(client, pair.access_token))


def test_a_few_seconds_of_clock_skew_are_tolerated(client, our_key, claims):
    now = int(time.time())
    claims.update(iat=now + 10, nbf=now + 10, exp=now - 10)

    assert get_me(client, eddsa(our_key, claims)).status_code == 200


def test_key_rotation_keeps_old_tokens_valid(settings, sessions, rep):
    old_kid, new_kid = "2026-05", "2026-11"
    old_set = generate_keyset_json(old_kid)
    new_pem = json.loads(generate_keyset_json(new_kid))["keys"][new_kid]
    rotated_set = json.dumps(
        {
            "signing": new_kid,
            "keys": {new_kid: new_pem, old_kid: public_pem(private_key(old_set, old_kid)).decode()},
        }
    )

    def app_with(keys: str):
        settings_ = make_settings(settings.instance_path, settings.database_url, jwt_keys=keys)
        return create_app(settings_, sessions=sessions).test_client()

    before, after = app_with(old_set), app_with(rotated_set)
    old_pair = post_login(before, rep.employee_number).get_json()

    assert jwt.get_unverified_header(old_pair["access_token"])["kid"] == old_kid
    assert get_me(after, old_pair["access_token"]).status_code == 200
    refreshed = post_refresh(after, old_pair["refresh_token"]).get_json()
    assert jwt.get_unverified_header(refreshed["access_token"])["kid"] == new_kid
    assert get_me(after, refreshed["access_token"]).status_code == 200
    # An instance still on the old set cannot verify the new key: roll the key set out first.
    assert_unauthenticated(get_me(before, refreshed["access_token"]))
    kids = {key["kid"] for key in after.get("/api/v1/auth/jwks.json").get_json()["keys"]}
    assert kids == {old_kid, new_kid}


def test_a_verify_only_key_cannot_be_the_signing_key(our_key):
    broken = json.dumps({"signing": "pub", "keys": {"pub": public_pem(our_key).decode()}})
    with pytest.raises(ValueError, match="not a valid key set"):
        KeySet.from_json(broken)
