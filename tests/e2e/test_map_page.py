"""The team-lead map page end to end: the real app on 127.0.0.1, headless Chromium, the real DB.

Why playwright-core from npm driven by a small Node script, not Selenium from pytest: the page
is JavaScript and its assets already come from npm (Leaflet), so this adds one pinned npm
package and no Python dependency; playwright-core downloads no browser and drives Debian's
chromium over the DevTools protocol, so there is no chromedriver whose version must match the
browser; and its auto-waiting locators keep the test free of sleeps.

The data is committed (the server's threads use their own sessions), and the `committed`
fixture empties every table afterwards. Screenshots are kept in test-artifacts/ (git-ignored):
map.png (before the review), map-reviewed.png, map-offline-tiles.png.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import make_server

from app import create_app, spatial
from app.config import PROJECT_ROOT, Settings, SettingsError
from app.db import utcnow
from app.leads.models import Lead
from app.org.models import Role, Staff
from app.visits.models import Visit, VisitReview
from tests.factories import PASSWORD, make_node, make_staff
from tests.factories_geo import E1_BOX, E2_BOX, IN_E1, IN_E2, make_lead, make_territory

SCRIPT = Path(__file__).with_name("map_page.mjs")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
CHROMIUM = os.environ.get("WAYPOINT_CHROMIUM", "/usr/bin/chromium")
COMMENT = "Called the customer: the rep was there, GPS drifted in the mall."
FINDING = "Checked in 2.4 km from the customer's pin (accuracy 15 m)."
HOW_TO_INSTALL = (
    "Install it with `BOOTSTRAP_DEV=1 script/bootstrap` as root (apt-get install chromium, "
    "npm install playwright-core), or set WAYPOINT_SKIP_E2E=1 to skip the browser tests."
)


def require_browser_tools() -> str:
    """The node binary; fails loudly (skips only on WAYPOINT_SKIP_E2E=1) when a tool is missing."""
    node = shutil.which("node")
    missing = [
        what
        for what, ok in [
            (f"Chromium at {CHROMIUM}", os.access(CHROMIUM, os.X_OK)),
            ("node", node is not None),
            (
                "playwright-core in node_modules",
                (PROJECT_ROOT / "node_modules" / "playwright-core").is_dir(),
            ),
            ("leaflet in node_modules", (PROJECT_ROOT / "node_modules" / "leaflet").is_dir()),
        ]
        if not ok
    ]
    if missing:
        message = f"The map e2e test needs {', '.join(missing)}. {HOW_TO_INSTALL}"
        if os.environ.get("WAYPOINT_SKIP_E2E") == "1":
            pytest.skip(message)
        pytest.fail(message, pytrace=False)
    assert node is not None
    return node


class ServerThread:
    """The app served by werkzeug on a free 127.0.0.1 port, in a background thread."""

    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()


def add_visit(
    session: Session,
    rep: Staff,
    lead: Lead,
    visit_id: str,
    hours_ago: float,
    *,
    verdict: str = "verified",
    findings: list[dict[str, Any]] | None = None,
    offset: tuple[float, float] = (0.0, 0.0),
) -> Visit:
    """A located visit row in the last 24 hours, as check-in stamps it."""
    when = utcnow() - timedelta(hours=hours_ago)
    lat, lon = lead.lat + offset[0], lead.lon + offset[1]
    visit = Visit(
        id=visit_id,
        rep_id=rep.id,
        lead_id=lead.id,
        org_node_id=rep.org_node_id,
        territory_id=lead.territory_id,
        device_id="phone-1",
        visited_at=when,
        captured_at=when,
        received_at=when,
        fix_time=when,
        lat=lat,
        lon=lon,
        geom=spatial.point(lon, lat),
        accuracy_m=15.0,
        verdict=verdict,
        score=95 if verdict == "verified" else 45,
        findings=findings or [],
    )
    session.add(visit)
    return visit


def arrange(session: Session) -> dict[str, Any]:
    """Company → Region → Team A (lead, two reps, a territory, a customer) and sibling Team B."""
    company = make_node(session, None, "Company", "company")
    region = make_node(session, company, "Region", "region")
    team_a, team_b = make_node(session, region, "Team A"), make_node(session, region, "Team B")
    make_territory(session, team_a, E1_BOX, name="Team A territory")
    make_territory(session, team_b, E2_BOX, name="Team B territory")
    lead = make_staff(session, team_a, Role.TEAM_LEAD, name="Lena Lead")
    rep, other = (
        make_staff(session, team_a, Role.REP, name="Ray Rep", timezone="Asia/Shanghai"),
        make_staff(session, team_a, Role.REP, name="Olga Other", timezone="Asia/Shanghai"),
    )
    sibling = make_staff(session, team_b, Role.REP, name="Sam Sibling")
    bakery = make_lead(session, *IN_E1, name="Sunrise Bakery")
    garage = make_lead(session, *IN_E2, name="Harbour Garage")
    suspicious = {
        "code": "place.far_from_customer",
        "severity": "high",
        "message": FINDING,
        "data": {"distance_m": 2400},
    }
    add_visit(session, rep, bakery, "e2e-v1", 5, offset=(-0.004, -0.006))
    add_visit(session, rep, bakery, "e2e-v2", 4, offset=(0.003, 0.002))
    add_visit(session, rep, bakery, "e2e-sus", 3, verdict="suspicious", findings=[suspicious])
    add_visit(session, other, bakery, "e2e-o1", 2, verdict="unverified", offset=(0.006, -0.003))
    add_visit(session, sibling, garage, "e2e-sibling", 2)
    session.commit()
    return {"lead": lead, "rep": rep, "other": other, "team_a": team_a}


@pytest.fixture
def node() -> str:
    return require_browser_tools()


@pytest.fixture
def people(committed: sessionmaker[Session]) -> dict[str, Any]:
    """The arranged org, committed; ids and the team lead's login."""
    with committed() as session:
        found = arrange(session)
        return {
            "login": found["lead"].employee_number,
            "lead_id": found["lead"].id,
            "other_id": found["other"].id,
        }


@contextmanager
def serve(settings: Settings, sessions: sessionmaker[Session], **overrides: Any) -> Iterator[str]:
    """The app with these settings on a free 127.0.0.1 port; yields its base URL."""
    app = create_app(replace(settings, **overrides).validated(), sessions=sessions)
    with ServerThread(app) as server:
        yield server.url


def closed_port() -> int:
    """A 127.0.0.1 port nobody listens on (bound once, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_browser(node: str, **payload: Any) -> dict[str, Any]:
    """Run map_page.mjs with this input; its JSON result (fails with its output otherwise)."""
    ARTIFACTS.mkdir(exist_ok=True)
    payload = {"chromium": CHROMIUM, "password": PASSWORD, "expectedMarkers": 4, **payload}
    completed = subprocess.run(  # noqa: S603 (fixed argv: node, our script, JSON)
        [node, str(SCRIPT), json.dumps(payload)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert completed.returncode == 0, (
        f"browser run failed (screenshots in {ARTIFACTS})\n"
        f"stdout: {completed.stdout[-3000:]}\nstderr: {completed.stderr[-3000:]}"
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_with_tiles_unreachable_the_map_still_shows_and_asks_for_gcj02(
    node: str, settings: Settings, committed: sessionmaker[Session], people: dict[str, Any]
) -> None:
    tiles = f"http://127.0.0.1:{closed_port()}/tiles/{{z}}/{{x}}/{{y}}.png"
    with serve(settings, committed, map_tile_url=tiles, map_tile_datum="gcj02") as url:
        result = run_browser(
            node,
            baseUrl=url,
            login=people["login"],
            review=False,
            screenshot=str(ARTIFACTS / "map-offline-tiles.png"),
        )

    assert result["markers"] == 4
    assert result["territories"] == 1
    assert result["mapRequests"], result
    assert all("datum=gcj02" in request for request in result["mapRequests"])
    failed = [p for p in result["problems"] if "/tiles/" in p]
    assert failed, "the tile layer was expected to try (and fail) to load tiles"
    others = [p for p in result["problems"] if "/tiles/" not in p and "ERR_CONNECTION" not in p]
    assert others == [], others


def test_a_team_lead_sees_the_map_and_overturns_a_suspicious_visit(
    node: str, settings: Settings, committed: sessionmaker[Session], people: dict[str, Any]
) -> None:
    with serve(settings, committed) as url:
        result = run_browser(
            node,
            baseUrl=url,
            login=people["login"],
            review=True,
            otherRepId=people["other_id"],
            otherRepMarkers=1,
            suspiciousId="e2e-sus",
            comment=COMMENT,
            screenshot=str(ARTIFACTS / "map.png"),
            screenshotAfter=str(ARTIFACTS / "map-reviewed.png"),
        )

    assert result["markers"] == 4  # team A's four visits; team B's is out of scope
    assert (result["suspectVerdict"], result["suspectFill"]) == ("suspicious", "#f08c00")
    assert FINDING in result["findingText"]
    assert result["queueBefore"] == 1
    assert result["territories"] == 1
    assert result["tracks"] == 1  # Ray's three visits; Olga's single visit draws no line
    assert result["suspectFillAfter"] == "#2b9348"
    assert result["queueAfter"] == 0
    assert result["tileImages"] == 0  # no tile URL configured: a plain background
    assert result["deviceId"].startswith("web-")
    assert result["tokensInSession"] is True
    assert result["refreshed"] is True
    # 401s: the wrong password, and the dead access token before its refresh.
    unexpected = [p for p in result["problems"] if "status of 401" not in p]
    assert unexpected == [], unexpected  # no CSP violation, script error or failed request
    with committed() as session:
        visit = session.get(Visit, "e2e-sus")
        assert visit is not None
        assert (visit.verdict, visit.review_verdict, visit.final_verdict) == (
            "suspicious",
            "verified",
            "verified",
        )
        assert visit.reviewed_by_id == people["lead_id"]
        (review,) = session.scalars(sa.select(VisitReview).where(VisitReview.visit_id == visit.id))
        assert (review.from_verdict, review.to_verdict) == ("suspicious", "verified")
        assert (review.reviewer_id, review.comment) == (people["lead_id"], COMMENT)
    assert (ARTIFACTS / "map.png").stat().st_size > 10_000


# -- the page's headers and settings (no browser) ----------------------------------------------


def test_the_page_and_its_assets_carry_a_strict_policy(client) -> None:
    page = client.get("/map")

    assert page.status_code == 200
    assert page.mimetype == "text/html"
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'none'" in policy
    assert "unsafe-inline" not in policy
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert 'data-tile-url=""' in page.get_data(as_text=True)
    for asset in ("/map/static/map.js", "/map/vendor/leaflet/leaflet.js"):
        with client.get(asset) as response:
            assert response.status_code == 200, asset
            assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/map/vendor/leaflet/../../../package.json").status_code == 404


@pytest.mark.parametrize(
    ("tile_url", "source"),
    [
        ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", "https://*.tile.openstreetmap.org"),
        ("https://tiles.example.org:8443/{z}/{x}/{y}.png", "https://tiles.example.org:8443"),
        ("http://127.0.0.1:8080/{z}/{x}/{y}.png", "http://127.0.0.1:8080"),
        ("/tiles/{z}/{x}/{y}.png", None),
        ("https://tiles.{s}.example.org/{z}/{x}/{y}.png", None),
        ("", None),
    ],
)
def test_only_the_configured_tile_host_is_admitted(tile_url: str, source: str | None) -> None:
    from app.maps.views import tile_source

    assert tile_source(tile_url) == source


def test_the_configured_tile_host_reaches_the_page(settings: Settings, sessions) -> None:
    tiles = "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"
    app = create_app(
        replace(settings, map_tile_url=tiles, map_tile_datum="gcj02"), sessions=sessions
    )

    page = app.test_client().get("/map")

    policy = page.headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://*.tile.openstreetmap.org;" in policy
    html = page.get_data(as_text=True)
    assert f'data-tile-url="{tiles}"' in html
    assert 'data-tile-datum="gcj02"' in html


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("WAYPOINT_MAP_TILE_DATUM", "bd09"),
        ("WAYPOINT_MAP_TILE_URL", "ftp://tiles.example.org/{z}/{x}/{y}.png"),
        ("WAYPOINT_MAP_TILE_URL", "//tiles.example.org/{z}/{x}/{y}.png"),
        ("WAYPOINT_MAP_TILE_URL", "https://a.example.org/{z}; script-src *"),
        ("WAYPOINT_MAP_TILE_URL", "https://a.example.org/'{z}'"),
    ],
)
def test_unusable_tile_settings_are_refused(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({variable: value})


def test_tile_settings_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "WAYPOINT_MAP_TILE_URL": "https://tiles.example.org/{z}/{x}/{y}.png",
            "WAYPOINT_MAP_TILE_DATUM": "gcj02",
            "WAYPOINT_MAP_TILE_ATTRIBUTION": "© Example",
        }
    )

    assert settings.map_tile_url == "https://tiles.example.org/{z}/{x}/{y}.png"
    assert (settings.map_tile_datum, settings.map_tile_attribution) == ("gcj02", "© Example")
    assert (Settings().map_tile_url, Settings().map_tile_datum) == ("", "wgs84")
