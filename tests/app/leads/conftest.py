"""The shared two-region org and cached logins for the lead tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.org.models import Staff
from tests.factories import auth_header
from tests.factories_geo import GeoOrg, make_geo_org


@pytest.fixture
def org(db: Session) -> GeoOrg:
    return make_geo_org(db)


@pytest.fixture
def headers(client: FlaskClient) -> Callable[[Staff], dict[str, str]]:
    """`headers(staff)`: an Authorization header, logging each person in once per test."""
    cache: dict[int, dict[str, str]] = {}

    def get(staff: Staff) -> dict[str, str]:
        if staff.id not in cache:
            cache[staff.id] = auth_header(client, staff)
        return cache[staff.id]

    return get
