"""`flask --app wsgi hr ...`: SCIM tokens and department mappings from the command line."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from app.db import make_sessionmaker, transaction
from app.errors import Problem

hr_cli = AppGroup("hr", help="HR provisioning (SCIM).")


def _sessions():
    from app.cli import _engine

    return make_sessionmaker(_engine())


def _default_root(session) -> int:
    from app.org.models import OrgNode

    roots = list(session.scalars(sa.select(OrgNode.id).where(OrgNode.parent_id.is_(None))))
    if len(roots) != 1:
        raise click.UsageError(f"{len(roots)} root nodes: pick one with --node.")
    return roots[0]


@hr_cli.command("create-token")
@click.option("--name", required=True, help="Connector name, e.g. okta (the audit's actor).")
@click.option("--node", "node_id", type=int, help="Root of the subtree it provisions.")
def create_token(name: str, node_id: int | None) -> None:
    """Create a SCIM token and print it once."""
    from app.hr import service

    try:
        with transaction(_sessions()) as session:
            token, secret = service.create_token(
                session, None, name=name, org_node_id=node_id or _default_root(session)
            )
            token_id, root = token.id, token.root_node_id
    except Problem as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(f"==> SCIM token {token_id} ({name}) for org node {root}; shown once:")
    click.echo(secret)


@hr_cli.command("revoke-token")
@click.argument("token_id", type=int)
def revoke_token(token_id: int) -> None:
    """Revoke a SCIM token."""
    from app.hr import service

    try:
        with transaction(_sessions()) as session:
            service.revoke_token(session, None, token_id=token_id)
    except Problem as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(f"==> SCIM token {token_id} revoked")


@hr_cli.command("map-department")
@click.option("--department", help="HR department ('' or omitted: any).")
@click.option("--organization", help="HR organization/company ('' or omitted: any).")
@click.option("--node", "node_id", type=int, required=True, help="Org node id.")
def map_department(department: str | None, organization: str | None, node_id: int) -> None:
    """Map an HR department (and/or organization) to an org node."""
    from app.hr import service

    try:
        with transaction(_sessions()) as session:
            row = service.set_mapping(
                session, None, department=department, organization=organization, org_node_id=node_id
            )
            shown = f"{row.organization or '*'} / {row.department or '*'} -> node {row.org_node_id}"
    except Problem as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(f"==> mapped {shown}")


@hr_cli.command("mappings")
def list_mappings() -> None:
    """Print the department mappings."""
    from app.hr import mappings

    with transaction(_sessions()) as session:
        for row in mappings.list_mappings(session):
            click.echo(
                f"{row.id:>5}  {row.organization or '*'} / {row.department or '*'}"
                f" -> node {row.org_node_id}"
            )
