"""HTTP face of authentication: login, refresh, logout, public keys."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView

from app.auth import service
from app.auth.guard import auth_config, current_principal
from app.auth.schemas import JwksSchema, LoginSchema, RefreshSchema, TokenPairSchema
from app.extensions import Blueprint, account_key, limiter
from app.web import db_session

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Authentication")


def _login_limit() -> str:
    return current_app.config["WAYPOINT"].login_rate_limit


def _login_ip_limit() -> str:
    return current_app.config["WAYPOINT"].login_ip_rate_limit


@blp.route("/login")
class Login(MethodView):
    decorators = [  # noqa: RUF012 (Flask reads the class attribute)
        limiter.limit(_login_limit, key_func=account_key, methods=["POST"]),
        limiter.limit(_login_ip_limit, methods=["POST"]),
    ]

    @blp.arguments(LoginSchema)
    @blp.response(200, TokenPairSchema)
    @blp.problems(401, 403, 409, 429)
    def post(self, login_in: dict[str, Any]) -> Any:
        """Log in with employee number or phone, password and device: get a token pair."""
        return service.login(db_session(), auth_config(), **login_in)


@blp.route("/refresh")
class Refresh(MethodView):
    @blp.arguments(RefreshSchema)
    @blp.response(200, TokenPairSchema)
    @blp.problems(401)
    def post(self, refresh_in: dict[str, Any]) -> Any:
        """Trade a refresh token (once) for a new token pair; reuse revokes the session."""
        return service.refresh(db_session(), auth_config(), **refresh_in)


@blp.route("/logout")
class Logout(MethodView):
    @blp.login_required()
    @blp.response(204)
    def post(self) -> None:
        """End this device's session; its access and refresh tokens stop working."""
        service.logout(db_session(), current_principal())


@blp.route("/jwks.json")
class Jwks(MethodView):
    @blp.response(200, JwksSchema)
    def get(self) -> Any:
        """Public keys that verify access tokens (JWK Set), for other services."""
        return auth_config().keys.jwks()
