"""A real WatermelonDB 0.28 client (tests/e2e/watermelon/sync_e2e.js) against the running app.

The app serves on a free 127.0.0.1 port (werkzeug in a thread) over the run's database with
real commits; the Node script simulates four devices (two of rep A, one of rep B in the same
team, one of rep C in another team) and a team lead's console, and asserts convergence and
zero WatermelonDB diagnostics. Here we check its exit code and report, then the server side:
every device holds exactly what its owner's scope holds now, column by column, and every
visit a device created exists once.

Needs `node` and `node_modules/@nozbe/watermelondb` (script/bootstrap installs it);
WAYPOINT_SKIP_E2E=1 skips instead of failing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import BaseWSGIServer, make_server

from app import create_app
from app.config import Settings
from app.db import utcnow
from app.leads.models import Lead
from app.org.models import LocationConsent, Staff
from app.sync.models import SyncConflict
from app.sync.tables import specs_for
from app.visits.models import Visit
from tests.factories import PASSWORD
from tests.factories_geo import make_geo_org, make_lead, principal_of

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "e2e" / "watermelon" / "sync_e2e.js"
PACKAGE = ROOT / "node_modules" / "@nozbe" / "watermelondb"
ALWAYS = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}

pytestmark = pytest.mark.slow


def _require_client() -> str:
    skip = os.environ.get("WAYPOINT_SKIP_E2E") == "1"
    node = shutil.which("node")
    problem = None
    if node is None:
        problem = "node (Node.js 20) is not on PATH"
    elif not (PACKAGE / "package.json").exists():
        problem = (
            "node_modules/@nozbe/watermelondb is missing: run script/bootstrap "
            "(it runs `npm install --no-package-lock` from package.json)"
        )
    if problem is None:
        return node  # type: ignore[return-value]
    if skip:
        pytest.skip(f"WAYPOINT_SKIP_E2E=1: {problem}")
    pytest.fail(f"{problem}; or set WAYPOINT_SKIP_E2E=1 to skip the end-to-end tests")


def _ready_for_visits(session: Session, staff: Staff) -> None:
    """UTC, working around the clock, standing location consent: visits are assessed."""
    staff.timezone, staff.working_hours = "UTC", ALWAYS
    session.add(
        LocationConsent(
            staff_id=staff.id,
            document_version="2026-01",
            consented_at=utcnow(),
            recorded_by_id=staff.id,
        )
    )
    session.flush()


def _arrange(session: Session) -> dict[str, Any]:
    org = make_geo_org(session)
    rep_a, rep_b, rep_c = org["rep_e1"], org["rep_e1b"], org["rep_e2"]
    for person in (rep_a, rep_b, rep_c):
        _ready_for_visits(session, person)
    own_a = make_lead(session, 31.25, 121.42, owner=rep_a, name="Golden Dragon Tea House")
    own_a2 = make_lead(session, 31.27, 121.43, owner=rep_a, name="Silver Moon Pharmacy")
    own_b = make_lead(session, 31.24, 121.43, owner=rep_b, name="Blue Lotus Bakery")
    shared = make_lead(session, 31.26, 121.41, name="Peach Garden Florist")
    race = make_lead(session, 31.22, 121.41, name="Jade River Seafood")
    other = make_lead(session, 31.25, 121.48, name="East Two Hardware")
    for i in range(40):  # enough public leads for a gzipped first pull
        make_lead(session, 31.205 + 0.002 * i, 121.445, name=f"Corner Shop {i:02d}")
    session.commit()

    def person(staff: Staff) -> dict[str, Any]:
        return {"login": staff.employee_number, "staff_id": staff.id}

    return {
        "password": PASSWORD,
        "people": {
            "rep_a": person(rep_a),
            "rep_b": person(rep_b),
            "rep_c": person(rep_c),
            "team_lead": person(org["lead_e1"]),
        },
        "leads": {
            "own_a": own_a.id,
            "own_a2": own_a2.id,
            "own_b": own_b.id,
            "shared": shared.id,
            "race": race.id,
            "other_team": other.id,
        },
        "spot": {"lat": 31.285, "lon": 121.405},  # in E1, far from every other lead
    }


@pytest.fixture
def server(settings: Settings, committed: sessionmaker[Session]) -> Iterator[str]:
    """The app on a free local port, over the test database with real commits."""
    app = create_app(settings, sessions=committed)
    httpd: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name="e2e-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)


def _server_view(session: Session, staff_id: int) -> dict[str, dict[str, dict[str, Any]]]:
    """Every synced record the person's scope holds now, as a pull would send it."""
    staff = session.get(Staff, staff_id)
    assert staff is not None
    principal = principal_of(session, staff)
    view: dict[str, dict[str, dict[str, Any]]] = {}
    for spec in specs_for(principal):
        rows = session.execute(sa.select(*spec.columns).where(spec.visible))
        view[spec.name] = {raw["id"]: raw for raw in map(spec.to_raw, rows)}
    return view


def test_watermelondb_devices_converge_with_the_server(
    server: str, committed: sessionmaker[Session], tmp_path: Path
) -> None:
    node = _require_client()
    with committed() as session:
        fixture = _arrange(session)
    report_path = tmp_path / "watermelon-report.json"
    env = {
        **os.environ,
        "WAYPOINT_E2E_BASE_URL": server,
        "WAYPOINT_E2E_FIXTURE": json.dumps(fixture),
        "WAYPOINT_E2E_REPORT": str(report_path),
        "NODE_ENV": "development",  # WatermelonDB's own invariants and warnings stay on
    }
    done = subprocess.run(  # noqa: S603 (our script, our node)
        [node, str(SCRIPT)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr[-6000:]}"
    assert report_path.exists(), output
    report = json.loads(report_path.read_text())
    assert done.returncode == 0, output
    assert report["ok"], output
    assert report["watermelondb"] == "0.28.0"
    assert report["diagnostics"] == [], report["diagnostics"]
    assert [m for m in report["logger"] if not m["expected"]] == []
    assert [s["name"] for s in report["scenarios"] if not s["ok"]] == []
    assert len(report["scenarios"]) == 11

    people = fixture["people"]
    with committed() as session:
        # Every visit a device created exists exactly once, assessed; nothing else was made.
        visits = session.execute(
            sa.select(Visit.id, Visit.verdict, Visit.captured_offline).where(
                Visit.rep_id == people["rep_a"]["staff_id"]
            )
        ).all()
        assert sorted(v.id for v in visits) == sorted(report["created"]["visits"])
        assert all(v.verdict and v.captured_offline for v in visits)
        assert session.scalar(sa.select(sa.func.count()).select_from(Visit)) == len(visits)
        created = session.scalars(
            sa.select(Lead).where(Lead.created_by_id == people["rep_a"]["staff_id"])
        ).all()
        assert sorted(lead.id for lead in created) == sorted(report["created"]["leads"])
        assert all(lead.deleted_at is not None for lead in created)  # deleted on the device
        clashes = session.execute(
            sa.select(SyncConflict.record_id, SyncConflict.column, SyncConflict.winner)
        ).all()
        own_a2, race = fixture["leads"]["own_a2"], fixture["leads"]["race"]
        assert sorted(clashes) == sorted(
            [
                (own_a2, "contact_person", "client"),
                (own_a2, "stage", "server"),
                (race, "owner_id", "server"),  # B's offline claim after A's
            ]
        )

        # Each device holds what its owner's scope holds, every column as the server sends it.
        for name, device in report["devices"].items():
            view = _server_view(session, device["staff_id"])
            assert sorted(device["tables"]) == sorted(view), f"{name}: synced tables differ"
            for table, records in device["tables"].items():
                held = {r["id"]: r for r in records}
                assert sorted(held) == sorted(view[table]), f"{name}: {table} ids differ"
                for record_id, local in held.items():
                    assert (local["_status"], local["_changed"]) == ("synced", ""), local
                    server_raw = view[table][record_id]
                    local_raw = {k: v for k, v in local.items() if not k.startswith("_")}
                    assert local_raw == server_raw, f"{name}: {table}#{record_id} differs"
        rep_c = report["devices"]["rep-c-phone"]["tables"]["leads"]
        assert fixture["leads"]["other_team"] in {r["id"] for r in rep_c}
        assert fixture["leads"]["shared"] not in {r["id"] for r in rep_c}
