"""Run Alembic migrations programmatically on an engine: the only way the schema is made."""

from __future__ import annotations

import re
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from geoalchemy2 import alembic_helpers
from sqlalchemy.engine import Engine

from app.config import PROJECT_ROOT

MIGRATIONS = PROJECT_ROOT / "migrations"

# SpatiaLite's own bookkeeping tables and the R*Tree shadow tables of spatial indexes.
_SPATIALITE_SYSTEM = re.compile(
    r"^(spatial_ref_sys.*|geometry_columns.*|views_geometry_columns.*|virts_geometry_columns.*"
    r"|spatialite_history|sql_statements_log|SpatialIndex|ElementaryGeometries|KNN2?"
    r"|data_licenses|idx_.+|SE_.+|rl2map_configurations.*|vector_coverages.*|wms_.+"
    r"|topologies|networks|raster_coverages.*|stored_procedures|stored_variables"
    r"|iso_metadata.*|ISO_metadata.*|spatial_ref_sys_aux)$"
)


def include_object(
    obj: Any, name: str | None, obj_type: str, reflected: bool, compare_to: Any
) -> bool:
    """GeoAlchemy2's filter, plus: never autogenerate against SpatiaLite system tables."""
    if obj_type == "table" and name and _SPATIALITE_SYSTEM.match(name):
        return False
    if (
        obj_type == "index"
        and not reflected
        and compare_to is None
        and (obj.info.get("postgresql_only") or obj.info.get("spatialite_only"))
    ):
        return False  # declared for one backend only; absent on the other by design
    return bool(alembic_helpers.include_object(obj, name, obj_type, reflected, compare_to))


def _config(connection: object) -> Config:
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database up to `revision`."""
    with engine.begin() as connection:
        command.upgrade(_config(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database down to `revision` ("base" empties it)."""
    with engine.begin() as connection:
        command.downgrade(_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for a fresh database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision in migrations/versions."""
    return ScriptDirectory.from_config(_config(None)).get_current_head()
