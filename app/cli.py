"""`flask --app wsgi ...` commands: db, demo, keys, docs. Each runs in one transaction."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.db import make_engine, make_sessionmaker, transaction

waypoint_cli = AppGroup("waypoint", help="Waypoint administration.")
db_cli = AppGroup("db", help="Schema migrations (Alembic).")
demo_cli = AppGroup("demo", help="Demo data.")
keys_cli = AppGroup("keys", help="Token signing keys.")


def _engine():
    engine = current_app.extensions.get("waypoint.engine")
    return engine if engine is not None else make_engine(current_app.config["WAYPOINT"])


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database up (default: to the newest revision)."""
    from app import migrate  # here, not at the top: Alembic is 10 MB every server worker spared

    engine = _engine()
    before = migrate.current_revision(engine)
    migrate.upgrade(engine, revision)
    click.echo(f"==> database at {migrate.current_revision(engine)} (was {before or 'empty'})")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION ('base' removes every table)."""
    from app import migrate

    migrate.downgrade(_engine(), revision)
    click.echo(f"==> database at {migrate.current_revision(_engine()) or 'base'}")


@db_cli.command("current")
def db_current() -> None:
    """Print the current and newest revisions."""
    from app import migrate

    click.echo(f"current: {migrate.current_revision(_engine())}  head: {migrate.head_revision()}")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when staff accounts already exist.")
def demo_load(if_empty: bool) -> None:
    """Create the demo company (Shanghai) and print its logins once."""
    from app.demo import has_data, load_demo

    factory = make_sessionmaker(_engine())
    with transaction(factory) as session:
        if if_empty and has_data(session):
            click.echo("==> demo data: database already has data, left alone")
            return
        accounts = load_demo(session, echo=click.echo)
    click.echo("==> demo logins (shown once; set WAYPOINT_DEMO_PASSWORD to choose them):")
    for role, login, name, password in accounts:
        click.echo(f"    {role:<10} {login:<10} {password}  {name}")


@keys_cli.command("generate")
@click.option("--kid", required=True, help="Key id for the new key, e.g. 2026-11.")
def keys_generate(kid: str) -> None:
    """Print a new key set JSON for WAYPOINT_JWT_KEYS (merge old keys in to rotate)."""
    from app.auth.tokens import generate_keyset_json

    click.echo(generate_keyset_json(kid))


@waypoint_cli.command("errors-doc")
def errors_doc() -> None:
    """Regenerate docs/errors.md from the problem-code registry (the app imports them all)."""
    from app.config import PROJECT_ROOT
    from app.errors import errors_markdown

    (PROJECT_ROOT / "docs" / "errors.md").write_text(errors_markdown())
    click.echo("==> docs/errors.md written")


def all_commands() -> tuple[AppGroup, ...]:
    from app.hr.cli import hr_cli
    from app.jobs_cli import leads_cli, privacy_cli, territories_cli

    return (
        waypoint_cli,
        db_cli,
        demo_cli,
        keys_cli,
        leads_cli,
        territories_cli,
        hr_cli,
        privacy_cli,
    )
