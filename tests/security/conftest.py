"""One world per module for the security tests, and a savepoint per test around it.

Arranging two companies takes long next to one request, and the authorization matrix sends
about a thousand requests, so the world is built once per module inside an outer
transaction; each test runs in a SAVEPOINT of its own that is rolled back afterwards
(requests that deactivate, delete or move something leave no trace for the next test).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from app import create_app
from app.config import Settings
from app.db import make_sessionmaker
from app.org.models import Staff
from tests.factories import PASSWORD
from tests.security.world import World, build_world


@dataclass(frozen=True)
class Login:
    """An actor's live login: its token pair and the device it is bound to."""

    staff_id: int
    device: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


@dataclass
class Stage:
    """The module's app, world, logins and the connection every request runs on."""

    app: Flask
    client: FlaskClient
    connection: sa.Connection
    world: World
    logins: dict[str, Login]
    employee_numbers: dict[str, str]  # by role
    cursor: int  # a sync cursor the server handed out

    @contextmanager
    def rolled_back(self) -> Iterator[None]:
        """Whatever happens inside is undone at the end (a SAVEPOINT on the connection)."""
        savepoint = self.connection.begin_nested()
        try:
            yield
        finally:
            if savepoint.is_active:
                savepoint.rollback()


def _sessions(connection: sa.Connection) -> sessionmaker[Session]:
    factory = make_sessionmaker(connection, join_transaction_mode="create_savepoint")
    if connection.dialect.name == "postgresql":
        # As in tests/conftest.py: each released savepoint stands for a new transaction.
        @sa.event.listens_for(factory, "after_commit")
        def _next_sync_version(_session: Session) -> None:
            connection.exec_driver_sql("SELECT set_config('waypoint.sync_version', '', true)")

    return factory


def _login(client: FlaskClient, staff_id: int, employee_number: str) -> Login:
    device = f"phone-{staff_id}"
    body = {
        "login": employee_number,
        "password": PASSWORD,
        "device_id": device,
        "platform": "android",
    }
    response = client.post("/api/v1/auth/login", json=body)
    assert response.status_code == 200, response.get_json()
    pair = response.get_json()
    return Login(staff_id, device, pair["access_token"], pair["refresh_token"])


@pytest.fixture(scope="module")
def stage(database: tuple[Settings, Engine]) -> Iterator[Stage]:
    """The world, committed into an outer transaction that ends with the module."""
    settings, engine = database
    connection = engine.connect()
    outer = connection.begin()
    factory = _sessions(connection)
    app = create_app(settings, sessions=factory)
    client = app.test_client()
    with factory() as session:
        world = build_world(session)
        numbers = {
            sid: session.scalars(sa.select(Staff.employee_number).where(Staff.id == sid)).one()
            for sid in world.actors.values()
        }
        session.commit()
    logins = {role: _login(client, sid, numbers[sid]) for role, sid in world.actors.items()}
    pulled = client.get("/api/v1/sync/pull", headers=logins["rep"].headers)
    assert pulled.status_code == 200, pulled.get_json()
    try:
        yield Stage(
            app,
            client,
            connection,
            world,
            logins,
            {role: numbers[sid] for role, sid in world.actors.items()},
            pulled.get_json()["timestamp"],
        )
    finally:
        outer.rollback()
        connection.close()


@pytest.fixture
def staged(stage: Stage) -> Iterator[Stage]:
    """The module's stage, with this test's changes rolled back afterwards."""
    with stage.rolled_back():
        yield stage
