"""The schema is made only by Alembic; it goes up, down and up again, and matches the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app import migrate
from app.db import Base, make_engine
from app.migrate import include_object
from app.models import load_all
from tests.conftest import fresh_database, make_settings


def test_upgrade_downgrade_upgrade(tmp_path):
    with fresh_database(tmp_path) as url:
        engine = make_engine(make_settings(tmp_path, url))
        try:
            migrate.upgrade(engine)
            assert migrate.current_revision(engine) == migrate.head_revision()
            migrate.downgrade(engine, "base")
            assert migrate.current_revision(engine) is None
            migrate.upgrade(engine)
            assert migrate.current_revision(engine) == migrate.head_revision()
        finally:
            engine.dispose()


def test_models_match_migrations(engine):
    load_all()
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": include_object, "compare_type": False}
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == []
