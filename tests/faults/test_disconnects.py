"""A client that stops mid-request: nothing partial is written and the next request is fine.

Against werkzeug and gunicorn (their body readers differ). A phone losing the network while
sending a push or a photo either half-closes (the server reads EOF early) or vanishes (the
connection drops); a phone that sent everything but lost the answer retries the same body.
"""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.leads.models import Lead
from app.sync.models import SyncPush
from app.visits.models import Visit, VisitPhoto
from tests.faults.conftest import Field, Server
from tests.faults.support import (
    checkin,
    jpeg,
    multipart,
    new_lead,
    offline_visit,
    raw_request,
    status_of,
)


def _changes(field: Field, tag: str, visits: int = 3) -> dict[str, Any]:
    created = [
        offline_visit(f"{tag}-v{i}", *field.leads[i % len(field.leads)]) for i in range(visits)
    ]
    _, lat, lon = field.leads[0]
    return {
        "visits": {"created": created, "updated": [], "deleted": []},
        "leads": {"created": [new_lead(f"{tag}-lead", lat + 0.01, lon)]},
    }


def _written(committed: sessionmaker[Session], tag: str) -> tuple[int, int, int]:
    with committed() as session:
        return (
            session.scalar(sa.select(sa.func.count()).where(Visit.id.like(f"{tag}-%"))),
            session.scalar(sa.select(sa.func.count()).where(Lead.id.like(f"{tag}-%"))),
            session.scalar(sa.select(sa.func.count()).select_from(SyncPush)),
        )


def _push_request(auth: dict[str, str], cursor: int, changes: dict[str, Any]) -> tuple:
    body = json.dumps(changes).encode()
    headers = {**auth, "Content-Type": "application/json"}
    return "POST", f"/api/v1/sync/push?last_pulled_at={cursor}", headers, body


@pytest.mark.parametrize("then", ["half-close", "close"])
def test_a_push_cut_mid_body_writes_nothing_and_the_next_push_applies(
    server: Server, field_org: Field, committed: sessionmaker[Session], then: str
) -> None:
    http = server.http
    auth = http.login(field_org.reps[0])
    cursor = http.pull(auth, None).json()["timestamp"]
    changes = _changes(field_org, f"cut-{then}")
    method, path, headers, body = _push_request(auth, cursor, changes)

    before = server.finished()
    answer = raw_request(server.base, method, path, headers, body, send=len(body) // 2, then=then)
    server.settle(before)

    if then == "half-close":  # the server saw the body end early and said so
        assert status_of(answer) == 400, answer[:300]
        assert b"application/problem+json" in answer
    assert _written(committed, f"cut-{then}") == (0, 0, 0)

    retry = http.push(auth, cursor, changes)  # the phone sends the whole batch again
    assert retry.status == 200, retry.body
    assert retry.json() == {}
    assert _written(committed, f"cut-{then}") == (3, 1, 1)


def test_a_push_whose_answer_is_lost_is_applied_once(
    server: Server, field_org: Field, committed: sessionmaker[Session]
) -> None:
    http = server.http
    auth = http.login(field_org.reps[0])
    cursor = http.pull(auth, None).json()["timestamp"]
    changes = _changes(field_org, "lost")
    method, path, headers, body = _push_request(auth, cursor, changes)

    before = server.finished()
    raw_request(server.base, method, path, headers, body, send=len(body), then="close")
    server.settle(before)

    assert _written(committed, "lost") == (3, 1, 1)  # the whole batch, atomically
    assert http.push(auth, cursor, changes).json() == {}  # the retry finds the receipt
    assert _written(committed, "lost") == (3, 1, 1)


def _photo_state(committed: sessionmaker[Session], root: Path) -> tuple[int, list[str]]:
    with committed() as session:
        rows = session.scalar(sa.select(sa.func.count()).select_from(VisitPhoto))
    files = sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []
    return rows, files


# werkzeug's form parser leaves the spooled temp file of a cut-off part to the garbage
# collector, which warns (ResourceWarning) about an unclosed file: a library's warning, the
# file is freed on collection; gc.collect() below keeps it attributed to this test.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("then", ["half-close", "close"])
def test_a_photo_upload_cut_mid_file_stores_nothing(
    server: Server,
    field_org: Field,
    committed: sessionmaker[Session],
    settings: Settings,
    then: str,
) -> None:
    http = server.http
    auth = http.login(field_org.reps[0])
    lead_id, lat, lon = field_org.leads[0]
    visit_id = f"photo-{then}"
    assert (
        http.request(
            "POST", "/api/v1/visits", headers=auth, json_body=checkin(visit_id, lead_id, lat, lon)
        ).status
        == 201
    )
    root = settings.photo_dir
    rows_before, files_before = _photo_state(committed, root)
    seed = 10 * ("werkzeug", "gunicorn").index(server.kind) + ("half-close", "close").index(then)
    data = jpeg(seed + 1, size=(640, 480))  # other bytes in each case: files are shared by hash
    body, content_type = multipart({"photo_id": f"{visit_id}-p", "source": "camera"}, "a.jpg", data)
    path = f"/api/v1/visits/{visit_id}/photos"
    headers = {**auth, "Content-Type": content_type}

    before = server.finished()
    cut = len(body) * 2 // 3
    answer = raw_request(server.base, "POST", path, headers, body, send=cut, then=then)
    server.settle(before)
    gc.collect()

    if then == "half-close":
        assert 400 <= status_of(answer) < 500, answer[:300]
    assert _photo_state(committed, root) == (rows_before, files_before)  # no row, no temp file

    whole = http.request("POST", path, headers={**auth, "Content-Type": content_type}, body=body)
    assert whole.status == 201, whole.body
    rows, files = _photo_state(committed, root)
    assert rows == rows_before + 1
    assert len(files) == len(files_before) + 1
    assert not [name for name in files if name.endswith(".part")]
