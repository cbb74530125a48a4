"""Offline visits pushed in bulk: checked in together, as if one by one (app/visits/bulk)."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.leads.models import Lead
from app.org.models import LocationConsent
from app.visits import bulk
from app.visits.models import WRITTEN_COLUMNS, NewVisit, Visit
from tests.factories_geo import IN_E1, make_lead
from tests.sync.conftest import ALL_DAY
from tests.sync.devices import Device, findings_of, offline_visit


def test_visits_pushed_together_are_assessed_against_each_other(client, db, org):
    """A push assesses with history loaded once: later visits still see the earlier ones."""
    device = Device(client, org["rep_e1"])
    device.pull()
    at = datetime.now(UTC) - timedelta(hours=3)
    first = offline_visit("batchvisit0001", org.leads[0], at)
    # two minutes later, 55 km north: faster than any train
    second = offline_visit("batchvisit0002", org.leads[1], at + timedelta(minutes=2), north_deg=0.5)
    assert device.push({"visits": {"created": [first, second]}}).get_json() == {}
    assert "motion.impossible_speed" in findings_of(db, "batchvisit0002")


def test_a_batch_push_finds_what_separate_pushes_find(client, db, org):
    at = datetime.now(UTC) - timedelta(hours=5)
    visits = [
        offline_visit(f"sepvisit{i:04d}", org.leads[i % 3], at + timedelta(minutes=20 * i))
        for i in range(4)
    ]
    visits[2] = offline_visit(
        "sepvisit0002", org.leads[2], at + timedelta(minutes=22), north_deg=0.5
    )
    device = Device(client, org["rep_e1"], "device-0002")
    device.pull()
    for visit in visits:
        assert device.push({"visits": {"created": [visit]}}).get_json() == {}
    separately = [findings_of(db, v["id"]) for v in visits]
    db.execute(sa.delete(Visit).where(Visit.id.like("sepvisit%")))
    db.commit()
    together = Device(client, org["rep_e1"], "device-0003")
    together.pull()
    assert together.push({"visits": {"created": visits}}).get_json() == {}
    assert [findings_of(db, v["id"]) for v in visits] == separately
    assert any("motion.impossible_speed" in codes for codes in separately)


def test_a_push_logs_the_good_visits_and_refuses_the_rest_each_with_its_reason(client, db, org):
    rep = org["rep_e1"]
    mine_elsewhere = make_lead(db, IN_E1[0] + 0.002, IN_E1[1])
    mine_elsewhere.owner_id, mine_elsewhere.territory_id = rep.id, None  # left its territory
    db.commit()
    at = datetime.now(UTC) - timedelta(hours=2)
    other = Device(client, org["rep_e1b"], "device-0009")
    other.pull()
    taken = offline_visit("takenvisit000001", org.leads[0], at)
    assert other.push({"visits": {"created": [taken]}}).get_json() == {}
    good = offline_visit("goodvisit0000001", org.leads[0], at)
    closed = offline_visit("goodvisit0000002", org.leads[1], at + timedelta(minutes=40))
    closed["checked_out_at"] = closed["captured_at"] + 20 * 60_000
    visits = [
        good,
        offline_visit("badvisit00000001", org.e2_lead, at),  # another team's lead
        offline_visit("badvisit00000002", mine_elsewhere, at),
        {**offline_visit("badvisit00000003", org.leads[2], at), "fix_lat": 95.0},
        {**offline_visit("badvisit00000004", org.leads[2], at), "captured_at": "soon"},
        offline_visit("takenvisit000001", org.leads[0], at),
        closed,
        good,  # the same record twice: logged once
    ]
    device = Device(client, rep)
    device.pull()
    response = device.push({"visits": {"created": visits}})
    assert response.status_code == 200, response.get_json()
    refused = response.get_json()["experimentalRejectedIds"]["visits"]
    assert sorted(refused) == [
        "badvisit00000001",
        "badvisit00000002",
        "badvisit00000003",
        "badvisit00000004",
        "takenvisit000001",
    ]
    reasons = client.get("/api/v1/sync/rejections", headers=device.headers).get_json()
    assert {r["record_id"]: r["code"] for r in reasons} == {
        "badvisit00000001": "resource.not_found",
        "badvisit00000002": "out_of_territory",
        "badvisit00000003": "sync.invalid_record",
        "badvisit00000004": "sync.invalid_record",
        "takenvisit000001": "visit.id_taken",
    }
    db.expire_all()
    stored = db.scalars(sa.select(Visit).where(Visit.rep_id == rep.id)).all()
    assert sorted(v.id for v in stored) == ["goodvisit0000001", "goodvisit0000002"]
    assert db.get(Visit, "goodvisit0000002").checked_out_at is not None
    assert db.get(Visit, "takenvisit000001").rep_id == org["rep_e1b"].id
    body = device.pull()
    assert {r["id"] for r in body["changes"]["visits"]["updated"]} >= {
        "goodvisit0000001",
        "goodvisit0000002",
    }


def test_a_pushed_check_out_equals_checking_in_then_out(client, db, org):
    """Created with its check-out in one push, or checked out by a later push: same visit."""
    at = datetime.now(UTC) - timedelta(hours=2)
    out = int((at + timedelta(minutes=25)).timestamp() * 1000)
    device = Device(client, org["rep_e1"])
    device.pull()
    later = offline_visit("closedlater00001", org.leads[0], at)
    assert device.push({"visits": {"created": [later]}}).get_json() == {}
    assert device.push({"visits": {"created": [{**later, "checked_out_at": out}]}}).get_json() == {}
    at_once = offline_visit("closedatonce0001", org.leads[1], at + timedelta(hours=1))
    closing = {**at_once, "checked_out_at": out + 3_600_000}
    assert device.push({"visits": {"created": [closing]}}).get_json() == {}
    db.expire_all()
    first, second = db.get(Visit, "closedlater00001"), db.get(Visit, "closedatonce0001")
    assert first.checked_out_at == datetime.fromtimestamp(out / 1000, UTC)
    assert second.checked_out_at - second.captured_at == timedelta(minutes=25)
    assert (first.verdict, findings_of(db, first.id)) == (
        second.verdict,
        findings_of(db, second.id),
    )


def test_verified_visits_of_a_push_reset_the_leads_follow_up_clock(client, db, org):
    at = datetime.now(UTC) - timedelta(hours=3)
    visits = [
        offline_visit(f"clockvisit{i:06d}", org.leads[0], at + timedelta(hours=i)) for i in range(2)
    ]
    device = Device(client, org["rep_e1"])
    device.pull()
    assert device.push({"visits": {"created": visits}}).get_json() == {}
    db.expire_all()
    verified = db.scalars(
        sa.select(Visit.visited_at).where(
            Visit.lead_id == org.leads[0].id, Visit.verdict == "verified"
        )
    ).all()
    assert verified, "honest visits are verified"
    assert db.get(Lead, org.leads[0].id).last_verified_at == max(verified)


def test_a_batch_the_database_refuses_goes_in_one_by_one(client, db, org, monkeypatch):
    """Should the batch insert fail (the same id inserted concurrently), nothing of it stays and
    every visit is applied on its own, as before batching."""
    real = bulk.check_in_many

    def refused_once(*args, **kwargs):
        monkeypatch.setattr(bulk, "check_in_many", real)
        real(*args, **kwargs)
        raise sa.exc.IntegrityError("INSERT INTO visits", {}, Exception("duplicate key"))

    monkeypatch.setattr(bulk, "check_in_many", refused_once)
    at = datetime.now(UTC) - timedelta(hours=4)
    visits = [
        offline_visit(f"fallback{i:08d}", org.leads[i], at + timedelta(minutes=30 * i))
        for i in range(3)
    ]
    device = Device(client, org["rep_e1"])
    device.pull()
    assert device.push({"visits": {"created": visits}}).get_json() == {}
    db.expire_all()
    stored = db.scalars(sa.select(Visit.id).where(Visit.id.like("fallback%"))).all()
    assert sorted(stored) == [v["id"] for v in visits]
    body = device.pull()
    assert sorted(r["id"] for r in body["changes"]["visits"]["updated"]) == sorted(stored)


def test_a_push_sees_other_reps_replays_and_its_devices_uptime(client, db, org):
    """What the batch loads set-based still finds what one-by-one loading found: another rep
    at the same coordinates, evidence replayed inside the push, an uptime clock that jumped."""
    at = datetime.now(UTC) - timedelta(hours=2)
    precise = {"fix_accuracy_m": 5, "fix_lat": org.leads[0].lat + 0.00021234}
    rep_e1b = org["rep_e1b"]
    rep_e1b.working_hours, rep_e1b.timezone = ALL_DAY, "UTC"
    db.add(LocationConsent(staff_id=rep_e1b.id, document_version="v1", recorded_by_id=rep_e1b.id))
    db.commit()
    colleague = Device(client, org["rep_e1b"], "device-0007")
    colleague.pull()
    earlier = at - timedelta(minutes=1)
    first = {**offline_visit("colleague0000001", org.leads[0], earlier), **precise}
    assert colleague.push({"visits": {"created": [first]}}).get_json() == {}
    clocks = {"upload_elapsed_ms": 5_000_000, "upload_boot_count": 2, "device_id": "device-0001"}
    copied = {**offline_visit("copiedvisit00001", org.leads[0], at), **precise, **clocks}
    replayed = {**copied, "id": "copiedvisit00002", "notes": "same evidence, new id"}
    device = Device(client, org["rep_e1"])
    device.pull()
    assert device.push({"visits": {"created": [copied, replayed]}}).get_json() == {}
    assert "place.shared_coordinates" in findings_of(db, "copiedvisit00001")
    assert "replay.payload" in findings_of(db, "copiedvisit00002")
    original = db.get(Visit, "copiedvisit00002").findings
    assert {"original_visit_id": "copiedvisit00001"} in [f["data"] for f in original]
    ten_hours_on = {**clocks, "upload_elapsed_ms": 5_000_000 + 36_000_000}
    jumped = {**offline_visit("jumpedclock00001", org.leads[1], at), **ten_hours_on}
    assert device.push({"visits": {"created": [jumped]}}).get_json() == {}
    assert "clock.uptime_mismatch" in findings_of(db, "jumpedclock00001")


def test_what_a_pushed_visit_leaves_empty_is_sql_null(client, db, org):
    """The batch insert names every column: an empty JSON column must be NULL, not 'null'."""
    device = Device(client, org["rep_e1"])
    device.pull()
    visit = offline_visit("emptycolumns0001", org.leads[0], datetime.now(UTC) - timedelta(hours=1))
    assert device.push({"visits": {"created": [visit]}}).get_json() == {}
    row = db.execute(
        sa.text(
            "SELECT checkout_fix IS NULL, checked_out_at IS NULL, review_verdict IS NULL, "
            "checkin_fix IS NULL, col_versions IS NULL FROM visits WHERE id = :id"
        ),
        {"id": visit["id"]},
    ).one()
    assert tuple(row) == (True, True, True, False, False)


def test_a_pushed_visit_stores_its_values_exactly(client, db, org):
    """The batch insert (COPY on PostgreSQL) keeps text, times, JSON and the point as given."""
    device = Device(client, org["rep_e1"])
    device.pull()
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    notes = "line one\nline two\ttabbed \\N back\\slash \"quoted\" 'single' 漢字 ,;|"
    visit = {**offline_visit("exactvalues00001", org.leads[0], at), "notes": notes}
    assert device.push({"visits": {"created": [visit]}}).get_json() == {}
    db.expire_all()
    stored = db.get(Visit, visit["id"])
    assert stored.notes == notes
    assert (stored.lat, stored.lon) == (visit["fix_lat"], visit["fix_lon"])
    assert stored.captured_at == at
    assert stored.fix_time == at - timedelta(seconds=5)
    assert stored.checkin_fix["lat"] == visit["fix_lat"]
    assert stored.evidence == {"series": [], "wifi_bssids": [], "cell_ids": []}
    point = db.execute(
        sa.select(
            sa.func.ST_X(Visit.geom), sa.func.ST_Y(Visit.geom), sa.func.ST_SRID(Visit.geom)
        ).where(Visit.id == visit["id"])
    ).one()
    assert tuple(point) == (visit["fix_lon"], visit["fix_lat"], 4326)


def _as_new(stored, **changes):
    """A stored visit as the bulk insert takes it, with `changes`."""
    return NewVisit(**{**{c.key: getattr(stored, c.key) for c in WRITTEN_COLUMNS}, **changes})


def test_the_batch_insert_reports_a_taken_id_as_an_integrity_error(client, db, org):
    """What the fallback to one by one catches, on both backends (COPY raises the driver's)."""
    device = Device(client, org["rep_e1"])
    device.pull()
    visit = offline_visit("takenbatchid0001", org.leads[0], datetime.now(UTC) - timedelta(hours=1))
    assert device.push({"visits": {"created": [visit]}}).get_json() == {}
    again = _as_new(db.get(Visit, visit["id"]))
    with pytest.raises(sa.exc.IntegrityError), db.begin_nested():
        bulk._insert(db, [again])
    assert db.scalar(sa.select(sa.func.count()).where(Visit.id == visit["id"])) == 1


@pytest.mark.postgres_only
def test_any_other_refusal_of_the_copy_is_sqlalchemys_error_too(client, db, org):
    """COPY speaks to the driver directly; what the database refuses still arrives as the
    SQLAlchemy error an INSERT raises (a lost connection: OperationalError, a 503)."""
    device = Device(client, org["rep_e1"])
    device.pull()
    visit = offline_visit("copydataerror001", org.leads[0], datetime.now(UTC) - timedelta(hours=1))
    assert device.push({"visits": {"created": [visit]}}).get_json() == {}
    too_long = _as_new(db.get(Visit, visit["id"]), id="copydataerror002", outcome="x" * 41)
    with pytest.raises(sa.exc.DataError), db.begin_nested():
        bulk._insert(db, [too_long])
    assert db.get(Visit, "copydataerror002") is None
