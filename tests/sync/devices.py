"""A phone speaking the sync protocol in tests, and the raw records it pushes."""

from app.visits.models import Visit
from tests.factories import auth_header


class Device:
    """A test client speaking the protocol for one device of one person."""

    def __init__(self, client, staff, device_id="device-0001"):
        self.client, self.headers, self.cursor = client, auth_header(client, staff, device_id), None

    def pull(self, cursor="same"):
        cursor = self.cursor if cursor == "same" else cursor
        response = self.client.get(
            "/api/v1/sync/pull",
            query_string={
                "last_pulled_at": "null" if cursor is None else cursor,
                "schema_version": 1,
                "migration": "null",
            },
            headers=self.headers,
        )
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        self.cursor = body["timestamp"]
        return body

    def push(self, changes, cursor=None):
        return self.client.post(
            "/api/v1/sync/push",
            query_string={"last_pulled_at": cursor or self.cursor},
            json=changes,
            headers=self.headers,
        )


def ids(body, table, kind):
    return sorted(r if kind == "deleted" else r["id"] for r in body["changes"][table][kind])


def offline_visit(visit_id, lead, captured, *, north_deg=0.0):
    """A raw visit record checked in offline at `lead`, its fix `north_deg` north of the pin."""
    millis = int(captured.timestamp() * 1000)
    return {
        "id": visit_id,
        "lead_id": lead.id,
        "captured_at": millis,
        "captured_offline": True,
        "fix_lat": lead.lat + 0.0002 + north_deg,
        "fix_lon": lead.lon,
        "fix_accuracy_m": 15,
        "fix_time": millis - 5000,
        "fix_provider": "gps",
        "_status": "created",
        "_changed": "",
    }


def findings_of(db, visit_id):
    db.expire_all()
    return sorted(f["code"] for f in db.get(Visit, visit_id).findings)
