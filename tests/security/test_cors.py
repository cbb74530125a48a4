"""CORS: only the exact origins of WAYPOINT_CORS_ORIGINS, only on /api/, never credentials."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app import create_app
from app.config import Settings, SettingsError
from app.org.models import Role
from tests.factories import auth_header, make_node, make_staff

APP_ORIGIN = "https://app.example.com"
ADMIN_ORIGIN = "http://localhost:5173"
PREFLIGHT = {
    "Origin": APP_ORIGIN,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
}
CORS_HEADERS = {
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Headers",
    "Access-Control-Allow-Credentials",
    "Access-Control-Max-Age",
    "Access-Control-Expose-Headers",
}


@pytest.fixture
def cors_client(settings, sessions):
    configured = replace(settings, cors_origins=(APP_ORIGIN, ADMIN_ORIGIN))
    return create_app(configured, sessions=sessions).test_client()


def cors_of(response) -> set[str]:
    return CORS_HEADERS & set(response.headers.keys())


def test_a_preflight_from_an_allowed_origin_is_answered(cors_client):
    response = cors_client.options("/api/v1/visits", headers=PREFLIGHT)

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert set(response.headers["Access-Control-Allow-Methods"].split(", ")) == {
        "GET",
        "POST",
        "PUT",
        "PATCH",
        "DELETE",
    }
    assert response.headers["Access-Control-Allow-Headers"] == (
        "Authorization, Content-Type, Idempotency-Key"
    )
    assert int(response.headers["Access-Control-Max-Age"]) > 0
    assert "Origin" in response.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_each_allowed_origin_is_echoed_exactly_never_a_wildcard(cors_client, db):
    staff = make_staff(db, make_node(db, None, "Company", "company"), Role.ADMIN)
    headers = auth_header(cors_client, staff)

    for origin in (APP_ORIGIN, ADMIN_ORIGIN):
        response = cors_client.get("/api/v1/me", headers={**headers, "Origin": origin})
        assert response.status_code == 200
        assert response.headers["Access-Control-Allow-Origin"] == origin
        assert "Retry-After" in response.headers["Access-Control-Expose-Headers"]
        assert "Access-Control-Allow-Credentials" not in response.headers


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example.com",
        "https://app.example.com.evil.example",
        "http://app.example.com",  # another scheme is another origin
        "https://app.example.com:8443",
        "null",
    ],
)
def test_any_other_origin_gets_no_cors_header(cors_client, origin):
    preflight = cors_client.options("/api/v1/visits", headers={**PREFLIGHT, "Origin": origin})
    simple = cors_client.get("/api/v1/me", headers={"Origin": origin})

    assert cors_of(preflight) == set()
    assert cors_of(simple) == set()
    assert "Origin" in simple.headers["Vary"]


def test_errors_carry_the_headers_too_so_the_browser_can_read_them(cors_client):
    response = cors_client.get("/api/v1/me", headers={"Origin": APP_ORIGIN})

    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN


@pytest.mark.parametrize("path", ["/scim/v2/Users", "/map", "/healthz"])
def test_nothing_outside_the_api_is_shared(cors_client, path):
    response = cors_client.get(path, headers={"Origin": APP_ORIGIN})

    assert cors_of(response) == set()


def test_without_configured_origins_there_are_no_cors_headers(client):
    preflight = client.options("/api/v1/visits", headers=PREFLIGHT)
    simple = client.get("/api/v1/me", headers={"Origin": APP_ORIGIN})

    assert cors_of(preflight) == cors_of(simple) == set()
    assert "Origin" not in simple.headers.get("Vary", "")


def test_origins_come_from_the_environment_comma_separated():
    settings = Settings.from_env(
        {"WAYPOINT_CORS_ORIGINS": f" {APP_ORIGIN}, {ADMIN_ORIGIN} ,"}, env="test"
    )

    assert settings.cors_origins == (APP_ORIGIN, ADMIN_ORIGIN)
    assert Settings.from_env({}).cors_origins == ()


@pytest.mark.parametrize(
    "origin",
    ["*", "https://*.example.com", "https://app.example.com/", "app.example.com", "ftp://x.y"],
)
def test_anything_but_an_exact_origin_is_refused_at_startup(origin):
    with pytest.raises(SettingsError, match="WAYPOINT_CORS_ORIGINS"):
        Settings.from_env({"WAYPOINT_CORS_ORIGINS": origin})
