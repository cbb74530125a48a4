"""Access tokens (EdDSA JWTs, RFC 8725) and opaque refresh tokens.

The key set is JSON: {"signing": kid, "keys": {kid: PEM}}. A key is private (it can sign and
verify) or public (verify only). Rotation: add a new private key and make it `signing`; keep
the old one as long as an access token lifetime so nobody is logged out.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "EdDSA"
ACCESS_TYP = "at+jwt"  # RFC 9068: distinct from any other token kind we might issue
ACCESS_AUDIENCE = "waypoint-api"
REQUIRED_CLAIMS = ["exp", "iat", "nbf", "sub", "sid", "epoch", "jti", "iss", "aud"]


class InvalidToken(Exception):
    """The token is malformed, expired, forged, or of the wrong kind."""


@dataclass(frozen=True)
class AccessClaims:
    """What an access token asserts: who, which login session, which auth epoch."""

    staff_id: int
    session_id: str
    epoch: int


class KeySet:
    """Signing key plus every key still accepted for verification, by `kid`."""

    def __init__(self, signing_kid: str, keys: dict[str, Ed25519PrivateKey | Ed25519PublicKey]):
        if not isinstance(keys.get(signing_kid), Ed25519PrivateKey):
            raise ValueError(f"signing key {signing_kid!r} must be an Ed25519 private key")
        self.signing_kid = signing_kid
        self._signing = keys[signing_kid]
        self._verify = {
            kid: key.public_key() if isinstance(key, Ed25519PrivateKey) else key
            for kid, key in keys.items()
        }

    @classmethod
    def from_json(cls, text: str) -> KeySet:
        """Parse the JSON key set; errors name what is wrong, never the key material."""
        try:
            doc = json.loads(text)
            keys = {kid: _load_pem(pem.encode()) for kid, pem in doc["keys"].items()}
            return cls(doc["signing"], keys)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"WAYPOINT_JWT_KEYS is not a valid key set: {exc}") from None

    @classmethod
    def development(cls, path: Path) -> KeySet:
        """A key generated once into the instance folder, so restarts keep sessions."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            draft = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
            draft.write_text(generate_keyset_json(f"dev-{secrets.token_hex(4)}"))
            draft.chmod(0o600)
            # link() is atomic and refuses to overwrite: workers starting together agree.
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
            draft.unlink()
        return cls.from_json(path.read_text())

    def sign(self, claims: dict[str, Any]) -> str:
        """Sign claims with the current key, `kid` and `typ` in the header."""
        headers = {"kid": self.signing_kid, "typ": ACCESS_TYP}
        return jwt.encode(claims, self._signing, algorithm=ALGORITHM, headers=headers)

    def verify(self, token: str, *, issuer: str) -> AccessClaims:
        """Check signature (EdDSA only), kid, typ, audience, issuer and lifetime."""
        try:
            header = jwt.get_unverified_header(token)
            key = self._verify.get(header.get("kid", ""))
            if key is None or header.get("typ") != ACCESS_TYP or header.get("alg") != ALGORITHM:
                raise InvalidToken("unknown key or wrong token kind")
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=ACCESS_AUDIENCE,
                issuer=issuer,
                options={"require": REQUIRED_CLAIMS},
                leeway=30,
            )
            return AccessClaims(int(claims["sub"]), str(claims["sid"]), int(claims["epoch"]))
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise InvalidToken(str(exc)) from None

    def jwks(self) -> dict[str, Any]:
        """The public keys as a JWK Set, for other services that verify our tokens."""
        return {
            "keys": [
                {**json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key)), "kid": kid, "use": "sig"}
                for kid, key in sorted(self._verify.items())
            ]
        }


def _load_pem(data: bytes) -> Ed25519PrivateKey | Ed25519PublicKey:
    key: Any
    if b"PRIVATE" in data:
        key = serialization.load_pem_private_key(data, password=None)
    else:
        key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PrivateKey | Ed25519PublicKey):
        raise ValueError("only Ed25519 keys are accepted")
    return key


def generate_keyset_json(kid: str) -> str:
    """A new single-key set (used by `flask waypoint keys generate` and development)."""
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return json.dumps({"signing": kid, "keys": {kid: pem.decode()}})


def access_claims(
    *, staff_id: int, session_id: str, epoch: int, issuer: str, now: datetime, ttl_s: int
) -> dict[str, Any]:
    """Claims of a new access token: identity only, never roles or org scope."""
    return {
        "iss": issuer,
        "aud": ACCESS_AUDIENCE,
        "sub": str(staff_id),
        "sid": session_id,
        "epoch": epoch,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(seconds=ttl_s),
        "jti": secrets.token_urlsafe(12),
    }


def new_refresh_token() -> tuple[str, str]:
    """A fresh opaque refresh token and the SHA-256 hex digest that is stored."""
    token = secrets.token_urlsafe(32)
    return token, hash_refresh_token(token)


def hash_refresh_token(token: str) -> str:
    """Refresh tokens are high-entropy, so a plain SHA-256 is the right storage hash."""
    return hashlib.sha256(token.encode()).hexdigest()
