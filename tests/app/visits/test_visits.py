"""Visits: check-in and check-out, the location gate, verdicts and the lead clock, review, scope.

API tests run on the real clock (the view passes no `now`); tests about particular moments
call the service with an explicit `now`, through `CheckInSchema` exactly as the view does.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa

from app.db import utcnow
from app.demo import load_demo
from app.leads.models import Lead
from app.org.models import DEFAULT_WORKING_HOURS, LocationConsent
from app.visits import service
from app.visits.models import Visit, VisitReview
from app.visits.schemas import CheckInSchema, CheckOutSchema
from geo import datums
from geo.distance import haversine_m
from tests.app.auth.helpers import assert_problem
from tests.app.visits.conftest import PHONE
from tests.factories import auth_header, make_staff
from tests.factories_geo import IN_E1, IN_E2, IN_W, OUTSIDE, at, make_lead, principal_of

URL = "/api/v1/visits"
SHANGHAI = timezone(timedelta(hours=8))
M_PER_DEG = 111_195.0
_jitter = itertools.count(1)
LOCATION_COLUMNS = (
    "lat",
    "lon",
    "geom",
    "raw_lat",
    "raw_lon",
    "datum",
    "accuracy_m",
    "fix_time",
    "checkin_fix",
    "checkout_fix",
    "evidence",
    "payload_hash",
    "capture_elapsed_ms",
    "capture_boot_count",
    "upload_elapsed_ms",
    "upload_boot_count",
)


# -- arranging ---------------------------------------------------------------------------------


def iso(moment: datetime) -> str:
    """Device times as a Shanghai phone writes them."""
    return moment.astimezone(SHANGHAI).isoformat()


def offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    return lat + north_m / M_PER_DEG, lon + east_m / (M_PER_DEG * math.cos(math.radians(lat)))


def near(lead: Lead, north_m: float = 25.0, east_m: float = 10.0) -> tuple[float, float]:
    """A point about this far from the customer, never the same twice (real fixes jitter)."""
    k = next(_jitter)
    return offset(lead.lat, lead.lon, north_m + 0.137 * k, east_m + 0.071 * k)


def a_fix(lat: float, lon: float, taken: datetime, **extra: Any) -> dict[str, Any]:
    """A good GPS fix taken a few seconds before `taken`."""
    return {
        "lat": lat,
        "lon": lon,
        "accuracy_m": 8.0,
        "provider": "gps",
        "satellites": 14,
        "fix_time": iso(taken - timedelta(seconds=4)),
        **extra,
    }


def body(
    visit_id: str,
    lead: Lead,
    captured: datetime | None = None,
    *,
    sent: datetime | None = None,
    where: tuple[float, float] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An honest check-in 27 m from the customer, captured at `captured`, sent at `sent`."""
    captured = captured or utcnow() - timedelta(seconds=5)
    sent = sent or captured + timedelta(seconds=3)
    lat, lon = where or near(lead)
    return {
        "id": visit_id,
        "lead_id": lead.id,
        "device_id": PHONE,
        "captured_at": iso(captured),
        "upload_device_time": iso(sent),
        "fix": a_fix(lat, lon, captured),
        "notes": "Met the buyer, left samples.",
        "outcome": "interested",
        "next_step": "Call back on Friday",
        **extra,
    }


def check_in(db, staff, payload: dict[str, Any], now: datetime | None = None) -> Visit:
    """The service as the view calls it, at `now` (default: when the phone sent it)."""
    now = now or datetime.fromisoformat(payload["upload_device_time"])
    visit_in = CheckInSchema().load(payload)
    visit, _ = service.check_in(db, principal_of(db, staff), visit_in=visit_in, now=now)
    return visit


def check_out(db, staff, visit_id: str, payload: dict[str, Any], now: datetime) -> Visit:
    checkout_in = CheckOutSchema().load(payload)
    return service.check_out(
        db, principal_of(db, staff), visit_id=visit_id, checkout_in=checkout_in, now=now
    )


def codes(visit: dict[str, Any] | Visit) -> set[str]:
    findings = visit["findings"] if isinstance(visit, dict) else visit.findings
    return {f["code"] for f in findings}


def count(db) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(Visit))


def stored_location(db, visit_id: str) -> dict[str, Any]:
    """The location columns of a visit row exactly as the database holds them."""
    columns = ", ".join(LOCATION_COLUMNS)
    row = db.execute(
        sa.text(f"SELECT {columns} FROM visits WHERE id = :id"),  # noqa: S608 (our names)
        {"id": visit_id},
    )
    return dict(row.mappings().one())


def owned_lead(db, rep, where=IN_E1, days_ago: int = 20) -> Lead:
    """A lead `rep` claimed `days_ago` days ago, protected for the default 30 days."""
    claimed = utcnow() - timedelta(days=days_ago)
    return make_lead(
        db, *where, owner=rep, claimed_at=claimed, protected_until=claimed + timedelta(days=30)
    )


# -- check-in ----------------------------------------------------------------------------------


def test_a_check_in_is_stamped_with_the_reps_node_and_the_leads_territory(client, db, org, headers):
    lead = make_lead(db, *IN_E1)

    response = client.post(URL, json=body("v-1", lead), headers=headers(org["rep_e1"]))

    assert response.status_code == 201, response.get_json()
    visit = response.get_json()
    assert visit["rep_id"] == org["rep_e1"].id and visit["lead_id"] == lead.id
    assert visit["org_node_id"] == org["e1"].id
    assert visit["territory_id"] == org["t_e1"].id
    assert visit["device_id"] == PHONE
    assert visit["verdict"] == "verified" and visit["findings"] == [] and visit["score"] == 100
    assert visit["location_collected"] is True and visit["location_not_collected"] is None
    row = db.get(Visit, "v-1")
    assert row.org_node_id == org["e1"].id and row.territory_id == org["t_e1"].id
    assert row.notes == "Met the buyer, left samples." and row.next_step == "Call back on Friday"
    assert row.geom is not None and row.payload_hash is not None


def test_without_a_device_id_the_tokens_device_is_the_evidence(client, db, org, headers):
    lead = make_lead(db, *IN_E1)
    payload = body("v-1", lead)
    del payload["device_id"]

    visit = client.post(URL, json=payload, headers=headers(org["rep_e1"])).get_json()

    assert visit["device_id"] == PHONE and visit["verdict"] == "verified"


def test_a_retried_check_in_answers_200_with_the_same_body(client, db, org, headers):
    lead = make_lead(db, *IN_E1)
    payload = body("v-1", lead)
    first = client.post(URL, json=payload, headers=headers(org["rep_e1"]))

    again = client.post(URL, json=payload, headers=headers(org["rep_e1"]))

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert count(db) == 1


def test_another_rep_reusing_a_visit_id_is_a_conflict(client, db, org, headers):
    lead = make_lead(db, *IN_E1)
    assert (
        client.post(URL, json=body("v-1", lead), headers=headers(org["rep_e1"])).status_code == 201
    )

    response = client.post(URL, json=body("v-1", lead), headers=headers(org["rep_e1b"]))

    assert_problem(response, 409, "visit.id_taken")
    assert db.get(Visit, "v-1").rep_id == org["rep_e1"].id


def test_a_lead_outside_the_reps_territories_is_forbidden(client, db, org, headers):
    # the rep's own lead, left outside every territory when the map was redrawn
    lead = make_lead(db, *OUTSIDE, owner=org["rep_e1"])
    lead.org_node_id = org["e1"].id
    db.flush()

    by_rep = client.post(URL, json=body("v-1", lead), headers=headers(org["rep_e1"]))
    by_lead = client.post(URL, json=body("v-2", lead), headers=headers(org["lead_e1"]))

    assert_problem(by_rep, 403, "out_of_territory")
    assert_problem(by_lead, 403, "out_of_territory")
    assert count(db) == 0


@pytest.mark.parametrize(
    ("who", "where"), [("rep_e1", IN_W), ("rep_e1", IN_E2), ("lead_e2", IN_E1)]
)
def test_a_lead_in_another_region_or_team_is_not_found(client, db, org, headers, who, where):
    lead = make_lead(db, *where)

    response = client.post(URL, json=body("v-1", lead), headers=headers(org[who]))

    assert_problem(response, 404)
    assert count(db) == 0


def test_another_reps_lead_is_not_found(client, db, org, headers):
    lead = make_lead(db, *IN_E1, owner=org["rep_e1b"])

    response = client.post(URL, json=body("v-1", lead), headers=headers(org["rep_e1"]))

    assert_problem(response, 404)


@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
def test_a_chinese_datum_fix_is_stored_as_wgs84_with_the_raw_values(
    client, db, org, headers, datum
):
    lead = make_lead(db, *IN_E1)
    wgs = near(lead)
    raw = datums.from_wgs84(*wgs, datum)
    payload = body("v-1", lead, where=raw)
    payload["fix"]["datum"] = datum

    visit = client.post(URL, json=payload, headers=headers(org["rep_e1"])).get_json()

    assert (visit["raw_lat"], visit["raw_lon"], visit["datum"]) == (*raw, datum)
    assert haversine_m(visit["lat"], visit["lon"], *wgs) < 0.01
    assert visit["verdict"] == "verified" and codes(visit) == set()
    row = db.get(Visit, "v-1")
    assert row.checkin_fix["raw_lat"] == raw[0] and row.checkin_fix["datum"] == datum
    assert haversine_m(row.checkin_fix["lat"], row.checkin_fix["lon"], *wgs) < 0.01


def test_gcj02_labelled_wgs84_is_explained_not_punished(client, db, org, headers):
    lead = make_lead(db, *IN_E1)
    raw = datums.from_wgs84(*near(lead, 5, 5), "gcj02")  # an old app build, Amap SDK

    visit = client.post(
        URL, json=body("v-1", lead, where=raw), headers=headers(org["rep_e1"])
    ).get_json()

    assert (visit["raw_lat"], visit["raw_lon"], visit["datum"]) == (*raw, "wgs84")
    assert codes(visit) == {"place.datum_mismatch"}
    assert visit["verdict"] == "verified"


# -- the location gate -------------------------------------------------------------------------


def full_evidence(visit_id: str, lead: Lead, captured: datetime | None = None) -> dict[str, Any]:
    """A check-in carrying every kind of location evidence the app can send."""
    payload = body(visit_id, lead, captured)
    taken = datetime.fromisoformat(payload["captured_at"])
    payload.update(
        capture_elapsed_ms=5_000_000,
        capture_boot_count=7,
        upload_elapsed_ms=5_003_000,
        upload_boot_count=7,
        series=[a_fix(*near(lead), taken - timedelta(seconds=s)) for s in (10, 20)],
        wifi_bssids=["a4:2b:b0:11:22:33"],
        cell_ids=["460-00-6173-21001"],
    )
    return payload


def assert_not_collected(db, response, reason: str) -> dict[str, Any]:
    assert response.status_code == 201, response.get_json()
    visit = response.get_json()
    assert visit["location_not_collected"] == {"code": "location_not_collected", "reason": reason}
    assert visit["location_collected"] is False
    assert visit["verdict"] == "unverified" and codes(visit) == {"location_not_collected"}
    assert visit["lat"] is None and visit["raw_lat"] is None and visit["accuracy_m"] is None
    row = stored_location(db, visit["id"])
    assert row == dict.fromkeys(LOCATION_COLUMNS), row
    return visit


def test_without_consent_nothing_about_location_is_stored(client, db, org, headers):
    rep = make_staff(db, org["e1"], timezone="Asia/Shanghai")
    rep.working_hours = org["rep_e1"].working_hours
    lead = make_lead(db, *IN_E1)

    response = client.post(URL, json=full_evidence("v-1", lead), headers=auth_header(client, rep))

    visit = assert_not_collected(db, response, "no_location_consent")
    assert visit["notes"] == "Met the buyer, left samples." and visit["lead_id"] == lead.id


def test_withdrawn_consent_stops_collection_from_the_next_visit(client, db, org, headers):
    lead = make_lead(db, *IN_E1)
    rep = headers(org["rep_e1"])
    before = client.post(URL, json=body("v-1", lead), headers=rep)

    assert client.delete("/api/v1/me/location-consent", headers=rep).status_code == 204
    after = client.post(URL, json=full_evidence("v-2", lead), headers=rep)

    assert_not_collected(db, after, "no_location_consent")
    assert before.get_json()["location_collected"] is True
    assert stored_location(db, "v-1")["lat"] is not None
    withdrawn = db.scalars(sa.select(LocationConsent.withdrawn_at)).all()
    assert any(withdrawn)


def test_outside_working_hours_nothing_about_location_is_stored(client, db, org, headers):
    org["rep_e1"].working_hours = {}  # on leave all week
    lead = make_lead(db, *IN_E1)

    response = client.post(URL, json=full_evidence("v-1", lead), headers=headers(org["rep_e1"]))

    assert_not_collected(db, response, "outside_working_hours")


@pytest.mark.parametrize(
    ("moment", "collected"),
    [
        ("2026-11-23 00:59:59", False),  # Monday 08:59:59 in Shanghai
        ("2026-11-23 01:00:00", True),  # 09:00 sharp: the span starts
        ("2026-11-23 09:59:59", True),
        ("2026-11-23 10:00:00", False),  # 18:00 sharp: the span [09:00, 18:00) has ended
        ("2026-11-28 03:00:00", False),  # Saturday 11:00
    ],
)
def test_working_hours_are_read_in_the_reps_time_zone(db, org, moment, collected):
    rep = org["rep_e1"]
    rep.working_hours = dict(DEFAULT_WORKING_HOURS)
    lead = make_lead(db, *IN_E1)

    visit = check_in(db, rep, full_evidence("v-1", lead, at(moment)))

    assert visit.location_collected is collected
    expected = None if collected else "outside_working_hours"
    assert visit.location_not_collected_reason == expected
    assert (stored_location(db, "v-1")["lat"] is not None) is collected


def test_the_same_instant_is_working_time_in_berlin_but_evening_in_shanghai(db, org):
    lead = make_lead(db, *IN_E1)
    shanghai, berlin = org["rep_e1"], org["rep_e1b"]
    for rep in (shanghai, berlin):
        rep.working_hours = dict(DEFAULT_WORKING_HOURS)
    berlin.timezone = "Europe/Berlin"
    moment = at("2026-11-23 10:30")  # 18:30 in Shanghai, 11:30 in Berlin

    late = check_in(db, shanghai, body("v-1", lead, moment))
    early = check_in(db, berlin, body("v-2", lead, moment))

    assert late.location_not_collected_reason == "outside_working_hours"
    assert early.location_collected is True


def test_the_gate_reads_the_corrected_capture_time_not_the_phone_clock(db, org):
    rep = org["rep_e1"]
    rep.working_hours = dict(DEFAULT_WORKING_HOURS)
    lead = make_lead(db, *IN_E1)
    real = at("2026-11-23 11:00")  # 19:00 in Shanghai
    phone_clock = real - timedelta(hours=2)  # set back to look like 17:00

    visit = check_in(db, rep, body("v-1", lead, phone_clock), now=real + timedelta(seconds=3))

    assert visit.visited_at == real
    assert visit.location_not_collected_reason == "outside_working_hours"


# -- verdicts and the lead's recycle clock -----------------------------------------------------


def test_an_honest_visit_is_verified_and_moves_the_leads_clock(client, db, org, headers):
    lead = owned_lead(db, org["rep_e1"])
    protected = lead.protected_until

    response = client.post(URL, json=body("v-1", lead), headers=headers(org["rep_e1"]))

    assert response.get_json()["verdict"] == "verified"
    db.expire_all()
    visited = db.get(Visit, "v-1").visited_at
    assert lead.last_verified_at == visited
    assert lead.protected_until == visited + timedelta(days=15) > protected


def test_a_mock_location_is_rejected_and_the_clock_stays(client, db, org, headers):
    lead = owned_lead(db, org["rep_e1"])
    protected = lead.protected_until
    payload = body("v-1", lead)
    payload["fix"]["is_mock"] = True

    visit = client.post(URL, json=payload, headers=headers(org["rep_e1"])).get_json()

    assert visit["verdict"] == "rejected" and "fix.mock" in codes(visit)
    assert visit["score"] == 0
    db.expire_all()
    assert lead.last_verified_at is None and lead.protected_until == protected


def test_a_replayed_payload_under_a_new_id_is_rejected(db, org):
    lead = owned_lead(db, org["rep_e1"])
    captured = utcnow() - timedelta(days=2)
    original = body("v-1", lead, captured)
    check_in(db, org["rep_e1"], original)

    replay = check_in(db, org["rep_e1"], {**original, "id": "v-2"}, captured + timedelta(days=1))

    assert replay.verdict == "rejected" and "replay.payload" in codes(replay)
    assert lead.last_verified_at == db.get(Visit, "v-1").visited_at


def test_a_replay_rewritten_in_another_offset_with_nulls_is_still_a_replay(db, org):
    lead = make_lead(db, *IN_E1)
    captured = utcnow() - timedelta(days=2)
    original = body("v-1", lead, captured)
    check_in(db, org["rep_e1"], original)
    fix = {**original["fix"], "altitude_m": None, "speed_mps": None}
    fix["fix_time"] = datetime.fromisoformat(fix["fix_time"]).astimezone(UTC).isoformat()
    rewritten = {**original, "id": "v-2", "fix": fix, "captured_at": captured.isoformat()}

    replay = check_in(db, org["rep_e1"], rewritten, captured + timedelta(days=1))

    assert replay.payload_hash == db.get(Visit, "v-1").payload_hash
    assert "replay.payload" in codes(replay)


def test_an_unverified_visit_does_not_move_the_clock(client, db, org, headers):
    lead = owned_lead(db, org["rep_e1"])
    payload = body("v-1", lead, fix=None)  # GPS blocked in the basement

    visit = client.post(URL, json=payload, headers=headers(org["rep_e1"])).get_json()

    assert visit["verdict"] == "unverified" and codes(visit) == {"fix.missing"}
    db.expire_all()
    assert lead.last_verified_at is None


def test_a_visit_for_rep_a_from_rep_bs_phone_is_a_device_finding(client, db, org, headers):
    lead = make_lead(db, *IN_E1)
    auth_header(client, org["rep_e1b"], "phone-of-b")  # binds the phone to rep B

    visit = client.post(
        URL, json=body("v-1", lead, device_id="phone-of-b"), headers=headers(org["rep_e1"])
    ).get_json()

    assert codes(visit) == {"device.unbound"}
    (finding,) = visit["findings"]
    assert finding["severity"] == "high"
    assert finding["data"] == {"device_id": "phone-of-b", "device_reps": str(org["rep_e1b"].id)}
    assert visit["verdict"] == "suspicious"


# -- review ------------------------------------------------------------------------------------


def far_visit(client, headers, rep, lead, visit_id: str = "v-1") -> dict[str, Any]:
    """A check-in 2.5 km from the customer: suspicious."""
    payload = body(visit_id, lead, where=offset(lead.lat, lead.lon, 2_500, 0))
    visit = client.post(URL, json=payload, headers=headers(rep)).get_json()
    assert visit["verdict"] == "suspicious" and codes(visit) == {"place.far_from_customer"}
    return visit


def review(client, headers, staff, visit_id: str, verdict: str, comment: str = "Checked it."):
    return client.post(
        f"{URL}/{visit_id}/review",
        json={"verdict": verdict, "comment": comment},
        headers=headers(staff),
    )


def test_a_team_lead_overturns_and_confirms_with_an_audit_trail(client, db, org, headers):
    lead = owned_lead(db, org["rep_e1"])
    far_visit(client, headers, org["rep_e1"], lead)

    overturned = review(client, headers, org["lead_e1"], "v-1", "verified", "Called the shop.")
    confirmed = review(client, headers, org["lead_east"], "v-1", "verified", "Agree.")

    assert overturned.status_code == 200, overturned.get_json()
    visit = confirmed.get_json()
    assert visit["verdict"] == "verified" and visit["auto_verdict"] == "suspicious"
    assert visit["review_verdict"] == "verified" and visit["review_comment"] == "Agree."
    assert visit["reviewed_by_id"] == org["lead_east"].id
    trail = db.scalars(sa.select(VisitReview).order_by(VisitReview.id)).all()
    assert [(r.reviewer_id, r.from_verdict, r.to_verdict, r.comment) for r in trail] == [
        (org["lead_e1"].id, "suspicious", "verified", "Called the shop."),
        (org["lead_east"].id, "verified", "verified", "Agree."),
    ]
    listed = client.get(f"{URL}/v-1/review", headers=headers(org["rep_e1"])).get_json()
    assert [r["comment"] for r in listed] == ["Called the shop.", "Agree."]
    db.expire_all()  # the overturned visit now counts as the rep's follow-up
    assert lead.last_verified_at == db.get(Visit, "v-1").visited_at


def test_a_rep_cannot_review_and_a_sibling_team_lead_cannot_see(client, db, org, headers):
    far_visit(client, headers, org["rep_e1"], make_lead(db, *IN_E1))

    by_rep = review(client, headers, org["rep_e1b"], "v-1", "verified")
    by_sibling = review(client, headers, org["lead_e2"], "v-1", "verified")
    by_other_region = review(client, headers, org["lead_w"], "v-1", "rejected")
    trail = client.get(f"{URL}/v-1/review", headers=headers(org["lead_e2"]))

    assert_problem(by_rep, 403)
    assert_problem(by_sibling, 404)
    assert_problem(by_other_region, 404)
    assert_problem(trail, 404)
    assert db.scalar(sa.select(sa.func.count()).select_from(VisitReview)) == 0
    db.expire_all()
    assert db.get(Visit, "v-1").review_verdict is None


def test_a_team_lead_cannot_review_their_own_visit(client, db, org, headers):
    far_visit(client, headers, org["lead_e1"], make_lead(db, *IN_E1))

    assert_problem(review(client, headers, org["lead_e1"], "v-1", "verified"), 403)
    assert review(client, headers, org["lead_east"], "v-1", "verified").status_code == 200


@pytest.mark.parametrize(
    "payload",
    [{"verdict": "fine", "comment": "ok ok"}, {"verdict": "verified", "comment": ""}, {}],
)
def test_a_review_needs_a_verdict_and_a_comment(client, db, org, headers, payload):
    far_visit(client, headers, org["rep_e1"], make_lead(db, *IN_E1))

    response = client.post(f"{URL}/v-1/review", json=payload, headers=headers(org["lead_e1"]))

    assert_problem(response, 422, "request.validation")


def test_overturning_a_verified_visit_moves_the_leads_clock_back(client, db, org, headers):
    rep = org["rep_e1"]
    lead = owned_lead(db, rep)
    first = utcnow() - timedelta(days=3)
    check_in(db, rep, body("v-1", lead, first))
    check_in(db, rep, body("v-2", lead, first + timedelta(days=2)))
    assert lead.last_verified_at == first + timedelta(days=2)

    review(client, headers, org["lead_e1"], "v-2", "rejected", "Photo is from last month.")
    db.expire_all()
    assert lead.last_verified_at == first

    review(client, headers, org["lead_e1"], "v-1", "rejected", "Same story.")
    db.expire_all()
    assert lead.last_verified_at is None


def test_a_moved_rep_leaves_past_visits_with_the_old_team(client, db, org, headers):
    rep = org["rep_e1"]
    west_of_border, east_of_border = (31.25, 121.4495), (31.25, 121.4505)  # E1 | E2, 95 m
    client.post(URL, json=body("v-old", make_lead(db, *west_of_border)), headers=headers(rep))
    rep.org_node_id = org["e2"].id  # moved to the sibling team
    db.flush()

    new = client.post(URL, json=body("v-new", make_lead(db, *east_of_border)), headers=headers(rep))

    assert new.status_code == 201 and new.get_json()["org_node_id"] == org["e2"].id
    assert db.get(Visit, "v-old").org_node_id == org["e1"].id
    for lead_key, sees, hidden in [("lead_e1", "v-old", "v-new"), ("lead_e2", "v-new", "v-old")]:
        team_lead = headers(org[lead_key])
        assert client.get(f"{URL}/{sees}", headers=team_lead).status_code == 200
        assert_problem(client.get(f"{URL}/{hidden}", headers=team_lead), 404)
        listed = client.get(URL, headers=team_lead).get_json()
        assert [v["id"] for v in listed["items"]] == [sees]
    mine = client.get(URL, headers=headers(rep)).get_json()
    assert {v["id"] for v in mine["items"]} == {"v-old", "v-new"}


# -- check-out ---------------------------------------------------------------------------------


def checkout_body(captured: datetime, where: tuple[float, float] | None, **extra: Any):
    payload: dict[str, Any] = {"captured_at": iso(captured), **extra}
    if where is not None:
        payload["fix"] = a_fix(*where, captured)
    return payload


def test_check_out_is_idempotent_and_a_different_one_conflicts(client, db, org, headers):
    lead = make_lead(db, *IN_E1)
    captured = utcnow() - timedelta(minutes=10)
    rep = headers(org["rep_e1"])
    client.post(URL, json=body("v-1", lead, captured, sent=utcnow()), headers=rep)
    out = checkout_body(captured + timedelta(minutes=5), near(lead), outcome="ordered")

    first = client.post(f"{URL}/v-1/checkout", json=out, headers=rep)
    again = client.post(f"{URL}/v-1/checkout", json=out, headers=rep)
    other = checkout_body(captured + timedelta(minutes=6), near(lead))
    conflict = client.post(f"{URL}/v-1/checkout", json=other, headers=rep)

    assert first.status_code == 200, first.get_json()
    visit = first.get_json()
    assert visit["verdict"] == "verified" and codes(visit) == set()
    assert visit["outcome"] == "ordered" and visit["notes"] == "Met the buyer, left samples."
    assert again.status_code == 200 and again.get_json() == visit
    assert_problem(conflict, 409, "visit.already_checked_out")
    db.expire_all()
    assert db.get(Visit, "v-1").checked_out_at == captured + timedelta(minutes=5)
    assert db.get(Visit, "v-1").checkout_fix["lat"] == out["fix"]["lat"]


def test_check_out_reassesses_a_drive_by(db, org):
    rep = org["rep_e1"]
    lead = make_lead(db, *IN_E1)
    captured = at("2026-11-23 03:00")
    check_in(db, rep, body("v-1", lead, captured))
    away = offset(lead.lat, lead.lon, 0, 900)

    out = checkout_body(captured + timedelta(seconds=40), away)

    visit = check_out(db, rep, "v-1", out, now=captured + timedelta(seconds=45))

    assert codes(visit) == {"dwell.too_short", "dwell.checkout_far"}
    assert visit.score == 60 and visit.verdict == "verified"  # two medium findings
    dwell = next(f for f in visit.findings if f["code"] == "dwell.too_short")
    assert dwell["data"] == {"dwell_s": 40.0, "limit_s": 120.0}


def test_check_out_before_check_in_is_suspicious(db, org):
    rep = org["rep_e1"]
    captured = at("2026-11-23 03:00")
    check_in(db, rep, body("v-1", make_lead(db, *IN_E1), captured))

    out = checkout_body(captured - timedelta(minutes=5), None)

    visit = check_out(db, rep, "v-1", out, now=captured + timedelta(minutes=1))

    assert codes(visit) == {"dwell.negative"} and visit.verdict == "suspicious"


def test_only_the_rep_who_checked_in_checks_out(client, db, org, headers):
    client.post(URL, json=body("v-1", make_lead(db, *IN_E1)), headers=headers(org["rep_e1"]))
    out = checkout_body(utcnow(), None)

    by_peer = client.post(f"{URL}/v-1/checkout", json=out, headers=headers(org["rep_e1b"]))
    by_lead = client.post(f"{URL}/v-1/checkout", json=out, headers=headers(org["lead_e1"]))

    assert_problem(by_peer, 404)
    assert_problem(by_lead, 403)
    db.expire_all()
    assert db.get(Visit, "v-1").checked_out_at is None


def test_check_out_without_consent_stores_no_fix(client, db, org, headers):
    rep = make_staff(db, org["e1"], timezone="Asia/Shanghai")
    rep.working_hours = org["rep_e1"].working_hours
    lead = make_lead(db, *IN_E1)
    rep_headers = auth_header(client, rep)
    client.post(URL, json=body("v-1", lead), headers=rep_headers)

    out = client.post(
        f"{URL}/v-1/checkout", json=checkout_body(utcnow(), near(lead)), headers=rep_headers
    )

    assert out.status_code == 200 and out.get_json()["verdict"] == "unverified"
    assert stored_location(db, "v-1") == dict.fromkeys(LOCATION_COLUMNS)


# -- reading -----------------------------------------------------------------------------------


def test_suspicious_visits_are_listed_in_the_team_leads_subtree(client, db, org, headers):
    far_visit(client, headers, org["rep_e1"], make_lead(db, *IN_E1), "v-e1")
    far_visit(client, headers, org["rep_e2"], make_lead(db, *IN_E2), "v-e2")
    far_visit(client, headers, org["rep_w"], make_lead(db, *IN_W), "v-w")
    client.post(URL, json=body("v-ok", make_lead(db, *IN_E1)), headers=headers(org["rep_e1b"]))

    def listed(who: str) -> set[str]:
        response = client.get(f"{URL}/suspicious", headers=headers(org[who]))
        assert response.status_code == 200, response.get_json()
        return {v["id"] for v in response.get_json()}

    assert listed("lead_e1") == {"v-e1"}
    assert listed("lead_east") == {"v-e1", "v-e2"}
    assert listed("admin") == {"v-e1", "v-e2", "v-w"}
    assert_problem(client.get(f"{URL}/suspicious", headers=headers(org["rep_e1"])), 403)
    review(client, headers, org["lead_e1"], "v-e1", "rejected", "Not there.")
    assert listed("lead_east") == {"v-e2"}


def test_visits_are_filtered_by_time_verdict_and_rep(client, db, org, headers):
    lead = make_lead(db, *IN_E1)
    monday = at("2026-11-23 02:00")
    for day, (rep, mock) in enumerate(
        [("rep_e1", False), ("rep_e1", True), ("rep_e1b", False), ("rep_e1", False)]
    ):
        payload = body(f"v-{day}", lead, monday + timedelta(days=day))
        payload["fix"]["is_mock"] = mock
        check_in(db, org[rep], payload)

    def ids(who: str = "lead_e1", **query: Any) -> list[str]:
        response = client.get(URL, query_string=query, headers=headers(org[who]))
        assert response.status_code == 200, response.get_json()
        page = response.get_json()
        assert page["total"] == (4 if "limit" in query else len(page["items"]))
        return [v["id"] for v in page["items"]]

    assert ids() == ["v-3", "v-2", "v-1", "v-0"]
    tuesday, thursday = iso(monday + timedelta(days=1)), iso(monday + timedelta(days=3))
    assert ids(**{"from": tuesday, "to": thursday}) == ["v-2", "v-1"]  # `to` is exclusive
    assert ids(verdict="rejected") == ["v-1"]
    assert ids(verdict="verified", rep_id=org["rep_e1"].id) == ["v-3", "v-0"]
    assert ids(rep_id=org["rep_e1b"].id) == ["v-2"]
    assert ids("rep_e1") == ["v-3", "v-1", "v-0"]
    assert ids("rep_e1", rep_id=org["rep_e1b"].id) == []
    assert ids("lead_e2") == []
    assert ids(limit=2, offset=1) == ["v-2", "v-1"]


@pytest.mark.parametrize(
    "query", [{"from": "2026-11-23T10:00:00"}, {"verdict": "fine"}, {"rep_id": 0}, {"limit": 501}]
)
def test_bad_list_filters_are_refused(client, org, headers, query):
    response = client.get(URL, query_string=query, headers=headers(org["lead_e1"]))

    assert_problem(response, 422, "request.validation")


# -- bad input ---------------------------------------------------------------------------------


def _set(path: str, value: Any):
    def mutate(payload: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = payload
        for key in parents:
            target = target[key]
        target[last] = value

    return mutate


def _drop(key: str):
    return lambda payload: payload.pop(key)


BAD_INPUT = {
    "lat NaN": _set("fix.lat", math.nan),
    "accuracy infinite": _set("fix.accuracy_m", math.inf),
    "lat 91": _set("fix.lat", 91.0),
    "lon -180.5": _set("fix.lon", -180.5),
    "negative accuracy": _set("fix.accuracy_m", -1.0),
    "bearing 400": _set("fix.bearing_deg", 400.0),
    "unknown datum": _set("fix.datum", "utm"),
    "naive captured_at": _set("captured_at", "2026-11-23T10:00:00"),
    "naive fix_time": _set("fix.fix_time", "2026-11-23T10:00:00"),
    "not a time": _set("upload_device_time", "yesterday"),
    "verdict is the server's": _set("verdict", "verified"),
    "org node is the server's": _set("org_node_id", 1),
    "unknown fix field": _set("fix.speed", 3.0),
    "100 kB of notes": _set("notes", "x" * 100_000),
    "61 fixes in the series": lambda p: p.update(series=[p["fix"]] * 61),
    "51 Wi-Fi networks": _set("wifi_bssids", [f"aa:bb:cc:dd:ee:{i:02x}" for i in range(51)]),
    "id with a space": _set("id", "visit 1"),
    "id of 65 characters": _set("id", "v" * 65),
    "no captured_at": _drop("captured_at"),
    "no lead": _drop("lead_id"),
    "fix without time": lambda p: p["fix"].pop("fix_time"),
    "negative uptime": _set("capture_elapsed_ms", -5),
    "uptime past 64 bits": _set("upload_elapsed_ms", 2**63),
    "boot count past 32 bits": _set("capture_boot_count", 2**31),
    "series not a list": _set("series", {"lat": 1}),
}


@pytest.mark.parametrize("mutate", BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_check_in_input_is_a_422_problem_and_writes_nothing(client, db, org, headers, mutate):
    payload = body("v-1", make_lead(db, *IN_E1))
    mutate(payload)

    response = client.post(URL, json=payload, headers=headers(org["rep_e1"]))

    body_ = assert_problem(response, 422, "request.validation")
    assert body_["errors"]["json"]
    assert count(db) == 0


@pytest.mark.parametrize(
    "payload",
    [
        {"captured_at": "2026-11-23T10:00:00"},
        {"captured_at": "2026-11-23T10:00:00+08:00", "fix": {"lat": math.nan, "lon": 121.4}},
        {"captured_at": "2026-11-23T10:00:00+08:00", "verdict": "verified"},
        {},
    ],
)
def test_bad_check_out_input_is_a_422_problem_and_changes_nothing(
    client, db, org, headers, payload
):
    client.post(URL, json=body("v-1", make_lead(db, *IN_E1)), headers=headers(org["rep_e1"]))

    response = client.post(f"{URL}/v-1/checkout", json=payload, headers=headers(org["rep_e1"]))

    assert_problem(response, 422, "request.validation")
    db.expire_all()
    assert db.get(Visit, "v-1").checked_out_at is None


def test_unknown_visits_are_not_found(client, org, headers):
    rep = headers(org["rep_e1"])

    assert_problem(client.get(f"{URL}/nope", headers=rep), 404)
    assert_problem(
        client.post(f"{URL}/nope/checkout", json=checkout_body(utcnow(), None), headers=rep), 404
    )


def test_visits_need_a_login(client, db, org):
    response = client.post(URL, json=body("v-1", make_lead(db, *IN_E1)))

    assert_problem(response, 401)
    assert count(db) == 0


def test_service_times_are_stored_in_utc(db, org):
    visit = check_in(db, org["rep_e1"], body("v-1", make_lead(db, *IN_E1), at("2026-11-23 03:00")))
    db.expire_all()

    stored = db.get(Visit, visit.id)
    assert stored.captured_at == at("2026-11-23 03:00") and stored.captured_at.tzinfo == UTC


# -- demo data ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_demo_week_shows_honest_hard_cases_and_every_cheat(db):
    load_demo(db, echo=lambda _: None)

    visits = db.scalars(sa.select(Visit).where(Visit.id.like("demo-%"))).all()
    verdicts = Counter(v.verdict for v in visits)
    assert set(verdicts) == {"verified", "unverified", "suspicious", "rejected"}
    assert verdicts["verified"] > 0.8 * len(visits)
    found = {f["code"]: v.id for v in visits for f in v.findings}
    assert found.keys() >= {
        "fix.mock",
        "replay.payload",
        "place.far_from_customer",
        "place.on_pin",
        "place.datum_mismatch",
        "motion.impossible_speed",
        "clock.rebooted",
        "clock.late_upload",
        "dwell.too_short",
        "fix.missing",
        "fix.coarse",
    }
    cheats = {v.id.split("-")[1] for v in visits if v.verdict in ("suspicious", "rejected")}
    assert cheats == {"R002", "R005", "R007", "R009", "R013"}  # honest reps are never flagged
    counted = db.scalar(sa.select(sa.func.count()).where(Lead.last_verified_at.is_not(None)))
    assert counted > 0
