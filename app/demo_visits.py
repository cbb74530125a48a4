"""A week of demo visits: mostly honest reps, and each cheat a team lead should learn to spot.

Every visit goes through `app.visits.service.check_in` and `check_out` with an explicit `now`
(the moment the phone's upload arrived), so each verdict and finding is the real one. Visits
fall on the last five weekdays before today, inside the demo staff's working hours (Mon-Fri
09:00-18:00, Asia/Shanghai). Each rep gets a bound phone whose uptime clock runs through the
week, as the back-dating and device-continuity checks expect.

The cast (by employee number): R002 uses a mock-location app, R005 replays an old check-in,
R007 checks in from home, R009 copies the customer's map pin, R011's old app build sends
GCJ-02 labelled WGS-84, R013 sweeps two far-apart customers within a minute. R001's phone
reboots before an upload; R010 drives by. Everyone else is honest: GPS, indoor Wi-Fi fixes,
and now and then a visit recorded offline and synced hours later.
"""

from __future__ import annotations

import math
import random
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.auth.models import Device
from app.db import utcnow
from app.leads.models import Lead, LeadOwnerEvent
from app.org.models import Role, Staff
from app.org.scope import Principal, scope_roots
from app.visits import service
from app.visits.models import Visit
from app.visits.schemas import CheckInSchema, CheckOutSchema
from geo import datums

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
M_PER_DEG = 111_195.0
SLOTS = (time(9, 40), time(11, 10), time(13, 50), time(15, 20), time(16, 40))
CLAIMS_BACKDATED = timedelta(days=21)  # so that the week's verified visits count for the leads
# (employee number, day index, n-th visit that day) -> what happens at that visit
CAST = {
    ("R001", 2, 1): "reboot",
    ("R002", 1, 0): "mock",
    ("R002", 3, 1): "mock",
    ("R005", 2, 9): "replay",
    ("R007", 1, 2): "far",
    ("R007", 4, 0): "far",
    ("R009", 2, 1): "on_pin",
    ("R009", 3, 2): "on_pin",
    ("R010", 4, 2): "drive_by",
    ("R013", 3, 9): "sweep",
}
GCJ_AS_WGS = ("R011", 0)  # every visit that day
HONEST = ("gps", "indoor", "offline", "basement", "approximate")
HONEST_WEIGHTS = (80, 11, 5, 2, 2)


@dataclass
class Phone:
    """A rep's phone: its id and the uptime clock (milliseconds since boot) the app reports."""

    device_id: str
    booted_at: datetime
    boot_count: int = 1

    def uptime_ms(self, at: datetime) -> int:
        """The monotonic clock reading at `at`."""
        return int((at - self.booted_at).total_seconds() * 1000)

    def reboot(self, at: datetime) -> None:
        """Restart the phone at `at`: a new boot, the uptime clock starts again."""
        self.booted_at, self.boot_count = at, self.boot_count + 1


def moved(lat: float, lon: float, metres: float, bearing_deg: float) -> tuple[float, float]:
    """The point `metres` away from (lat, lon) in direction `bearing_deg`."""
    b = math.radians(bearing_deg)
    north, east = metres * math.cos(b), metres * math.sin(b)
    return lat + north / M_PER_DEG, lon + east / (M_PER_DEG * math.cos(math.radians(lat)))


def checkin_body(
    visit_id: str,
    lead_id: str,
    phone: Phone,
    *,
    captured: datetime,
    sent: datetime,
    where: tuple[float, float] | None,
    accuracy_m: float,
    provider: str = "gps",
    fix_age_s: float = 5.0,
    offline: bool = False,
    mock: bool = False,
    datum: str = "wgs84",
    reboot_at: datetime | None = None,
) -> dict[str, Any]:
    """The JSON a phone sends for a check-in captured at `captured` and uploaded at `sent`
    (`where=None`: the phone had no fix)."""
    fixed = captured - timedelta(seconds=fix_age_s)
    fix = where and {
        "lat": round(where[0], 7),
        "lon": round(where[1], 7),
        "datum": datum,
        "accuracy_m": round(accuracy_m, 1),
        "provider": provider,
        "satellites": 0 if mock else (11 if provider == "gps" else None),
        "is_mock": mock,
        "fix_time": fixed.isoformat(),
        "elapsed_realtime_ms": phone.uptime_ms(fixed),
        "boot_count": phone.boot_count,
    }
    capture_uptime, capture_boot = phone.uptime_ms(captured), phone.boot_count
    if reboot_at is not None:
        phone.reboot(reboot_at)
    return {
        "id": visit_id,
        "lead_id": lead_id,
        "device_id": phone.device_id,
        "captured_at": captured.isoformat(),
        "captured_offline": offline,
        "capture_elapsed_ms": capture_uptime,
        "capture_boot_count": capture_boot,
        "upload_device_time": sent.isoformat(),
        "upload_elapsed_ms": phone.uptime_ms(sent),
        "upload_boot_count": phone.boot_count,
        "fix": fix,
        "notes": "Demo visit.",
        "outcome": "followed_up",
    }


def _weekdays_before(today: date, count: int) -> list[date]:
    days: list[date] = []
    day = today
    while len(days) < count:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return sorted(days)


def _principal(session: Session, rep: Staff) -> Principal:
    roots = scope_roots(session, staff_id=rep.id, org_node_id=rep.org_node_id)
    return Principal(staff_id=rep.id, role=Role.REP, org_node_id=rep.org_node_id, roots=roots)


def _backdate_claims(session: Session) -> None:
    """Demo claims happened three weeks ago, so this week's visits are follow-ups of them."""
    demo = Lead.id.like("demo-%")
    for lead in session.scalars(sa.select(Lead).where(demo, Lead.claimed_at.is_not(None))):
        lead.claimed_at -= CLAIMS_BACKDATED  # type: ignore[operator]
        if lead.protected_until is not None:
            lead.protected_until -= CLAIMS_BACKDATED
    events = sa.select(LeadOwnerEvent).where(
        LeadOwnerEvent.lead_id.in_(sa.select(Lead.id).where(demo))
    )
    for event in session.scalars(events):
        event.at -= CLAIMS_BACKDATED
    session.flush()


class _Week:
    """Plans and logs one rep's week through the visits service."""

    def __init__(
        self, session: Session, rep: Staff, leads: list[Lead], rng: random.Random, start: date
    ):
        self.session, self.rep, self.leads, self.rng = session, rep, leads, rng
        self.principal = _principal(session, rep)
        booted = datetime.combine(start, time(7), SHANGHAI) - timedelta(hours=rng.uniform(1, 48))
        self.phone = Phone(f"demo-phone-{rep.employee_number}", booted_at=booted)
        self.sent: list[dict[str, Any]] = []
        session.add(Device(staff_id=rep.id, device_id=self.phone.device_id, platform="android"))

    def day(self, number: int, day: date) -> None:
        slots = sorted(self.rng.sample(range(len(SLOTS)), self.rng.choice((3, 4, 4, 5))))
        mine = [lead for lead in self.leads if lead.owner_id == self.rep.id]
        own = self.rng.sample(mine, min(len(mine), len(slots) // 2 + 1))  # follow-ups first
        others = [lead for lead in self.leads if lead not in own]
        chosen = own + self.rng.sample(others, len(slots) - len(own))
        route = sorted(chosen, key=lambda lead: lead.lon)
        for nth, (slot, lead) in enumerate(zip(slots, route, strict=True)):
            captured = datetime.combine(day, SLOTS[slot], SHANGHAI)
            captured += timedelta(minutes=self.rng.uniform(-10, 10))
            kind = CAST.get((self.rep.employee_number, number, nth), "honest")
            if (self.rep.employee_number, number) == GCJ_AS_WGS:
                kind = "gcj_as_wgs"
            self.visit(f"{day:%m%d}-{slot}", lead, captured, kind)
        for (who, when, _), kind in CAST.items():
            if (who, when) == (self.rep.employee_number, number) and kind in ("replay", "sweep"):
                self.additional(kind, day, route)

    def visit(self, key: str, lead: Lead, captured: datetime, kind: str) -> None:
        rng, visit_id = self.rng, f"demo-{self.rep.employee_number}-{key}"
        accuracy, provider, sent = rng.uniform(5, 20), "gps", captured + timedelta(seconds=3)
        where = moved(lead.lat, lead.lon, rng.uniform(8, 60), rng.uniform(0, 360))
        extra: dict[str, Any] = {}
        if kind == "honest":
            kind = rng.choices(HONEST, weights=HONEST_WEIGHTS)[0]
        if kind == "basement":  # GPS blocked: the phone had no fix at all
            where = None
        elif kind == "approximate":  # the rep granted approximate location only
            accuracy, provider = rng.uniform(500, 2_000), "network"
            where = moved(lead.lat, lead.lon, rng.uniform(50, accuracy / 2), rng.uniform(0, 360))
        elif kind == "indoor":
            accuracy, provider = rng.uniform(35, 80), rng.choice(("network", "fused"))
            where = moved(lead.lat, lead.lon, rng.uniform(20, 120), rng.uniform(0, 360))
        elif kind == "offline":
            sent = captured + timedelta(hours=rng.uniform(2, 6))
            extra["offline"] = True
        elif kind == "reboot":  # the battery died; the queued visit went up after the restart
            sent = captured + timedelta(minutes=50)
            extra.update(offline=True, reboot_at=captured + timedelta(minutes=35))
        elif kind == "mock":
            extra["mock"] = True
        elif kind == "far":
            where = moved(lead.lat, lead.lon, rng.uniform(2_500, 4_000), rng.uniform(0, 360))
        elif kind == "on_pin":
            where, accuracy = (lead.lat, lead.lon), 5.0
        elif kind == "gcj_as_wgs":
            where = datums.from_wgs84(*where, "gcj02")
        body = checkin_body(
            visit_id,
            lead.id,
            self.phone,
            captured=captured,
            sent=sent,
            where=where,
            accuracy_m=accuracy,
            provider=provider,
            fix_age_s=rng.uniform(2, 20),
            **extra,
        )
        dwell = timedelta(minutes=rng.uniform(12, 45))
        if kind == "drive_by":
            dwell = timedelta(seconds=40)
        self.send(body, sent, checkout=(lead, captured + dwell, max(sent, captured + dwell)))

    def additional(self, kind: str, day: date, route: list[Lead]) -> None:
        if kind == "replay" and self.sent:  # Monday's first check-in, sent again as new
            captured = datetime.combine(day, time(14, 30), SHANGHAI)
            body = {**self.sent[0], "id": f"demo-{self.rep.employee_number}-{day:%m%d}-replay"}
            body["upload_device_time"] = captured.isoformat()
            body["upload_elapsed_ms"] = self.phone.uptime_ms(captured)
            self.send(body, captured, checkout=None)
        elif kind == "sweep":  # a minute after the first visit, a customer kilometres away
            first = self.sent[-len(route)]
            start = datetime.fromisoformat(first["captured_at"]) + timedelta(seconds=50)
            target = max(self.leads, key=lambda lead: abs(lead.lon - route[0].lon))
            self.visit(f"{day:%m%d}-sweep", target, start, "gps")

    def send(
        self,
        body: dict[str, Any],
        now: datetime,
        checkout: tuple[Lead, datetime, datetime] | None,
    ) -> None:
        visit_in = CheckInSchema().load(body)
        service.check_in(self.session, self.principal, visit_in=visit_in, now=now)
        self.sent.append(body)
        if checkout is None:
            return
        lead, out, received = checkout
        fix = moved(lead.lat, lead.lon, self.rng.uniform(5, 50), self.rng.uniform(0, 360))
        checkout_in = CheckOutSchema().load(
            {
                "captured_at": out.isoformat(),
                "fix": {
                    "lat": fix[0],
                    "lon": fix[1],
                    "accuracy_m": 12.0,
                    "provider": "gps",
                    "fix_time": (out - timedelta(seconds=4)).isoformat(),
                },
            }
        )
        service.check_out(
            self.session,
            self.principal,
            visit_id=body["id"],
            checkout_in=checkout_in,
            now=received + timedelta(seconds=2),
        )


def load_visits(
    session: Session,
    *,
    days: int = 5,
    today: date | None = None,
    echo: Callable[[str], None] = print,
) -> None:
    """Log a week of visits for every demo rep at leads of their team's territory."""
    rng = random.Random(20261116)  # noqa: S311 (demo data, not security)
    _backdate_claims(session)
    week = _weekdays_before(today or utcnow().astimezone(SHANGHAI).date(), days)
    reps = session.scalars(
        sa.select(Staff).where(Staff.role == Role.REP.value).order_by(Staff.employee_number)
    ).all()
    for rep in reps:
        leads = session.scalars(
            sa.select(Lead)
            .where(
                Lead.org_node_id == rep.org_node_id,
                Lead.territory_id.is_not(None),
                sa.or_(Lead.owner_id == rep.id, Lead.owner_id.is_(None)),
            )
            .order_by(Lead.id)
        ).all()
        if len(leads) < len(SLOTS):
            continue
        plan = _Week(session, rep, list(leads), rng, week[0])
        for number, day in enumerate(week):
            plan.day(number, day)
    verdicts = session.execute(
        sa.select(sa.func.coalesce(Visit.review_verdict, Visit.verdict), sa.func.count())
        .where(Visit.id.like("demo-%"))
        .group_by(sa.func.coalesce(Visit.review_verdict, Visit.verdict))
    ).all()
    tally = ", ".join(f"{count} {verdict}" for verdict, count in sorted(verdicts))
    echo(f"==> demo visits: {week[0]} to {week[-1]}: {tally}")
