"""Login, refresh rotation, logout, per-request authentication and revocation.

Services flush, never commit. Rules:
- Access tokens carry identity only; every request re-checks that the account is active, the
  auth epoch unchanged and the login session not revoked (one primary-key join).
- Refresh tokens rotate on every use with an atomic consume. A used token presented again
  revokes its whole family (the login session), except within a few seconds of its use, when
  it is a client racing itself: that request is refused without revoking.
- At most `max_devices` devices are bound per person; a new one beyond that is refused.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.auth.models import AuthSession, Device, RefreshToken
from app.auth.passwords import verify_password
from app.auth.tokens import KeySet, access_claims, hash_refresh_token, new_refresh_token
from app.db import utcnow
from app.errors import Conflict, Problem
from app.org.models import Role, Staff
from app.org.scope import Principal, scope_roots

REFRESH_RACE_GRACE = timedelta(seconds=5)


class Unauthenticated(Problem):
    status = 401
    code = "auth.unauthenticated"
    title = "Authentication is required"
    headers = {"WWW-Authenticate": 'Bearer realm="waypoint"'}  # noqa: RUF012


class InvalidCredentials(Problem):
    status = 401
    code = "auth.invalid_credentials"
    title = "Wrong login or password"


class AccountInactive(Problem):
    status = 403
    code = "auth.account_inactive"
    title = "This account is deactivated"


class HrLinkRequired(Problem):
    status = 403
    code = "auth.hr_link_required"
    title = "This account is not linked to HR and cannot log in"


class DeviceLimitReached(Conflict):
    code = "auth.device_limit"
    title = "Too many devices are bound to this account"


class InvalidRefreshToken(Problem):
    status = 401
    code = "auth.invalid_refresh_token"
    title = "The refresh token is unknown, expired or revoked"


class RefreshTokenReused(Problem):
    status = 401
    code = "auth.refresh_token_reused"
    title = "A used refresh token was presented: the session is revoked"
    preserve_writes = True


class RefreshRace(Problem):
    status = 401
    code = "auth.refresh_in_flight"
    title = "This refresh token was just used by a concurrent request"


@dataclass(frozen=True)
class AuthConfig:
    """Everything the auth service needs from settings, resolved once at start-up."""

    keys: KeySet
    issuer: str
    access_ttl_s: int
    refresh_ttl_s: int
    max_devices: int
    # Login needs an HR link (external_hr_id) unless the account is flagged break-glass.
    require_hr_link: bool = False


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: str
    token_type: str = "Bearer"  # noqa: S105 (the OAuth token type name, not a secret)


def _issue(
    session: Session, config: AuthConfig, *, staff: Staff, session_id: str, now: datetime
) -> TokenPair:
    refresh, digest = new_refresh_token()
    session.add(
        RefreshToken(
            session_id=session_id,
            token_hash=digest,
            issued_at=now,
            expires_at=now + timedelta(seconds=config.refresh_ttl_s),
        )
    )
    claims = access_claims(
        staff_id=staff.id,
        session_id=session_id,
        epoch=staff.auth_epoch,
        issuer=config.issuer,
        now=now,
        ttl_s=config.access_ttl_s,
    )
    return TokenPair(config.keys.sign(claims), refresh, config.access_ttl_s, session_id)


def _find_staff(session: Session, login: str) -> Staff | None:
    stmt = sa.select(Staff).where(
        sa.or_(
            Staff.employee_number == login,
            Staff.phone == login,
            Staff.user_name == login.lower(),  # HR's userName (app.hr), case-insensitive
        )
    )
    return session.scalars(stmt.limit(1)).first()


def bind_device(
    session: Session, *, staff: Staff, device_id: str, platform: str, limit: int, now: datetime
) -> Device:
    """The person's active binding for this device, creating one if a slot is free.

    Raises DeviceLimitReached (409) listing the bound devices when every slot is taken.
    """
    # Serialize concurrent logins of one person so two new devices cannot both take a slot.
    session.execute(sa.select(Staff.id).where(Staff.id == staff.id).with_for_update())
    active = list(
        session.scalars(
            sa.select(Device)
            .where(Device.staff_id == staff.id, Device.unbound_at.is_(None))
            .order_by(Device.bound_at)
        )
    )
    for device in active:
        if device.device_id == device_id:
            device.last_seen_at = now
            device.platform = platform
            return device
    if len(active) >= limit:
        raise DeviceLimitReached(
            f"{len(active)} of {limit} device slots are in use; ask an admin to unbind one.",
            bound_devices=[{"device_id": d.device_id, "platform": d.platform} for d in active],
        )
    device = Device(
        staff_id=staff.id, device_id=device_id, platform=platform, bound_at=now, last_seen_at=now
    )
    session.add(device)
    session.flush()
    return device


def login(
    session: Session,
    config: AuthConfig,
    *,
    login: str,
    password: str,
    device_id: str,
    platform: str,
    now: datetime | None = None,
) -> TokenPair:
    """Check the password, bind the device, open a session and issue a token pair.

    Raises InvalidCredentials (401), AccountInactive (403), HrLinkRequired (403),
    DeviceLimitReached (409).
    """
    now = now or utcnow()
    staff = _find_staff(session, login)
    if not verify_password(staff.password_hash if staff else None, password) or staff is None:
        raise InvalidCredentials()
    if not staff.active:
        raise AccountInactive()
    if config.require_hr_link and staff.external_hr_id is None and not staff.break_glass:
        raise HrLinkRequired()
    device = bind_device(
        session,
        staff=staff,
        device_id=device_id,
        platform=platform,
        limit=config.max_devices,
        now=now,
    )
    auth_session = AuthSession(
        id=secrets.token_hex(16), staff_id=staff.id, device_pk=device.id, created_at=now
    )
    session.add(auth_session)
    session.flush()
    return _issue(session, config, staff=staff, session_id=auth_session.id, now=now)


def refresh(
    session: Session, config: AuthConfig, *, refresh_token: str, now: datetime | None = None
) -> TokenPair:
    """Consume a refresh token exactly once and rotate it.

    Raises InvalidRefreshToken (401); RefreshTokenReused (401, revokes the session, and that
    revocation is kept); RefreshRace (401) for a concurrent duplicate use.
    """
    now = now or utcnow()
    digest = hash_refresh_token(refresh_token)
    consumed = session.execute(
        sa.update(RefreshToken)
        .where(
            RefreshToken.token_hash == digest,
            RefreshToken.used_at.is_(None),
            RefreshToken.expires_at > now,
        )
        .values(used_at=now)
        .returning(RefreshToken.session_id)
    ).scalar_one_or_none()
    if consumed is None:
        _refuse_refresh(session, digest=digest, now=now)
    row = session.execute(
        sa.select(Staff, AuthSession)
        .join(AuthSession, AuthSession.staff_id == Staff.id)
        .where(AuthSession.id == consumed)
    ).one()
    staff, auth_session = row
    if auth_session.revoked_at is not None or not staff.active:
        raise InvalidRefreshToken()
    return _issue(session, config, staff=staff, session_id=auth_session.id, now=now)


def _refuse_refresh(session: Session, *, digest: str, now: datetime) -> None:
    token = session.scalars(
        sa.select(RefreshToken).where(RefreshToken.token_hash == digest)
    ).first()
    if token is None or token.used_at is None:
        raise InvalidRefreshToken()
    if now - token.used_at <= REFRESH_RACE_GRACE:
        raise RefreshRace()
    revoke_session(session, session_id=token.session_id, reason="refresh_reuse", now=now)
    raise RefreshTokenReused()


def revoke_session(session: Session, *, session_id: str, reason: str, now: datetime) -> None:
    """End one login session; its refresh tokens and access tokens stop working."""
    session.execute(
        sa.update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )


def logout(session: Session, principal: Principal, *, now: datetime | None = None) -> None:
    """End the caller's current session (other devices stay logged in)."""
    if principal.session_id:
        revoke_session(
            session, session_id=principal.session_id, reason="logout", now=now or utcnow()
        )


def revoke_all(
    session: Session, *, staff_id: int, reason: str, unbind_devices: bool, now: datetime
) -> None:
    """Cut every token of a person at once: bump the epoch, revoke sessions, maybe unbind."""
    session.execute(
        sa.update(Staff).where(Staff.id == staff_id).values(auth_epoch=Staff.auth_epoch + 1)
    )
    session.execute(
        sa.update(AuthSession)
        .where(AuthSession.staff_id == staff_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
    if unbind_devices:
        session.execute(
            sa.update(Device)
            .where(Device.staff_id == staff_id, Device.unbound_at.is_(None))
            .values(unbound_at=now)
        )
    session.expire_all()


def unbind_device(session: Session, *, staff_id: int, device_id: str, now: datetime) -> bool:
    """Unbind one device and end its sessions; False when it was not bound."""
    device = session.scalars(
        sa.select(Device).where(
            Device.staff_id == staff_id, Device.device_id == device_id, Device.unbound_at.is_(None)
        )
    ).first()
    if device is None:
        return False
    device.unbound_at = now
    session.execute(
        sa.update(AuthSession)
        .where(AuthSession.device_pk == device.id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason="device_unbound")
    )
    return True


def authenticate(session: Session, config: AuthConfig, *, token: str) -> Principal:
    """Verify an access token and that its account and session are still live.

    Raises Unauthenticated (401) for anything wrong, without saying which check failed.
    """
    from app.auth.tokens import InvalidToken

    try:
        claims = config.keys.verify(token, issuer=config.issuer)
    except InvalidToken:
        raise Unauthenticated("The access token is invalid or expired.") from None
    row = session.execute(
        sa.select(
            Staff.active,
            Staff.auth_epoch,
            Staff.role,
            Staff.org_node_id,
            AuthSession.revoked_at,
            AuthSession.device_pk,
        )
        .join(AuthSession, AuthSession.staff_id == Staff.id)
        .where(AuthSession.id == claims.session_id, Staff.id == claims.staff_id)
    ).one_or_none()
    if (
        row is None
        or not row.active
        or row.revoked_at is not None
        or row.auth_epoch != claims.epoch
    ):
        raise Unauthenticated("The session has ended; log in again.")
    return Principal(
        staff_id=claims.staff_id,
        role=Role(row.role),
        org_node_id=row.org_node_id,
        roots=scope_roots(session, staff_id=claims.staff_id, org_node_id=row.org_node_id),
        session_id=claims.session_id,
        device_pk=row.device_pk,
    )
