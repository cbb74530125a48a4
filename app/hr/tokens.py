"""SCIM bearer tokens: created and revoked by admins, stored as SHA-256, good for /scim only.

A SCIM token is an opaque random string, never a JWT, so the normal API refuses it (it does
not verify as an access token) and /scim refuses access tokens (their hash is unknown).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.db import utcnow
from app.errors import NotFound, Problem
from app.hr.models import ScimToken
from app.org.models import OrgNode
from app.org.scope import Principal

TOKEN_PREFIX = "wpscim_"  # noqa: S105 (a public prefix that marks SCIM tokens, not a secret)
LAST_USED_GRANULARITY = timedelta(minutes=1)


class ScimTokenNodeInvalid(Problem):
    status = 422
    code = "hr.token_node_invalid"
    title = "The token's org node does not exist or is outside your scope"


@dataclass(frozen=True)
class HrContext:
    """Who provisions: the token (its name is the audit actor) and the subtree it manages."""

    token_id: int | None
    actor: str
    root_node_id: int
    root_path: str


def hash_token(secret: str) -> str:
    """SHA-256 hex digest of a token (the only form stored)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    session: Session,
    *,
    name: str,
    root_node_id: int,
    created_by_id: int | None,
    principal: Principal | None = None,
) -> tuple[ScimToken, str]:
    """A new token for an HR connector; the secret is returned once and never stored.

    Raises ScimTokenNodeInvalid (422) when the node is missing or outside `principal`'s scope.
    """
    path = session.scalar(sa.select(OrgNode.path).where(OrgNode.id == root_node_id))
    if path is None or (principal is not None and not principal.sees_path(path)):
        raise ScimTokenNodeInvalid(f"Org node {root_node_id} is not in your scope.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ScimToken(
        name=name,
        token_hash=hash_token(secret),
        root_node_id=root_node_id,
        created_by_id=created_by_id,
        created_at=utcnow(),
    )
    session.add(token)
    session.flush()
    return token, secret


def _visible_tokens(principal: Principal | None) -> sa.Select[tuple[ScimToken]]:
    stmt = sa.select(ScimToken).join(OrgNode, OrgNode.id == ScimToken.root_node_id)
    if principal is not None:
        from app.org.scope import path_in_roots

        stmt = stmt.where(path_in_roots(OrgNode.path, principal.roots))
    return stmt


def list_tokens(session: Session, principal: Principal | None) -> list[ScimToken]:
    """Tokens whose subtree lies in the principal's scope (revoked ones too)."""
    return list(session.scalars(_visible_tokens(principal).order_by(ScimToken.id)))


def revoke_token(session: Session, principal: Principal | None, *, token_id: int) -> ScimToken:
    """Revoke a token at once (rotation: create the new one first). Raises NotFound."""
    token = session.scalars(_visible_tokens(principal).where(ScimToken.id == token_id)).first()
    if token is None:
        raise NotFound(f"SCIM token {token_id} not found.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
    return token


def authenticate(session: Session, *, secret: str, now: datetime | None = None) -> HrContext | None:
    """The context of a live token, or None for anything unknown or revoked."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    row = session.execute(
        sa.select(ScimToken, OrgNode.path)
        .join(OrgNode, OrgNode.id == ScimToken.root_node_id)
        .where(ScimToken.token_hash == hash_token(secret), ScimToken.revoked_at.is_(None))
    ).first()
    if row is None:
        return None
    token, path = row
    now = now or utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
        token.last_used_at = now
    return HrContext(token.id, token.name, token.root_node_id, path)
