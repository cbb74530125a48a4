"""The database drops the app's connections mid-load (PostgreSQL): clean 503 problems, no
partial writes, and the next requests succeed with no manual repair (pool_pre_ping).

A restart of the shared cluster is simulated without restarting it: an admin connection runs
`pg_terminate_backend` on exactly the app's connections (they carry their own
application_name), which is what every client of a restarting server sees.
"""

from __future__ import annotations

import itertools
import os
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import BaseWSGIServer, make_server

from app import create_app
from app.config import Settings
from app.leads.models import Lead
from app.visits.models import Visit
from tests.conftest import PG_ADMIN_DSN
from tests.faults.conftest import Field
from tests.faults.support import Http, Reply, checkin, new_lead, offline_visit

pytestmark = pytest.mark.postgres_only


@dataclass
class PgServer:
    http: Http
    app_name: str
    dbname: str

    def terminate(self) -> int:
        """Kill every connection of this app; returns how many there were."""
        with psycopg.connect(PG_ADMIN_DSN + " dbname=postgres", autocommit=True) as admin:
            rows = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %s",
                (self.app_name,),
            ).fetchall()
        return sum(1 for (ok,) in rows if ok)

    def waiting_on_a_lock(self) -> int:
        with psycopg.connect(PG_ADMIN_DSN + " dbname=postgres", autocommit=True) as admin:
            row = admin.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE application_name = %s AND wait_event_type = 'Lock'",
                (self.app_name,),
            ).fetchone()
        return row[0] if row else 0


@pytest.fixture
def pg_server(settings: Settings, committed: sessionmaker[Session]) -> Iterator[PgServer]:
    """The app with its own engine (as gunicorn builds it: create_app from settings, so
    pool_pre_ping), its connections named so that only they are terminated."""
    name = f"waypoint-faults-{os.getpid()}-{secrets.token_hex(3)}"
    url = f"{settings.database_url}?application_name={name}"
    app = create_app(replace(settings, database_url=url))
    httpd: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name="faults-pg-http", daemon=True)
    thread.start()
    try:
        yield PgServer(
            Http(f"http://127.0.0.1:{httpd.server_port}"),
            name,
            urlsplit(settings.database_url).path.lstrip("/"),
        )
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)
        app.extensions["waypoint.engine"].dispose()


def assert_unavailable(reply: Reply) -> None:
    assert reply.status == 503, reply.body[:500]
    assert reply.content_type == "application/problem+json"
    assert reply.json()["code"] == "server.unavailable"
    assert reply.headers.get("retry-after") == "1"


def _visits(committed: sessionmaker[Session], ids: list[str]) -> dict[str, Any]:
    with committed() as session:
        rows = session.execute(
            sa.select(Visit.id, Visit.verdict, Visit.assessed_at).where(Visit.id.in_(ids))
        ).all()
    return {row.id: row for row in rows}


def test_a_request_whose_connection_is_killed_is_a_503_and_the_retry_succeeds(
    pg_server: PgServer, field_org: Field, committed: sessionmaker[Session]
) -> None:
    http = pg_server.http
    auth = http.login(field_org.reps[0])
    lead_id, lat, lon = field_org.leads[0]
    body = checkin("killed-visit", lead_id, lat, lon)
    answers: list[Reply] = []
    # Hold the sync counter row: the check-in's INSERT waits for it inside its transaction.
    with psycopg.connect(PG_ADMIN_DSN + f" dbname={pg_server.dbname}") as blocker:
        blocker.execute("SELECT value FROM sync_counter WHERE id = 1 FOR UPDATE")
        sender = threading.Thread(
            target=lambda: answers.append(
                http.request("POST", "/api/v1/visits", headers=auth, json_body=body)
            )
        )
        sender.start()
        deadline = time.monotonic() + 20
        while pg_server.waiting_on_a_lock() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pg_server.waiting_on_a_lock() == 1, "the check-in never reached its write"
        assert pg_server.terminate() >= 1
        sender.join(30)
        blocker.rollback()

    assert_unavailable(answers[0])
    assert _visits(committed, ["killed-visit"]) == {}  # nothing of it was written
    retry = http.request("POST", "/api/v1/visits", headers=auth, json_body=body)
    assert retry.status == 201, retry.body  # a new connection, no manual step
    assert _visits(committed, ["killed-visit"])["killed-visit"].verdict is not None


@dataclass
class Op:
    kind: str  # checkin | push
    visit_ids: list[str]
    lead_ids: list[str]
    body: dict[str, Any]
    status: int = 0
    reply: Reply | None = None


def test_connections_killed_mid_load_leave_no_partial_writes(
    pg_server: PgServer, field_org: Field, committed: sessionmaker[Session]
) -> None:
    http = pg_server.http
    devices = [(rep, f"phone-{n}") for rep in field_org.reps for n in range(2)]
    auths = [http.login(rep, device) for rep, device in devices]
    cursors = [http.pull(auth, None).json()["timestamp"] for auth in auths]
    numbers = itertools.count()
    ops: list[list[Op]] = [[] for _ in auths]
    per_client, kills = 12, 8

    def make_op(n: int) -> Op:
        lead_id, lat, lon = field_org.leads[n % len(field_org.leads)]
        if n % 2 == 0:
            vid = f"load-c{n}"
            return Op("checkin", [vid], [], checkin(vid, lead_id, lat, lon))
        v1, v2, new = f"load-p{n}a", f"load-p{n}b", f"load-p{n}-lead"
        changes = {
            "visits": {"created": [offline_visit(v1, lead_id, lat, lon)]},
            "leads": {"created": [new_lead(new, lat + 0.006 + 0.0004 * (n % 25), lon + 0.0004)]},
        }
        changes["visits"]["created"].append(offline_visit(v2, lead_id, lat, lon))
        return Op("push", [v1, v2], [new], changes)

    def send(op: Op, i: int) -> Reply:
        if op.kind == "checkin":
            return http.request("POST", "/api/v1/visits", headers=auths[i], json_body=op.body)
        return http.push(auths[i], cursors[i], op.body)

    def client(i: int) -> None:
        for _ in range(per_client):
            op = make_op(next(numbers))
            op.reply = send(op, i)
            op.status = op.reply.status
            ops[i].append(op)

    terminated: list[int] = []

    def killer() -> None:
        for _ in range(kills):
            time.sleep(0.15)
            terminated.append(pg_server.terminate())

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(auths))]
    threads.append(threading.Thread(target=killer))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(t.is_alive() for t in threads)
    done = [op for client_ops in ops for op in client_ops]
    assert len(done) == per_client * len(auths)
    assert sum(terminated) > 0

    # Every answer is a success or a clean 503 problem; never a 500.
    assert {op.status for op in done} <= {200, 201, 503}, sorted({op.status for op in done})
    for op in done:
        if op.status == 503:
            assert_unavailable(op.reply)  # type: ignore[arg-type]
    # No partial writes: each request's records are there in full or not at all.
    with committed() as session:
        for op in done:
            found = session.scalar(
                sa.select(sa.func.count()).where(Visit.id.in_(op.visit_ids))
            ) + session.scalar(sa.select(sa.func.count()).where(Lead.id.in_(op.lead_ids)))
            expected = len(op.visit_ids) + len(op.lead_ids)
            assert found in (0, expected), (op.kind, op.visit_ids, found, op.status)
            if op.status != 503:
                assert found == expected, (op.kind, op.visit_ids, op.reply.body)  # type: ignore[union-attr]
    # The phones retry what failed, as they would; then everything is there exactly once.
    for i, client_ops in enumerate(ops):
        for op in client_ops:
            if op.status == 503:
                op.reply = send(op, i)
                assert op.reply.status in (200, 201), op.reply.body[:300]
    sent = [vid for op in done for vid in op.visit_ids]
    stored = _visits(committed, sent)
    assert sorted(stored) == sorted(sent)
    assert all(v.verdict is not None and v.assessed_at is not None for v in stored.values())
    with committed() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Visit)) == len(sent)
    # And fresh requests right after the storm need no retry.
    for i, auth in enumerate(auths):
        assert http.pull(auth, cursors[i]).status == 200
        lead_id, lat, lon = field_org.leads[i]
        body = checkin(f"after-{i}", lead_id, lat, lon)
        fresh = http.request("POST", "/api/v1/visits", headers=auth, json_body=body)
        assert fresh.status == 201, fresh.body
