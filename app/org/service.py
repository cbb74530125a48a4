"""Org tree use cases: create, rename, move a subtree, delete.

Rules: only admins change the tree, and only inside their scope. A move is one transaction
that rewrites the paths of the moved subtree and nothing else; moving a node under itself
or its descendants is a 409. A node with staff or children cannot be deleted (409).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.errors import Conflict, Forbidden, NotFound, Problem
from app.org.models import NodeManager, OrgNode, Role, Staff
from app.org.scope import Principal, path_in_roots, subtree_bounds


class MoveCycle(Conflict):
    code = "org.move_cycle"
    title = "A node cannot move under itself or its descendants"


class NodeNotEmpty(Conflict):
    code = "org.node_not_empty"
    title = "The node still has staff or child nodes"


class ParentNotFound(Problem):
    status = 422
    code = "org.parent_not_found"
    title = "The parent node does not exist or is outside your scope"


def _require_admin(principal: Principal) -> None:
    if principal.role != Role.ADMIN:
        raise Forbidden("Only admins change the org tree.")


def list_nodes(session: Session, principal: Principal) -> list[OrgNode]:
    """Every node the principal may see, in tree order."""
    stmt = sa.select(OrgNode).where(path_in_roots(OrgNode.path, principal.roots))
    return list(session.scalars(stmt.order_by(OrgNode.path)))


def get_node(session: Session, principal: Principal, *, node_id: int) -> OrgNode:
    """One node inside the principal's scope; NotFound (404) otherwise."""
    node = session.get(OrgNode, node_id)
    if node is None or not principal.sees_path(node.path):
        raise NotFound(f"Org node {node_id} not found.")
    return node


def insert_node(session: Session, *, parent: OrgNode | None, name: str, kind: str) -> OrgNode:
    """Insert a node and set its path (no authorization: callers decide who may)."""
    node = OrgNode(
        parent_id=parent.id if parent else None,
        name=name,
        kind=kind,
        path=f"{parent.path if parent else '/'}pending/",
        depth=parent.depth + 1 if parent else 0,
        settings={},
    )
    session.add(node)
    session.flush()
    node.path = f"{parent.path if parent else '/'}{node.id}/"
    session.flush()
    return node


def create_node(
    session: Session, principal: Principal, *, parent_id: int, name: str, kind: str
) -> OrgNode:
    """Add a child under a node in scope. Raises Forbidden, ParentNotFound."""
    _require_admin(principal)
    parent = session.get(OrgNode, parent_id)
    if parent is None or not principal.sees_path(parent.path):
        raise ParentNotFound(f"Parent node {parent_id} not found.")
    return insert_node(session, parent=parent, name=name, kind=kind)


def update_node(
    session: Session, principal: Principal, *, node_id: int, name: str | None, kind: str | None
) -> OrgNode:
    """Rename a node or change its kind. Raises Forbidden, NotFound."""
    _require_admin(principal)
    node = get_node(session, principal, node_id=node_id)
    if name is not None:
        node.name = name
    if kind is not None:
        node.kind = kind
    session.flush()
    return node


def move_node(
    session: Session, principal: Principal, *, node_id: int, new_parent_id: int
) -> OrgNode:
    """Re-parent a subtree in one statement over org rows only.

    Raises Forbidden (moving one of your own scope roots), NotFound, ParentNotFound, MoveCycle.
    """
    _require_admin(principal)
    node = get_node(session, principal, node_id=node_id)
    if node.path in principal.roots or node.parent_id is None:
        raise Forbidden("You cannot move the root of your own scope.")
    parent = session.get(OrgNode, new_parent_id)
    if parent is None or not principal.sees_path(parent.path):
        raise ParentNotFound(f"Parent node {new_parent_id} not found.")
    if parent.path.startswith(node.path):
        raise MoveCycle(f"Node {new_parent_id} is inside the subtree of node {node_id}.")
    if node.parent_id == parent.id:
        return node
    old_path, new_path = node.path, f"{parent.path}{node.id}/"
    low, high = subtree_bounds(old_path)
    depth_delta = parent.depth + 1 - node.depth
    session.execute(
        sa.update(OrgNode)
        .where(OrgNode.path >= low, OrgNode.path < high)
        .values(
            path=sa.literal(new_path) + sa.func.substr(OrgNode.path, len(old_path) + 1),
            depth=OrgNode.depth + depth_delta,
        )
        .execution_options(synchronize_session=False)
    )
    session.execute(sa.update(OrgNode).where(OrgNode.id == node.id).values(parent_id=parent.id))
    session.expire_all()
    return get_node(session, principal, node_id=node_id)


def delete_node(session: Session, principal: Principal, *, node_id: int) -> None:
    """Delete an empty node. Raises Forbidden, NotFound, NodeNotEmpty."""
    _require_admin(principal)
    node = get_node(session, principal, node_id=node_id)
    if node.path in principal.roots:
        raise Forbidden("You cannot delete the root of your own scope.")
    children = session.scalar(sa.select(sa.func.count()).where(OrgNode.parent_id == node.id))
    staff = session.scalar(sa.select(sa.func.count()).where(Staff.org_node_id == node.id))
    if children or staff:
        raise NodeNotEmpty(
            f"Node {node_id} has {children} child nodes and {staff} staff.",
            children=children,
            staff=staff,
        )
    session.execute(sa.delete(NodeManager).where(NodeManager.org_node_id == node.id))
    session.delete(node)
    session.flush()


def pool_rules(session: Session, principal: Principal, *, node_id: int) -> dict[str, object]:
    """The node's own pool-rule overrides and the rules in force there."""
    from dataclasses import asdict

    from app.leads.pool import rules_for_node

    node = get_node(session, principal, node_id=node_id)
    return {
        "overrides": (node.settings or {}).get("pool", {}),
        "effective": asdict(rules_for_node(session, node.id)),
    }


def set_pool_rules(
    session: Session, principal: Principal, *, node_id: int, overrides: dict[str, object]
) -> dict[str, object]:
    """Replace a node's pool-rule overrides (admins). Raises InvalidPoolRules (422)."""
    from app.leads.rules import validate_overrides

    _require_admin(principal)
    node = get_node(session, principal, node_id=node_id)
    try:
        clean = validate_overrides(overrides)
    except ValueError as exc:
        raise InvalidPoolRules(str(exc)) from None
    node.settings = {**(node.settings or {}), "pool": clean}
    session.flush()
    return pool_rules(session, principal, node_id=node_id)


class InvalidPoolRules(Problem):
    status = 422
    code = "org.invalid_pool_rules"
    title = "A pool rule override is unknown or out of range"
