"""Bearer-token authentication for views: verify, check liveness, check role, set g.principal."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, g, request

from app.auth.service import AuthConfig, Unauthenticated, authenticate
from app.errors import Forbidden
from app.org.models import Role
from app.org.scope import Principal
from app.web import db_session

AUTH_KEY = "waypoint.auth"


def auth_config() -> AuthConfig:
    """The app's auth configuration (keys, lifetimes, device limit)."""
    config: AuthConfig = current_app.extensions[AUTH_KEY]
    return config


def current_principal() -> Principal:
    """The authenticated principal of this request."""
    principal: Principal | None = g.get("principal")
    if principal is None:
        raise Unauthenticated()
    return principal


def bearer_token() -> str:
    """The token from `Authorization: Bearer ...`, or raise Unauthenticated."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Send an access token as 'Authorization: Bearer <token>'.")
    return token.strip()


def require(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a view: authenticate the request and, if roles are given, require one of them."""

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = authenticate(db_session(), auth_config(), token=bearer_token())
            if roles and principal.role not in roles:
                raise Forbidden(f"This action needs one of the roles: {', '.join(roles)}.")
            g.principal = principal
            return func(*args, **kwargs)

        return wrapper

    return decorator
