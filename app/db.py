"""Engine factory, declarative base, the UTC column type and the transaction helpers.

The request owns the transaction (Warehouse): services flush but never commit; `app/__init__`
commits a request that ended well and rolls back everything else. CLI jobs use `transaction()`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from geoalchemy2.admin.dialects.sqlite import init_spatialite
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from app.config import Settings

SPATIALITE_LIBRARY = os.environ.get("SPATIALITE_LIBRARY_PATH", "mod_spatialite")

# Constraint names are explicit so that migrations can drop them on both backends.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The server clock, timezone-aware UTC: the only clock that orders things."""
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timestamps stored as UTC and always read back timezone-aware, on both backends."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every model; one MetaData per process and backend."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}  # noqa: RUF012 (SQLAlchemy reads it)


class SyncStamped:
    """Rows of synced tables: `sync_version` is stamped by database triggers (sync/ddl.py),
    never written by the application, nor read back after an insert: without RETURNING
    (SQLAlchemy's eager defaults) a batch of rows goes to the driver's executemany instead of
    being rendered as one huge statement."""

    __mapper_args__: ClassVar[dict[str, Any]] = {"eager_defaults": False}

    sync_version: Mapped[int] = mapped_column(sa.BigInteger, server_default="1", index=True)


class ColumnVersioned(SyncStamped):
    """Also records, per tracked column, the version that last changed it (for merges)."""

    col_versions: Mapped[dict[str, int] | None] = mapped_column(sa.JSON)


# Execution option: on SQLite, begin with the write lock (BEGIN IMMEDIATE) and wait for it.
WRITE_LOCK_FIRST = "waypoint_write_lock_first"


def _configure_sqlite(engine: Engine) -> None:
    """SpatiaLite, WAL, foreign keys, and the pysqlite transaction recipe.

    pysqlite's own transaction handling breaks SAVEPOINTs (rows leak out of rolled-back
    nested transactions), so the driver is put in autocommit mode and we emit BEGIN ourselves,
    as SQLAlchemy's SQLite dialect documentation prescribes.
    """

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        dbapi_conn.enable_load_extension(True)
        dbapi_conn.load_extension(SPATIALITE_LIBRARY)
        dbapi_conn.enable_load_extension(False)
        for pragma in ("foreign_keys = ON", "busy_timeout = 30000", "synchronous = NORMAL"):
            dbapi_conn.execute(f"PRAGMA {pragma}")
        if dbapi_conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            dbapi_conn.execute("PRAGMA journal_mode = WAL")
        # WGS84 mode loads only the SRIDs we use: the full EPSG table takes 9 s to create.
        init_spatialite(dbapi_conn, transaction=True, init_mode="WGS84")

    @event.listens_for(engine, "begin")
    def on_begin(conn: sa.Connection) -> None:
        # A deferred BEGIN that reads first cannot wait for the write lock later: once
        # another writer has committed, its snapshot is stale and the write fails at once
        # ("database is locked"). Jobs that must wait their turn ask for the lock up front.
        immediate = conn.get_execution_options().get(WRITE_LOCK_FIRST)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(settings: Settings, **kwargs: Any) -> Engine:
    """Create the engine for the configured backend, with per-dialect connection setup."""
    url = settings.sqlalchemy_url
    if settings.is_sqlite:
        import sqlean

        settings.instance_path.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url,
            module=sqlean.dbapi2,
            connect_args={"check_same_thread": False, "timeout": 30},
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(url, **kwargs)


def make_sessionmaker(bind: Engine | sa.Connection, **kwargs: Any) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (responses serialize them)."""
    return sessionmaker(bind=bind, expire_on_commit=False, **kwargs)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work for CLI jobs: commit if the block ends well, roll back otherwise.

    On SQLite the job waits for the write lock before its first read (busy_timeout), so a
    second copy of a job started at the same time runs after the first, on its result,
    instead of failing with "database is locked".
    """
    session = factory()
    try:
        if session.get_bind().dialect.name == "sqlite":
            session.connection(execution_options={WRITE_LOCK_FIRST: True})
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
