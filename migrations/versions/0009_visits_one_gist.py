"""PostgreSQL: visits keep one GiST index on geom, the one that also holds visited_at.

ix_visits_geom_time (geom, visited_at) answers searches on geom alone as well as on place
and time, so GeoAlchemy's idx_visits_geom (geom) only cost writes: a third of the time of
inserting a thousand visits went to maintaining the two GiST indexes. SpatiaLite is
unchanged (its R*Tree is the only spatial index there).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS idx_visits_geom")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX IF NOT EXISTS idx_visits_geom ON visits USING gist (geom)")
