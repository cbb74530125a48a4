"""The sync endpoints: cursor, exact change sets, scope exits and entries, pushes and merges."""

import gzip
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.leads import pool
from app.leads.models import Lead
from app.sync.models import SyncConflict
from app.visits.models import Visit
from tests.factories_geo import IN_E1, IN_E2, make_lead, principal_of
from tests.sync.devices import Device, ids, offline_visit


def test_first_pull_sends_everything_in_scope_as_created(client, org):
    body = Device(client, org["rep_e1"]).pull()
    assert body["timestamp"] >= 1
    assert ids(body, "leads", "created") == sorted(lead.id for lead in org.leads)
    assert ids(body, "me", "created") == [str(org["rep_e1"].id)]
    assert ids(body, "territories", "created") == [str(org.territories["t_e1"].id)]
    assert all(not body["changes"][t]["updated"] for t in body["changes"])


@pytest.fixture
def server_in_shanghai(monkeypatch):
    """The server process's local zone is not UTC (naive times must not be read as local)."""
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("server_in_shanghai")
def test_pulled_times_are_the_stored_instants_in_epoch_milliseconds(client, db, org):
    """Every time column arrives as the exact millisecond it holds, on both backends (SQLite
    hands back naive UTC, PostgreSQL aware values; neither may shift by the server's zone)."""
    lead = org.leads[0]
    claimed = datetime(2026, 3, 1, 12, 34, 56, 789_000, tzinfo=UTC)
    lead.owner_id, lead.claimed_at = org["rep_e1"].id, claimed
    db.commit()
    device = Device(client, org["rep_e1"])
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    device.pull()
    visit = offline_visit("exacttimes000001", lead, at)
    assert device.push({"visits": {"created": [visit]}}).get_json() == {}
    body = Device(client, org["rep_e1"], "device-0002").pull()
    pulled = {r["id"]: r for r in body["changes"]["leads"]["created"]}[lead.id]
    assert pulled["claimed_at"] == int(claimed.timestamp() * 1000)
    db.expire_all()
    assert pulled["updated_at"] == int(db.get(Lead, lead.id).updated_at.timestamp() * 1000)
    record = {r["id"]: r for r in body["changes"]["visits"]["created"]}[visit["id"]]
    assert record["captured_at"] == visit["captured_at"]
    assert record["fix_time"] == visit["fix_time"]


def test_a_large_pull_is_gzipped_when_accepted_and_a_small_one_is_not(client, db, org):
    for i in range(1200):  # records are encoded a few hundred at a time: cross a batch
        make_lead(db, IN_E1[0] + (i % 40) * 0.0001, IN_E1[1] + (i // 40) * 0.0001)
    db.commit()
    device = Device(client, org["rep_e1"])
    plain = device.pull(cursor=None)
    zipped = client.get(
        "/api/v1/sync/pull",
        query_string={"last_pulled_at": "null", "schema_version": 1, "migration": "null"},
        headers={**device.headers, "Accept-Encoding": "gzip"},
    )
    assert zipped.headers["Content-Encoding"] == "gzip"
    body = json.loads(gzip.decompress(zipped.data))
    assert len(body["changes"]["leads"]["created"]) > 1200
    assert body["changes"] == plain["changes"]
    empty = client.get(
        "/api/v1/sync/pull",
        query_string={
            "last_pulled_at": body["timestamp"],
            "schema_version": 1,
            "migration": "null",
        },
        headers={**device.headers, "Accept-Encoding": "gzip"},
    )
    assert "Content-Encoding" not in empty.headers
    assert empty.get_json()["timestamp"] == body["timestamp"]


def test_a_second_pull_is_empty_and_the_cursor_never_decreases(client, org):
    device = Device(client, org["rep_e1"])
    first = device.pull()
    second = device.pull()
    assert second["timestamp"] >= first["timestamp"]
    assert all(not any(c.values()) for c in second["changes"].values())


def test_server_changes_arrive_as_updated_and_new_records_as_created(client, db, org):
    device = Device(client, org["rep_e1"])
    device.pull()
    db.execute(sa.update(Lead).where(Lead.id == org.leads[0].id).values(phone="021-5555"))
    fresh = make_lead(db, IN_E1[0] + 0.01, IN_E1[1])
    db.commit()
    body = device.pull()
    assert ids(body, "leads", "updated") == [org.leads[0].id]
    assert ids(body, "leads", "created") == [fresh.id]


def test_a_lead_claimed_by_someone_else_leaves_my_scope_as_deleted(client, db, org):
    device = Device(client, org["rep_e1"])
    device.pull()
    pool.claim(db, principal_of(db, org["rep_e1b"]), lead=db.get(Lead, org.leads[1].id))
    db.commit()
    assert ids(device.pull(), "leads", "deleted") == [org.leads[1].id]


def test_moving_the_rep_to_another_team_swaps_the_scope(client, db, org):
    device = Device(client, org["rep_e1"])
    device.pull()
    org["rep_e1"].org_node_id = org.nodes["e2"].id
    db.commit()
    body = device.pull()
    assert ids(body, "leads", "deleted") == sorted(lead.id for lead in org.leads)
    assert ids(body, "leads", "created") == [org.e2_lead.id]
    assert ids(body, "territories", "deleted") == [str(org.territories["t_e1"].id)]


def test_a_lost_pull_response_is_resent_as_created(client, db, org):
    device = Device(client, org["rep_e1"])
    device.pull()
    cursor = device.cursor
    fresh = make_lead(db, IN_E1[0] + 0.01, IN_E1[1])
    db.commit()
    assert ids(device.pull(), "leads", "created") == [fresh.id]  # response "lost"
    assert ids(device.pull(cursor), "leads", "created") == [fresh.id]  # retried from old cursor


def test_cursor_that_was_never_issued_is_refused(client, org):
    response = Device(client, org["rep_e1"]).push({}, cursor=10**12)
    assert response.status_code == 422
    assert response.get_json()["code"] == "sync.invalid_cursor"


def raw_lead(lead_id, lat, lon, **fields):
    return {
        "id": lead_id,
        "name": "Offline Shop",
        "lat": lat,
        "lon": lon,
        "datum": "wgs84",
        "stage": "new",
        "_status": "created",
        "_changed": "",
        **fields,
    }


def test_push_applies_what_it_can_and_rejects_the_rest_with_reasons(client, db, org):
    device = Device(client, org["rep_e1"])
    device.pull()
    changes = {
        "leads": {
            "created": [raw_lead("goodlead00000001", *IN_E1), raw_lead("badlead000000001", *IN_E2)],
            "updated": [],
            "deleted": [],
        }
    }
    response = device.push(changes)
    assert response.status_code == 200
    assert response.get_json() == {"experimentalRejectedIds": {"leads": ["badlead000000001"]}}
    assert db.get(Lead, "goodlead00000001") is not None
    assert db.get(Lead, "badlead000000001") is None
    rejections = client.get("/api/v1/sync/rejections", headers=device.headers).get_json()
    assert rejections[0]["record_id"] == "badlead000000001"
    assert rejections[0]["code"] == "out_of_territory"


def test_an_identical_retry_changes_nothing(client, db, org):
    device = Device(client, org["rep_e1"])
    device.pull()
    changes = {
        "leads": {"created": [raw_lead("retrylead0000001", *IN_E1)], "updated": [], "deleted": []}
    }
    first = device.push(changes)
    version = db.scalar(sa.select(Lead.sync_version).where(Lead.id == "retrylead0000001"))
    device.pull()
    second = device.push(changes)  # lost response, retried after a newer pull
    assert first.get_json() == second.get_json() == {}
    assert db.scalar(sa.select(Lead.sync_version).where(Lead.id == "retrylead0000001")) == version
    assert db.scalar(sa.select(sa.func.count()).where(Lead.id == "retrylead0000001")) == 1


def test_created_then_deleted_on_the_device_does_not_come_back(client, db, org):
    phone, tablet = Device(client, org["rep_e1"]), Device(client, org["rep_e1"], "device-0002")
    phone.pull()
    tablet.pull()
    phone.push({"leads": {"created": [raw_lead("gonelead00000001", *IN_E1)]}})
    assert ids(tablet.pull(), "leads", "created") == ["gonelead00000001"]
    phone.pull()
    assert phone.push({"leads": {"deleted": ["gonelead00000001"]}}).get_json() == {}
    body = phone.pull()
    assert "gonelead00000001" not in ids(body, "leads", "created") + ids(body, "leads", "updated")
    assert ids(tablet.pull(), "leads", "deleted") == ["gonelead00000001"]


def own_lead(db, org):
    lead = db.get(Lead, org.leads[0].id)
    pool.claim(db, principal_of(db, org["rep_e1"]), lead=lead)
    db.commit()
    return lead


def test_free_text_clash_keeps_the_later_arrival_and_logs_the_loser(client, db, org):
    lead = own_lead(db, org)
    device = Device(client, org["rep_e1"])
    device.pull()
    db.execute(sa.update(Lead).where(Lead.id == lead.id).values(address="Server Road 1"))
    db.commit()
    pushed = {
        "id": lead.id,
        "address": "Device Road 2",
        "_status": "updated",
        "_changed": "address",
    }
    assert device.push({"leads": {"updated": [pushed]}}).status_code == 200
    db.expire_all()
    assert db.get(Lead, lead.id).address == "Device Road 2"
    conflict = db.scalars(sa.select(SyncConflict)).one()
    assert (conflict.column, conflict.server_value, conflict.winner) == (
        "address",
        "Server Road 1",
        "client",
    )


def test_a_won_stage_on_the_server_beats_an_offline_stage_and_is_re_sent(client, db, org):
    lead = own_lead(db, org)
    device = Device(client, org["rep_e1"])
    device.pull()
    db.execute(sa.update(Lead).where(Lead.id == lead.id).values(stage="won"))
    db.commit()
    device.pull()  # the device has 'won' now, but its offline edit predates that
    cursor_before = device.cursor - 1
    pushed = {"id": lead.id, "stage": "contacted", "_status": "updated", "_changed": "stage"}
    device.push({"leads": {"updated": [pushed]}}, cursor=cursor_before)
    db.expire_all()
    assert db.get(Lead, lead.id).stage == "won"
    body = device.pull()
    assert [r["stage"] for r in body["changes"]["leads"]["updated"]] == ["won"]


def test_an_offline_claim_of_a_lead_claimed_first_by_someone_else_loses(client, db, org):
    device = Device(client, org["rep_e1"])
    device.pull()
    target = db.get(Lead, org.leads[2].id)
    pool.claim(db, principal_of(db, org["rep_e1b"]), lead=target)
    db.commit()
    me = str(org["rep_e1"].id)
    pushed = {"id": target.id, "owner_id": me, "_status": "updated", "_changed": "owner_id"}
    response = device.push({"leads": {"updated": [pushed]}})
    assert response.status_code == 200
    db.expire_all()
    assert db.get(Lead, target.id).owner_id == org["rep_e1b"].id


def test_a_visit_pushed_offline_is_checked_in_and_assessed_once(client, db, org):
    device = Device(client, org["rep_e1"])
    device.pull()
    lead = org.leads[0]
    captured = datetime.now(UTC) - timedelta(hours=3)
    millis = int(captured.timestamp() * 1000)
    visit = {
        "id": "offlinevisit0001",
        "lead_id": lead.id,
        "captured_at": millis,
        "captured_offline": True,
        "fix_lat": lead.lat + 0.0002,
        "fix_lon": lead.lon,
        "fix_accuracy_m": 15,
        "fix_time": millis - 5000,
        "fix_provider": "gps",
        "notes": "Met the owner",
        "_status": "created",
        "_changed": "",
    }
    assert device.push({"visits": {"created": [visit]}}).get_json() == {}
    assert device.push({"visits": {"created": [visit]}}).get_json() == {}
    stored = db.get(Visit, "offlinevisit0001")
    assert stored.verdict in ("verified", "unverified")
    assert stored.captured_offline
    body = device.pull()
    assert ids(body, "visits", "updated") == ["offlinevisit0001"]
    assert body["changes"]["visits"]["updated"][0]["verdict"] == stored.verdict


@pytest.mark.parametrize(
    "changes",
    [
        [],
        "text",
        {"leads": []},
        {"leads": {"created": {}}},
        {"leads": {"created": [{"no": "id"}]}},
        {"leads": {"deleted": [7]}},
    ],
)
def test_malformed_changes_are_a_422_and_change_nothing(client, db, org, changes):
    device = Device(client, org["rep_e1"])
    device.pull()
    before = db.scalar(sa.select(sa.func.count()).select_from(Lead))
    response = device.push(changes)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert db.scalar(sa.select(sa.func.count()).select_from(Lead)) == before


def test_read_only_tables_are_rejected_per_record(client, org):
    device = Device(client, org["rep_e1"])
    device.pull()
    changes = {"territories": {"updated": [{"id": "1", "name": "mine now", "_changed": "name"}]}}
    assert device.push(changes).get_json() == {"experimentalRejectedIds": {"territories": ["1"]}}


def test_team_lead_pulls_the_whole_subtree(client, org):
    body = Device(client, org["lead_east"]).pull()
    assert set(ids(body, "leads", "created")) == {lead.id for lead in org.leads} | {org.e2_lead.id}


def test_sync_needs_authentication(client):
    assert client.get("/api/v1/sync/pull").status_code == 401
    assert client.post("/api/v1/sync/push?last_pulled_at=1", json={}).status_code == 401
