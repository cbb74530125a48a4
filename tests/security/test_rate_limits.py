"""Rate limits beyond login (tests/app/auth/test_ratelimit.py): nearby lookup and SCIM.

The nearby lookup is limited per account (anti-scraping of the public pool), SCIM per token
(a runaway HR connector), each whatever the caller's address.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from app import create_app
from app.config import Settings, SettingsError
from app.hr import tokens
from app.org.models import Role
from tests.app.auth.helpers import assert_problem
from tests.app.hr.conftest import assert_scim_error
from tests.factories import auth_header, make_node, make_staff

NEARBY = "/api/v1/leads/nearby"
NEAR = {"lat": 31.25, "lon": 121.42}


@pytest.fixture
def team(db):
    return make_node(db, make_node(db, None, "Company", "company"), "Team")


def limited(settings, sessions, **limits):
    """A client of an app with rate limiting on and these limits."""
    app = create_app(replace(settings, ratelimit_enabled=True, **limits), sessions=sessions)
    return app.test_client()


def nearby(client, headers, ip="10.0.0.1"):
    return client.get(NEARBY, query_string=NEAR, headers=headers, environ_base={"REMOTE_ADDR": ip})


def test_the_121st_nearby_lookup_in_a_minute_is_429_by_default(settings, sessions, db, team):
    client = limited(settings, sessions)
    headers = auth_header(client, make_staff(db, team, Role.REP))

    statuses = {nearby(client, headers).status_code for _ in range(120)}

    assert statuses == {200}
    response = nearby(client, headers)
    body = assert_problem(response, 429, "request.rate_limited")
    assert "120 per 1 minute" in body["detail"]
    assert int(response.headers["Retry-After"]) > 0


def test_the_nearby_limit_is_per_account_whatever_the_address(settings, sessions, db, team):
    client = limited(settings, sessions, nearby_rate_limit="3 per minute")
    scraper, colleague = (make_staff(db, team, Role.REP) for _ in range(2))
    scraper_headers = auth_header(client, scraper)

    first = [nearby(client, scraper_headers, ip=f"10.0.0.{n}").status_code for n in range(4)]

    assert first == [200, 200, 200, 429]
    assert nearby(client, scraper_headers, ip="10.9.9.9").status_code == 429
    assert nearby(client, auth_header(client, colleague), ip="10.0.0.1").status_code == 200


@pytest.fixture
def two_tokens(db, team):
    return [
        tokens.create_token(db, name=name, root_node_id=team.id, created_by_id=None)[1]
        for name in ("okta", "entra")
    ]


def scim_get(client, secret, ip="10.0.0.1"):
    headers = {"Authorization": f"Bearer {secret}"}
    return client.get("/scim/v2/Users", headers=headers, environ_base={"REMOTE_ADDR": ip})


def test_scim_answers_429_as_a_scim_error_per_token(settings, sessions, two_tokens):
    client = limited(settings, sessions, scim_rate_limit="3 per minute")
    okta, entra = two_tokens

    statuses = [scim_get(client, okta, ip=f"10.0.0.{n}").status_code for n in range(3)]
    response = scim_get(client, okta, ip="10.0.0.9")

    assert statuses == [200, 200, 200]
    body = assert_scim_error(response, 429)
    assert "SCIM token" in body["detail"]
    assert int(response.headers["Retry-After"]) > 0
    assert scim_get(client, entra).status_code == 200


def test_a_flood_with_a_wrong_scim_token_is_limited_too(settings, sessions):
    client = limited(settings, sessions, scim_rate_limit="2 per minute")

    statuses = [scim_get(client, "wpscim_guess").status_code for _ in range(3)]

    assert statuses == [401, 401, 429]


def test_the_scim_limit_is_600_per_minute_unless_set():
    assert Settings.from_env({}).scim_rate_limit == "600 per minute"
    custom = Settings.from_env({"WAYPOINT_SCIM_RATE_LIMIT": "20 per second"})
    assert custom.scim_rate_limit == "20 per second"


def test_a_malformed_scim_limit_stops_the_app_at_startup():
    with pytest.raises(SettingsError, match="WAYPOINT_SCIM_RATE_LIMIT"):
        Settings.from_env({"WAYPOINT_SCIM_RATE_LIMIT": "lots"})
