"""The two-region org ready for visits: consent, round-the-clock hours, a bound phone each.

Reps in `org` may be located at any time (24/7 working hours in Asia/Shanghai, a standing
consent) so that API tests, which run on the real clock, are never gated by accident; the
tests about the gate take those away again. Every person has the phone `PHONE` bound, the
device the `headers` logins use too.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.auth.models import Device
from app.db import utcnow
from app.org.models import LocationConsent, Role, Staff
from tests.factories import auth_header
from tests.factories_geo import GeoOrg, make_geo_org

PHONE = "device-0001"
ALWAYS = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def give_consent(session: Session, staff: Staff) -> None:
    """Record a standing location consent for `staff`."""
    session.add(
        LocationConsent(
            staff_id=staff.id,
            document_version="2026-01",
            consented_at=utcnow(),
            recorded_by_id=staff.id,
        )
    )
    session.flush()


def bind_phone(session: Session, staff: Staff, device_id: str = PHONE) -> None:
    """Bind a device to `staff` as a login would."""
    session.add(Device(staff_id=staff.id, device_id=device_id, platform="android"))
    session.flush()


def ready_for_visits(session: Session, staff: Staff) -> Staff:
    """Shanghai time, always working, consent given, `PHONE` bound."""
    staff.timezone, staff.working_hours = "Asia/Shanghai", ALWAYS
    give_consent(session, staff)
    bind_phone(session, staff)
    return staff


@pytest.fixture
def org(db: Session) -> GeoOrg:
    org = make_geo_org(db)
    for person in org.people.values():
        if person.role in (Role.REP, Role.TEAM_LEAD):
            ready_for_visits(db, person)
    return org


@pytest.fixture
def headers(client: FlaskClient) -> Callable[[Staff], dict[str, str]]:
    """`headers(staff)`: an Authorization header, logging each person in once per test."""
    cache: dict[int, dict[str, str]] = {}

    def get(staff: Staff) -> dict[str, str]:
        if staff.id not in cache:
            cache[staff.id] = auth_header(client, staff, PHONE)
        return cache[staff.id]

    return get
