"""Test harness: one backend per run, a throwaway migrated database, a transaction per test.

`WAYPOINT_TEST_BACKEND=spatialite|postgis` picks the backend (script/test runs both, in
separate processes: one MetaData must never serve both dialects in one process). A missing
PostGIS is an error, not a skip.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import hypothesis
import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from app import create_app, migrate
from app.auth.passwords import use_fast_hashing_for_tests
from app.auth.tokens import generate_keyset_json
from app.config import Settings
from app.db import make_engine, make_sessionmaker

BACKEND = os.environ.get("WAYPOINT_TEST_BACKEND", "spatialite")

# Property tests explore new examples on every local run; CI (.ci/run sets HYPOTHESIS_PROFILE=ci)
# replays a fixed sequence, so a landing is never refused by a first-time draw. A failure found
# locally becomes an explicit @example.
hypothesis.settings.register_profile("ci", derandomize=True, print_blob=True)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
PG_ADMIN_DSN = os.environ.get("WAYPOINT_TEST_PG_DSN", "host=127.0.0.1 port=5432 user=postgres")
TEST_KEYS = generate_keyset_json("test-key-1")
use_fast_hashing_for_tests()


def pytest_report_header() -> str:
    return f"waypoint backend: {BACKEND}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if BACKEND == "postgis":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (run with WAYPOINT_TEST_BACKEND=postgis)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@contextmanager
def fresh_database(tmp_dir: Path) -> Iterator[str]:
    """A new empty database URL for the current backend, dropped afterwards."""
    if BACKEND == "spatialite":
        path = tmp_dir / f"wp-{secrets.token_hex(4)}.db"
        yield f"sqlite:///{path}"
        return
    if BACKEND != "postgis":
        raise RuntimeError(f"WAYPOINT_TEST_BACKEND must be spatialite or postgis, not {BACKEND}")
    name = f"waypoint_test_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(PG_ADMIN_DSN + " dbname=postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(PG_ADMIN_DSN + f" dbname={name}", autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")
            conn.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_DSN + " dbname=postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_settings(tmp_dir: Path, url: str, **overrides: object) -> Settings:
    """Test settings: the given database, a fixed test key, rate limits off by default."""
    values: dict[str, object] = {
        "env": "test",
        "instance_path": tmp_dir,
        "database_url": url,
        "jwt_keys": TEST_KEYS,
        "ratelimit_enabled": False,
        **overrides,
    }
    return Settings(**values).validated()  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Engine]]:
    """The run's migrated database (created by Alembic, as in production)."""
    tmp = tmp_path_factory.mktemp("db")
    with fresh_database(tmp) as url:
        settings = make_settings(tmp, url)
        engine = make_engine(settings)
        migrate.upgrade(engine)
        yield settings, engine
        engine.dispose()


@pytest.fixture
def settings(database: tuple[Settings, Engine]) -> Settings:
    return database[0]


@pytest.fixture
def engine(database: tuple[Settings, Engine]) -> Engine:
    return database[1]


@pytest.fixture
def sessions(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions joined to an outer transaction that is rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    factory = make_sessionmaker(connection, join_transaction_mode="create_savepoint")
    if engine.dialect.name == "postgresql":
        # In production every request is its own transaction and gets its own sync version;
        # here all requests share the outer transaction, so each "commit" (a released
        # savepoint) starts a new version, as the next real transaction would.
        @sa.event.listens_for(factory, "after_commit")
        def _next_sync_version(_session: Session) -> None:
            connection.exec_driver_sql("SELECT set_config('waypoint.sync_version', '', true)")

    yield factory
    outer.rollback()
    connection.close()


@pytest.fixture
def db(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session for arranging and inspecting data inside the test's transaction."""
    session = sessions()
    yield session
    session.close()


@pytest.fixture
def app(settings: Settings, sessions: sessionmaker[Session]) -> Flask:
    return create_app(settings, sessions=sessions)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def committed(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Real commits (for concurrency tests); every table is emptied afterwards."""
    yield make_sessionmaker(engine)
    from app.db import Base
    from app.models import load_all

    load_all()
    with engine.begin() as conn:
        # The sync counter is never emptied: versions must keep growing across tests.
        tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name != "sync_counter"]
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(sa.text(f"DELETE FROM {table}"))  # noqa: S608 (names from our metadata)
