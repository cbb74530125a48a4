"""Fault tests: real servers on 127.0.0.1 (werkzeug in a thread, gunicorn in a process), real
commits, real CLI processes; every loop bounded in count and time.

- a push retried 5 times, one after another and all at once: test_push_retries.py
- a client disconnecting mid-push or mid-upload (werkzeug and gunicorn): test_disconnects.py
- disk full on the photo store (a 507 problem, no row, no temp file, then recovery): already
  in tests/app/visits/test_photos.py, `test_disk_full_is_507_without_row_or_temp_file` and
  `test_unwritable_photo_root_is_507`; not repeated here
- the database dropping the app's connections mid-load (PostgreSQL): test_database_restart.py
- `flask leads recycle`, `privacy purge`, `territories import` twice at once: test_cli_twice.py
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import BaseWSGIServer, make_server

from app import create_app
from app.config import Settings
from app.db import utcnow
from app.org.models import LocationConsent, Staff
from tests.factories_geo import IN_E1, make_geo_org, make_lead
from tests.faults.support import Http, gunicorn, server_env

ALWAYS = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@dataclass
class Field:
    """What the tests need of the arranged org, as plain values (no ORM objects)."""

    reps: list[str]  # employee numbers of two reps in team E1, ready for visits
    rep_ids: list[int]
    leads: list[tuple[str, float, float]]  # public leads in E1: (id, lat, lon)
    admin: str
    company_id: int
    node_ids: dict[str, int] = field(default_factory=dict)


def ready_for_visits(session: Session, staff: Staff) -> None:
    """UTC, working around the clock, a standing location consent."""
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


@pytest.fixture
def field_org(committed: sessionmaker[Session]) -> Field:
    """The two-region org, committed; two E1 reps ready for visits and four public E1 leads."""
    with committed() as session:
        org = make_geo_org(session)
        reps = [org["rep_e1"], org["rep_e1b"]]
        for rep in reps:
            ready_for_visits(session, rep)
        leads = [
            make_lead(session, IN_E1[0] + 0.004 * i, IN_E1[1] + 0.003 * i, name=f"Fault Shop {i}")
            for i in range(4)
        ]
        session.commit()
        return Field(
            reps=[r.employee_number for r in reps],
            rep_ids=[r.id for r in reps],
            leads=[(lead.id, lead.lat, lead.lon) for lead in leads],
            admin=org["admin"].employee_number,
            company_id=org["company"].id,
            node_ids={key: node.id for key, node in org.nodes.items()},
        )


@dataclass
class Server:
    """A running server and a way to know that it has finished the requests sent so far."""

    kind: str
    http: Http
    _finished: list[int]

    @property
    def base(self) -> str:
        return self.http.base

    def finished(self) -> int:
        return self._finished[0]

    def settle(self, before: int, limit_s: float = 10.0) -> None:
        """Wait until the request sent after `finished() == before` has been handled."""
        if self.kind == "gunicorn":  # one sync worker: this waits behind the earlier request
            assert self.http.request("GET", "/healthz").status == 200
            return
        deadline = time.monotonic() + limit_s
        while self.finished() <= before and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.finished() > before, "the server did not finish the request in time"


@pytest.fixture
def werkzeug_server(settings: Settings, committed: sessionmaker[Session]) -> Iterator[Server]:
    """The app in a threaded werkzeug server on a free 127.0.0.1 port, with real commits."""
    app = create_app(settings, sessions=committed)
    finished = [0]

    @app.teardown_request
    def _count(_exc: BaseException | None) -> None:
        finished[0] += 1

    httpd: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name="faults-http", daemon=True)
    thread.start()
    try:
        yield Server("werkzeug", Http(f"http://127.0.0.1:{httpd.server_port}"), finished)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)


@pytest.fixture(scope="module")
def gunicorn_base(database: tuple[Settings, object], tmp_path_factory: pytest.TempPathFactory):
    """One `gunicorn wsgi:app` (one sync worker) over the run's database, for the module."""
    settings = database[0]
    tmp: Path = tmp_path_factory.mktemp("gunicorn")
    with gunicorn(server_env(settings, tmp)) as base:
        yield base


@pytest.fixture(params=["werkzeug", "gunicorn"])
def server(request: pytest.FixtureRequest, committed: sessionmaker[Session]) -> Server:
    """Each test against both servers: they read a cut request body differently (werkzeug
    wraps the input in a length-checking stream; gunicorn hands over what arrived)."""
    if request.param == "werkzeug":
        return request.getfixturevalue("werkzeug_server")
    return Server("gunicorn", Http(request.getfixturevalue("gunicorn_base")), [0])
