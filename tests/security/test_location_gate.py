"""The consent and working-hours gate holds on the offline path too: a visit pushed through
sync (WatermelonDB) without consent, or outside working hours, stores no location.

The API path is tested in tests/app/visits/test_visits.py; sync's merge calls the same
check-in service, and this keeps it that way.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.visits.models import Visit
from app.web import db_session


def offline_visit(staged, visit_id: str) -> dict:
    lead = staged.world.scopes["own"].public_lead
    lat, lon = staged.world.scopes["own"].point
    millis = int((datetime.now(UTC) - timedelta(hours=1)).timestamp() * 1000)
    return {
        "id": visit_id,
        "lead_id": lead,
        "captured_at": millis,
        "captured_offline": True,
        "fix_lat": lat + 0.0002,
        "fix_lon": lon,
        "fix_accuracy_m": 12,
        "fix_time": millis - 4000,
        "fix_provider": "gps",
        "wifi_bssids_json": '["aa:bb:cc:dd:ee:ff"]',
        "_status": "created",
        "_changed": "",
    }


def push(staged, changes):
    response = staged.client.post(
        "/api/v1/sync/push",
        query_string={"last_pulled_at": staged.cursor},
        json=changes,
        headers=staged.logins["rep"].headers,
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {}, "the visit was refused, not gated"


def stored(staged, visit_id: str) -> Visit:
    with staged.app.app_context():
        visit = db_session().get(Visit, visit_id)
        assert visit is not None
        db_session().expunge(visit)
        return visit


def withdraw_consent(staged):
    rep = staged.logins["rep"].headers
    assert staged.client.delete("/api/v1/me/location-consent", headers=rep).status_code == 204


def take_leave(staged):
    lead = staged.logins["team_lead"].headers
    url = f"/api/v1/staff/{staged.world.actors['rep']}"
    assert staged.client.patch(url, json={"working_hours": {}}, headers=lead).status_code == 200


@pytest.mark.parametrize(
    ("gate", "reason"),
    [(withdraw_consent, "no_location_consent"), (take_leave, "outside_working_hours")],
)
def test_a_synced_visit_behind_the_gate_keeps_no_location(staged, gate, reason):
    gate(staged)

    push(staged, {"visits": {"created": [offline_visit(staged, "offline-gated")]}})

    visit = stored(staged, "offline-gated")
    assert visit.location_not_collected_reason == reason
    assert (visit.lat, visit.lon, visit.raw_lat, visit.geom) == (None, None, None, None)
    assert (visit.checkin_fix, visit.evidence, visit.fix_time) == (None, None, None)


def test_the_control_synced_visit_keeps_its_location(staged):
    push(staged, {"visits": {"created": [offline_visit(staged, "offline-open")]}})

    visit = stored(staged, "offline-open")
    assert visit.location_collected and visit.lat is not None
