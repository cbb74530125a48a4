"""Operator jobs: `flask leads recycle`, `flask territories import|export`."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from app.db import make_sessionmaker, transaction
from app.errors import Problem

leads_cli = AppGroup("leads", help="Lead pool jobs.")
territories_cli = AppGroup("territories", help="Territory import and export.")


def _sessions():
    from app.cli import _engine

    return make_sessionmaker(_engine())


@leads_cli.command("recycle")
@click.option("--now", type=click.DateTime(), help="Pretend it is this UTC time (testing).")
def leads_recycle(now: datetime | None) -> None:
    """Return overdue private-pool leads to the public pool (safe to run concurrently)."""
    from datetime import UTC

    from app.leads.models import OPEN_STAGES, Lead
    from app.leads.pool import recycle_expired

    with transaction(_sessions()) as session:
        owned = session.scalar(
            sa.select(sa.func.count()).where(
                Lead.owner_id.is_not(None), Lead.stage.in_(OPEN_STAGES)
            )
        )
        with click.progressbar(length=owned or 0, label="==> examining owned leads") as bar:
            count = recycle_expired(
                session, now=now.replace(tzinfo=UTC) if now else None, progress=bar.update
            )
    click.echo(f"==> recycled {count} lead(s) to the public pool")


@territories_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--repair", is_flag=True, help="Repair invalid rings instead of refusing.")
def territories_import(path: Path, repair: bool) -> None:
    """Import a GeoJSON FeatureCollection (properties: name, org_node_id); all or nothing."""
    from app.org.scope import system_principal
    from app.territories.service import import_features

    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"{path} is not JSON: {exc}") from None
    total = len(doc.get("features") or []) if isinstance(doc, dict) else 0
    policy = current_app.extensions["waypoint.territory_policy"]
    try:
        with (
            transaction(_sessions()) as session,
            click.progressbar(length=total, label="==> importing territories") as bar,
        ):
            ids, moved = import_features(
                session,
                system_principal(session),
                doc=doc,
                repair=repair,
                policy=policy,
                progress=bar.update,
            )
    except Problem as exc:
        raise click.ClickException(f"{exc.code}: {exc.detail} (nothing was imported)") from None
    present = f" ({total - len(ids)} already present)" if total > len(ids) else ""
    click.echo(f"==> imported {len(ids)} territories{present}; {moved} lead(s) changed territory")


@territories_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def territories_export(path: Path) -> None:
    """Write every territory as a GeoJSON FeatureCollection."""
    from app.org.scope import system_principal
    from app.territories.service import export_features

    with transaction(_sessions()) as session:
        doc = export_features(session, system_principal(session))
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    click.echo(f"==> wrote {len(doc['features'])} territories to {path}")


privacy_cli = AppGroup("privacy", help="Location data retention.")


@privacy_cli.command("purge")
@click.option(
    "--older-than-days",
    type=click.IntRange(min=1),
    default=None,
    help="Retention period (default: WAYPOINT_LOCATION_RETENTION_DAYS, 180).",
)
def privacy_purge(older_than_days: int | None) -> None:
    """Remove fixes, tracks and photo GPS older than the retention period, and photo files no
    visit refers to any more (idempotent)."""
    from app.privacy.service import photo_folders, purge, sweep_orphan_files

    settings = current_app.config["WAYPOINT"]
    days = older_than_days or settings.location_retention_days
    with (
        transaction(_sessions()) as session,
        click.progressbar(
            length=0, label=f"==> purging location data older than {days} days"
        ) as bar,
    ):
        visits, photos = purge(
            session,
            retention_days=days,
            photo_root=settings.photo_dir,
            progress=lambda n: bar.update(n),
        )
    click.echo(f"==> purged location data of {visits} visit(s) and {photos} photo(s)")
    root = settings.photo_dir
    with (
        transaction(_sessions()) as session,
        click.progressbar(length=len(photo_folders(root)), label="==> sweeping photo files") as bar,
    ):
        orphans = sweep_orphan_files(session, photo_root=root, progress=bar.update)
    click.echo(f"==> removed {orphans} photo file(s) no visit refers to")
