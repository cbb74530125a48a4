"""The Waypoint application factory: small register_* steps (cookiecutter-flask's shape)."""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import Settings
from app.cors import register_cors
from app.db import make_engine, make_sessionmaker

API_TITLE = "Waypoint"
API_VERSION = "v1"


def create_app(
    settings: Settings | None = None, *, sessions: sessionmaker[Session] | None = None
) -> Flask:
    """Build an app from settings (default: the environment); `sessions` overrides the DB."""
    settings = settings or Settings.from_env()
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)  # type: ignore[method-assign]
    register_config(app, settings)
    register_database(app, settings, sessions)
    register_extensions(app)
    register_auth(app, settings)
    register_policies(app, settings)
    register_routing(app, settings)
    register_blueprints(app)
    register_cors(app, settings)
    register_cli(app)
    logging.basicConfig(level=logging.INFO)
    return app


def register_config(app: Flask, settings: Settings) -> None:
    """Flask and extension configuration derived from Settings."""
    app.config.update(
        WAYPOINT=settings,
        TESTING=settings.env == "test",
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        API_TITLE=API_TITLE,
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL=swagger_ui_url(),
        API_SPEC_OPTIONS={
            "info": {
                "description": "Backend for field sales teams. Errors are RFC 7807 problem "
                "details with a stable `code` (see docs/errors.md).",
            },
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
                }
            },
        },
        RATELIMIT_ENABLED=settings.ratelimit_enabled,
        RATELIMIT_STORAGE_URI=settings.redis_url or "memory://",
        RATELIMIT_HEADERS_ENABLED=True,
    )
    # Objects keep their own key order (Flask sorts them by default; the JSON_SORT_KEYS
    # setting that used to say this was removed in Flask 2.3 and silently stopped applying).
    app.json.sort_keys = False  # type: ignore[attr-defined]


def swagger_ui_url() -> str:
    """Swagger UI from node_modules (installed by script/bootstrap), else from a CDN."""
    from app.health import SWAGGER_UI

    if SWAGGER_UI.is_dir():
        return "/api/docs-assets/swagger-ui/"
    return "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.35.0/"


def register_database(
    app: Flask, settings: Settings, sessions: sessionmaker[Session] | None
) -> None:
    """One engine per app; the request owns the transaction (see app.web)."""
    from app.web import register_request_session

    if sessions is None:
        engine = make_engine(settings)
        app.extensions["waypoint.engine"] = engine
        sessions = make_sessionmaker(engine)
    register_request_session(app, sessions)


def register_extensions(app: Flask) -> None:
    """flask-smorest Api, the rate limiter, and the error handlers."""
    from app.errors import register_error_handlers
    from app.extensions import init_extensions

    init_extensions(app)
    register_error_handlers(app)


def register_auth(app: Flask, settings: Settings) -> None:
    """Load the signing key set once (a development key is generated if none is given)."""
    from app.auth.guard import AUTH_KEY
    from app.auth.service import AuthConfig
    from app.auth.tokens import KeySet

    if settings.jwt_keys:
        keys = KeySet.from_json(settings.jwt_keys)
    else:
        keys = KeySet.development(settings.instance_path / "jwt-keys.json")
    app.extensions[AUTH_KEY] = AuthConfig(
        keys=keys,
        issuer=settings.jwt_issuer,
        access_ttl_s=settings.access_token_ttl_s,
        refresh_ttl_s=settings.refresh_token_ttl_s,
        max_devices=settings.max_devices_per_staff,
        require_hr_link=settings.require_hr_link,
    )


def register_policies(app: Flask, settings: Settings) -> None:
    """Validation limits that services receive as plain values."""
    from app.territories.service import TerritoryPolicy

    app.extensions["waypoint.territory_policy"] = TerritoryPolicy(
        max_vertices=settings.territory_max_vertices,
        overlap_tolerance_m2=settings.territory_overlap_tolerance_m2,
    )


def register_routing(app: Flask, settings: Settings) -> None:
    """The road matrix provider for route plans, built once: OSRM when configured (cells it
    cannot route fall back to the estimate), else great-circle distance x detour factor."""
    from geo.routing import HaversineProvider, OsrmProvider

    estimate = HaversineProvider(
        detour_factor=settings.route_detour_factor, speed_kmh=settings.route_speed_kmh
    )
    app.extensions["waypoint.route_provider"] = (
        OsrmProvider(base_url=settings.osrm_url, fallback=estimate)
        if settings.osrm_url
        else estimate
    )


def register_blueprints(app: Flask) -> None:
    """Every domain's Blueprint, plus the health check."""
    from app.auth.views import blp as auth_blp
    from app.extensions import api
    from app.health import assets_blp
    from app.health import blp as health_blp
    from app.hr.scim_views import bp as scim_bp
    from app.hr.views import blp as hr_blp
    from app.leads.views import blp as leads_blp
    from app.maps.views import blp as maps_blp
    from app.org.views import blp as org_blp
    from app.org.views import staff_blp
    from app.planning.views import blp as planning_blp
    from app.privacy.views import blp as privacy_blp
    from app.sync.views import blp as sync_blp
    from app.territories.views import blp as territories_blp
    from app.visits.views import blp as visits_blp

    domains = (
        auth_blp,
        org_blp,
        staff_blp,
        territories_blp,
        leads_blp,
        visits_blp,
        sync_blp,
        planning_blp,
        hr_blp,
        privacy_blp,
    )
    for blp in (health_blp, *domains):
        api.register_blueprint(blp)
    app.register_blueprint(assets_blp)
    app.register_blueprint(scim_bp)  # SCIM 2.0 for HR: its own errors, not in the OpenAPI
    app.register_blueprint(maps_blp)


def register_cli(app: Flask) -> None:
    """`flask waypoint ...` commands: migrations, demo data, keys, docs."""
    from app.cli import all_commands

    for group in all_commands():
        app.cli.add_command(group)
