"""The single place that answers "which org nodes may this principal see".

A principal sees its own node and everything below it, plus the subtrees of the nodes it
manages; never sideways or upward. Scope is computed on every request from the live tree, so
a reorganisation takes effect on everyone's very next request.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.org.models import NodeManager, OrgNode, Role

# Paths are "/1/4/9/"; every path in a subtree sorts in [prefix, prefix[:-1] + "0").
# ("0" is the character after "/"), a range an index can serve where LIKE 'p%' cannot.
_AFTER_SEPARATOR = chr(ord("/") + 1)


def subtree_bounds(path: str) -> tuple[str, str]:
    """Half-open [low, high) range of the paths in the subtree rooted at `path`."""
    return path, path[:-1] + _AFTER_SEPARATOR


def collapse_roots(paths: list[str]) -> tuple[str, ...]:
    """Drop paths already covered by an ancestor path in the list."""
    roots: list[str] = []
    for path in sorted(set(paths)):
        if not any(path.startswith(root) for root in roots):
            roots.append(path)
    return tuple(roots)


@dataclass(frozen=True)
class Principal:
    """Who is asking: the staff member, their role, and the subtrees they may see."""

    staff_id: int
    role: Role
    org_node_id: int | None
    roots: tuple[str, ...]
    session_id: str | None = None
    device_pk: int | None = None

    def sees_path(self, path: str) -> bool:
        """True when a node with this path lies inside the principal's scope."""
        return any(path.startswith(root) for root in self.roots)

    def has_role(self, *roles: Role) -> bool:
        """True when the principal holds one of `roles`."""
        return self.role in roles


def scope_roots(session: Session, *, staff_id: int, org_node_id: int | None) -> tuple[str, ...]:
    """Paths of the principal's own node and managed nodes, collapsed (empty: sees nothing)."""
    managed = sa.select(NodeManager.org_node_id).where(NodeManager.staff_id == staff_id)
    stmt = sa.select(OrgNode.path).where(sa.or_(OrgNode.id == org_node_id, OrgNode.id.in_(managed)))
    return collapse_roots(list(session.scalars(stmt)))


def path_in_roots(
    path_column: sa.ColumnElement[str], roots: tuple[str, ...]
) -> sa.ColumnElement[bool]:
    """SQL predicate: `path_column` lies in one of the subtrees (range scans, no LIKE)."""
    if not roots:
        return sa.false()
    ranges = []
    for root in roots:
        low, high = subtree_bounds(root)
        ranges.append(sa.and_(path_column >= low, path_column < high))
    return sa.or_(*ranges)


def visible_nodes(principal: Principal) -> sa.Select[tuple[int]]:
    """Subquery of the org node ids the principal may see."""
    return sa.select(OrgNode.id).where(path_in_roots(OrgNode.path, principal.roots))


def node_in_scope(
    node_id_column: sa.ColumnElement[int] | sa.orm.InstrumentedAttribute[int | None],
    principal: Principal,
) -> sa.ColumnElement[bool]:
    """SQL predicate for any fact carrying an org node id: is that node in scope?"""
    return node_id_column.in_(visible_nodes(principal))


def visible_node_ids(session: Session, principal: Principal) -> set[int]:
    """The ids of every node the principal may see."""
    return set(session.scalars(visible_nodes(principal)))


def system_principal(session: Session) -> Principal:
    """An admin over every company, for CLI jobs run by operators (never for requests)."""
    roots = session.scalars(sa.select(OrgNode.path).where(OrgNode.parent_id.is_(None)))
    return Principal(
        staff_id=0, role=Role.ADMIN, org_node_id=None, roots=collapse_roots(list(roots))
    )
