"""Virtual users of the morning peak, a small threaded HTTP client, and what they record.

A rep's phone (closed loop, exponential think time): a first full sync pull, then a mix of
check-in + one photo, sync pull, sync push of visits recorded offline, and the nearby-leads
lookup; a few check-ins are sent twice (a lost answer retried, same id and body). A team
lead's browser loads the visit map of the team's area (and now and then the review queue).
With two instances every user sends each request to the next instance in turn, like a load
balancer without stickiness: a photo may land on another process than its check-in.

Every request is one record (start, end, endpoint, status); visit ids the server confirmed
and visit ids whose fate is unknown (time-out, 5xx) are kept for the lost/duplicate check.
"""

from __future__ import annotations

import gzip
import http.client
import io
import itertools
import json
import random
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from PIL import Image, ImageDraw

from bench.load.seed import Person, Team

TIMEOUT_S = 30.0
REP_MIX = (("checkin", 30), ("pull", 25), ("push", 15), ("nearby", 30))
REP_THINK_S, LEAD_THINK_S = 0.5, 1.0
RETRY_SHARE = 0.03  # check-ins re-sent as if the first answer was lost


@dataclass(frozen=True, slots=True)
class Sample:
    start: float
    end: float
    endpoint: str
    status: int  # 0: no answer (connection error or time-out)


@dataclass
class Ledger:
    """What all users did; appends are atomic under the GIL."""

    samples: list[Sample] = field(default_factory=list)
    acked_visits: set[str] = field(default_factory=set)
    unknown_visits: set[str] = field(default_factory=set)  # no clear answer: may exist
    refused_visits: set[str] = field(default_factory=set)  # a clean 4xx: must not exist
    acked_photos: set[str] = field(default_factory=set)
    retries_answered_200: int = 0
    cursor_regressions: list[str] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def note_error(self, endpoint: str, status: int, body: bytes) -> None:
        key = f"{endpoint} {status} {_code(body)}"
        self.errors[key] = self.errors.get(key, 0) + 1


def _code(body: bytes) -> str:
    try:
        return str(json.loads(body).get("code", ""))
    except (ValueError, AttributeError):
        return ""


class Client:
    """Requests to the instances, round-robin per user, each on a new connection (gunicorn's
    sync workers close every connection after the answer anyway)."""

    def __init__(self, ports: list[int], token: str, ledger: Ledger, rng: random.Random) -> None:
        self.ports, self.ledger = ports, ledger
        self.turn = itertools.cycle(rng.sample(ports, len(ports)))
        self.headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}

    def call(
        self,
        endpoint: str,
        method: str,
        path: str,
        *,
        query: dict[str, Any] | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
        port: int | None = None,
    ) -> tuple[int, bytes]:
        headers = dict(self.headers)
        if content_type:
            headers["Content-Type"] = content_type
        if query:
            path = f"{path}?{urlencode(query)}"
        start = time.perf_counter()
        status, data = 0, b""
        conn = http.client.HTTPConnection("127.0.0.1", port or next(self.turn), timeout=TIMEOUT_S)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            status = response.status
            if response.getheader("Content-Encoding") == "gzip":
                data = gzip.decompress(data)
        except (OSError, http.client.HTTPException) as exc:
            data = type(exc).__name__.encode()
        finally:
            conn.close()
        self.ledger.samples.append(Sample(start, time.perf_counter(), endpoint, status))
        if not 200 <= status < 300:
            self.ledger.note_error(endpoint, status, data)
        return status, data


class Photos:
    """Distinct camera-sized JPEGs (800x600, ~40 KB): the same bytes twice would be a
    reused-photo finding and a shared file."""

    def __init__(self) -> None:
        base = Image.linear_gradient("L").resize((800, 600)).convert("RGB")
        self.base = base

    def make(self, rng: random.Random) -> bytes:
        image = self.base.copy()
        draw = ImageDraw.Draw(image)
        for _ in range(6):
            x, y = rng.randrange(760), rng.randrange(560)
            colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
            draw.rectangle((x, y, x + rng.randrange(10, 40), y + rng.randrange(10, 40)), colour)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80)
        return out.getvalue()


def multipart(fields: dict[str, str], data: bytes) -> tuple[bytes, str]:
    boundary = f"----waypoint-load-{secrets.token_hex(8)}"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _near(rng: random.Random, lat: float, lon: float, metres: float) -> tuple[float, float]:
    return lat + rng.uniform(-1, 1) * metres / 111_195, lon + rng.uniform(-1, 1) * metres / 95_000


class RepPhone:
    """One rep's phone through the morning (see the module doc)."""

    def __init__(
        self, rep: Person, team: Team, ports: list[int], ledger: Ledger, photos: Photos, seed: int
    ) -> None:
        self.rep, self.team, self.ledger, self.photos = rep, team, ledger, photos
        self.rng = random.Random(seed)
        self.client = Client(ports, rep.token, ledger, self.rng)
        self.cursor: int | None = None
        self.pulled_visits: set[str] = set()
        self.checked_in: set[str] = set()  # confirmed by POST /visits (must come in a pull)
        self.numbers = itertools.count(1)
        self.leads = team.public + team.owned.get(rep.staff_id, [])

    def run(self, stop: threading.Event) -> None:
        self.pull()
        kinds, weights = zip(*REP_MIX, strict=True)
        actions: dict[str, Callable[[], None]] = {
            "checkin": self.checkin,
            "pull": self.pull,
            "push": self.push,
            "nearby": self.nearby,
        }
        while not stop.is_set():
            actions[self.rng.choices(kinds, weights)[0]]()
            stop.wait(min(self.rng.expovariate(1 / REP_THINK_S), 3.0))

    def _visit_id(self) -> str:
        return f"lv{self.rep.staff_id}-{next(self.numbers)}-{secrets.token_hex(3)}"

    def pull(self) -> None:
        status, data = self.client.call(
            "sync pull",
            "GET",
            "/api/v1/sync/pull",
            query={
                "last_pulled_at": "null" if self.cursor is None else self.cursor,
                "schema_version": 1,
                "migration": "null",
            },
        )
        if status != 200:
            return
        body = json.loads(data)
        visits = body["changes"].get("visits", {})
        self.pulled_visits.update(r["id"] for r in visits.get("created", []))
        self.pulled_visits.update(r["id"] for r in visits.get("updated", []))
        if self.cursor is not None and body["timestamp"] < self.cursor:
            self.ledger.cursor_regressions.append(
                f"rep {self.rep.staff_id}: {self.cursor} -> {body['timestamp']}"
            )
        self.cursor = body["timestamp"]

    def checkin(self) -> None:
        lead_id, lat, lon = self.rng.choice(self.leads)
        visit_id = self._visit_id()
        now = datetime.now(UTC)
        fix_lat, fix_lon = _near(self.rng, lat, lon, 15)
        body = json.dumps(
            {
                "id": visit_id,
                "lead_id": lead_id,
                "captured_at": now.isoformat(),
                "upload_device_time": now.isoformat(),
                "fix": {
                    "lat": round(fix_lat, 7),
                    "lon": round(fix_lon, 7),
                    "accuracy_m": round(self.rng.uniform(5, 20), 1),
                    "provider": "gps",
                    "satellites": 11,
                    "fix_time": (now - timedelta(seconds=4)).isoformat(),
                },
                "notes": "Morning visit.",
                "outcome": "followed_up",
            }
        ).encode()
        tries = 2 if self.rng.random() < RETRY_SHARE else 1
        for attempt in range(tries):
            status, _ = self.client.call(
                "check-in", "POST", "/api/v1/visits", body=body, content_type="application/json"
            )
            self._note_visit(visit_id, status)
            if attempt and status == 200:
                self.ledger.retries_answered_200 += 1
        if status not in (200, 201):
            return
        self.checked_in.add(visit_id)
        photo_id = f"{visit_id}-p"
        form, content_type = multipart(
            {"photo_id": photo_id, "source": "camera"}, self.photos.make(self.rng)
        )
        status, _ = self.client.call(
            "photo upload",
            "POST",
            f"/api/v1/visits/{visit_id}/photos",
            body=form,
            content_type=content_type,
        )
        if status in (200, 201):
            self.ledger.acked_photos.add(photo_id)

    def _note_visit(self, visit_id: str, status: int) -> None:
        if status in (200, 201):
            self.ledger.acked_visits.add(visit_id)
            self.ledger.unknown_visits.discard(visit_id)
        elif (status == 0 or status >= 500) and visit_id not in self.ledger.acked_visits:
            self.ledger.unknown_visits.add(visit_id)
        elif 400 <= status < 500 and visit_id not in self.ledger.acked_visits:
            self.ledger.refused_visits.add(visit_id)

    def push(self) -> None:
        if self.cursor is None:
            return self.pull()
        created = []
        for _ in range(self.rng.choice((1, 2))):
            lead_id, lat, lon = self.rng.choice(self.leads)
            at = datetime.now(UTC) - timedelta(minutes=self.rng.uniform(10, 90))
            millis = int(at.timestamp() * 1000)
            fix_lat, fix_lon = _near(self.rng, lat, lon, 20)
            created.append(
                {
                    "id": self._visit_id(),
                    "lead_id": lead_id,
                    "captured_at": millis,
                    "captured_offline": True,
                    "fix_lat": round(fix_lat, 7),
                    "fix_lon": round(fix_lon, 7),
                    "fix_accuracy_m": 12,
                    "fix_time": millis - 4000,
                    "fix_provider": "gps",
                    "notes": "Recorded offline.",
                    "_status": "created",
                    "_changed": "",
                }
            )
        changes = {"visits": {"created": created, "updated": [], "deleted": []}}
        status, data = self.client.call(
            "sync push",
            "POST",
            "/api/v1/sync/push",
            query={"last_pulled_at": self.cursor},
            body=json.dumps(changes).encode(),
            content_type="application/json",
        )
        rejected: set[str] = set()
        if status == 200:
            rejected = set(json.loads(data).get("experimentalRejectedIds", {}).get("visits", []))
        for record in created:
            self._note_visit(record["id"], 422 if record["id"] in rejected else status)
        return None

    def nearby(self) -> None:
        lat, lon = _near(self.rng, *self.team.centre, 1500)
        self.client.call(
            "nearby leads",
            "GET",
            "/api/v1/leads/nearby",
            query={"lat": round(lat, 6), "lon": round(lon, 6), "radius_m": 2000, "limit": 20},
        )


class LeadBrowser:
    """A team lead's map page: the team's area for the last 24 hours, and the review queue."""

    def __init__(self, lead: Person, team: Team, ports: list[int], ledger: Ledger, seed: int):
        self.team = team
        self.rng = random.Random(seed)
        self.client = Client(ports, lead.token, ledger, self.rng)

    def run(self, stop: threading.Event) -> None:
        bbox = ",".join(f"{v:.4f}" for v in self.team.bbox)
        while not stop.is_set():
            if self.rng.random() < 0.8:
                self.client.call("map", "GET", "/api/v1/visits/map", query={"bbox": bbox})
            else:
                self.client.call("review queue", "GET", "/api/v1/visits/suspicious")
            stop.wait(min(self.rng.expovariate(1 / LEAD_THINK_S), 4.0))
