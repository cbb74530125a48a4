"""Alembic environment: the app's engine factory (SpatiaLite loaded), GeoAlchemy2 helpers."""

from __future__ import annotations

from alembic import context
from geoalchemy2 import alembic_helpers

from app.config import Settings
from app.db import Base, make_engine
from app.migrate import include_object
from app.models import load_all

load_all()
target_metadata = Base.metadata


def run_migrations() -> None:
    """Run against the connection handed in by the app (tests, CLI), or one from the env."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        engine = make_engine(Settings.from_env())
        with engine.connect() as connection:
            _run(connection)
        engine.dispose()
    else:
        _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
