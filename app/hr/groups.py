"""SCIM Groups over org nodes: a Group is a node of the token's subtree, its members the staff
whose org node it is.

Adding a member moves that person into the node (their data scope follows on their next
request). Removing a member who is still in the node leaves them with no node (an empty
scope) and raises an alert: moving them to the parent node instead would widen what they
see. A new Group becomes a node under the token's root node. Only nodes that SCIM created
can be deleted, and only when no active staff, child nodes or data hang on them.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from app.hr import audit
from app.hr.errors import Forbidden, InvalidValue, NotFound, ScimError
from app.hr.filters import CORE_GROUP, parse_filter
from app.hr.models import HrGroup
from app.hr.queries import groups_filter
from app.hr.resources import Page, check_if_match, finish_meta
from app.hr.schema import canonical_group
from app.hr.tokens import HrContext
from app.hr.users import _visible as visible_users
from app.org.models import OrgNode, Staff
from app.org.scope import path_in_roots
from app.org.service import insert_node
from app.schemas import parse_id

GROUP_PREFIX = "node-"


def group_id_of(node_id: int) -> str:
    """SCIM ids are unique across resource types (RFC 7643 §3.1): Groups are "node-<id>"."""
    return f"{GROUP_PREFIX}{node_id}"


def node_of_group_id(group_id: str) -> int | None:
    """The org node id of a Group id, or None when it is not one."""
    if not group_id.startswith(GROUP_PREFIX):
        return None
    return parse_id(group_id.removeprefix(GROUP_PREFIX))


class GroupNotEmpty(ScimError):
    status = 409


def _visible(ctx: HrContext) -> sa.Select[tuple[OrgNode, HrGroup]]:
    return (
        sa.select(OrgNode, HrGroup)
        .outerjoin(HrGroup, HrGroup.org_node_id == OrgNode.id)
        .where(path_in_roots(OrgNode.path, (ctx.root_path,)))
    )


def _find(session: Session, ctx: HrContext, group_id: str) -> tuple[OrgNode, HrGroup | None]:
    node_id = node_of_group_id(group_id)
    if node_id is None:
        raise NotFound(f"Group {group_id!r} not found.")
    row = session.execute(_visible(ctx).where(OrgNode.id == node_id)).first()
    if row is None:
        raise NotFound(f"Group {group_id!r} not found.")
    return row[0], row[1]


def _members(session: Session, ctx: HrContext, node_ids: list[int]) -> dict[int, list[int]]:
    result: dict[int, list[int]] = {i: [] for i in node_ids}
    if not node_ids:
        return result
    stmt = (
        visible_users(ctx)
        .with_only_columns(Staff.org_node_id, Staff.id)
        .where(Staff.org_node_id.in_(node_ids))
        .order_by(Staff.id)
    )
    for node_id, staff_id in session.execute(stmt):
        result[node_id].append(staff_id)
    return result


def render(
    node: OrgNode, group: HrGroup | None, members: list[int], *, base: str
) -> dict[str, Any]:
    """The SCIM Group of a node."""
    out: dict[str, Any] = {"schemas": [CORE_GROUP], "id": group_id_of(node.id)}
    if group is not None and group.external_id:
        out["externalId"] = group.external_id
    out["displayName"] = node.name
    if members:
        out["members"] = [
            {"value": str(m), "$ref": f"{base}/Users/{m}", "type": "User"} for m in members
        ]
    modified = max(node.updated_at, group.updated_at) if group is not None else node.updated_at
    return finish_meta(
        out,
        resource_type="Group",
        created=node.created_at,
        modified=modified,
        location=f"{base}/Groups/{group_id_of(node.id)}",
    )


def get_group(session: Session, ctx: HrContext, *, group_id: str, base: str) -> dict[str, Any]:
    """One Group."""
    node, group = _find(session, ctx, group_id)
    return render(node, group, _members(session, ctx, [node.id])[node.id], base=base)


def list_groups(
    session: Session, ctx: HrContext, *, filter_text: str | None, page: Page, base: str
) -> tuple[int, list[dict[str, Any]]]:
    """Groups matching the filter, ordered by id, with the total."""
    stmt = _visible(ctx)
    if filter_text:
        stmt = stmt.where(groups_filter(parse_filter(filter_text), OrgNode))
    total = session.scalar(stmt.with_only_columns(sa.func.count(OrgNode.id)).order_by(None)) or 0
    if page.count == 0:
        return total, []
    rows = session.execute(
        stmt.order_by(OrgNode.id).offset(page.start_index - 1).limit(page.count)
    ).all()
    members = _members(session, ctx, [n.id for n, _ in rows])
    return total, [render(n, g, members[n.id], base=base) for n, g in rows]


def _member_ids(doc: dict[str, Any]) -> list[int]:
    ids = []
    for member in doc.get("members", []):
        if member.get("type") not in (None, "User"):
            raise InvalidValue("Only Users can be members; nested groups are the org tree.")
        value = str(member.get("value", ""))
        staff_id = parse_id(value)
        if staff_id is None:
            raise InvalidValue(f"Member {value!r} is not a User id.")
        ids.append(staff_id)
    return ids


def _apply(
    session: Session, ctx: HrContext, node: OrgNode, group: HrGroup, doc: dict[str, Any]
) -> dict[str, Any]:
    """Name, externalId and members as in `doc`; returns who moved."""
    name = doc.get("displayName")
    if not name:
        raise InvalidValue("displayName is required.")
    if len(name) > 200 or len(doc.get("externalId") or "") > 255:
        raise InvalidValue("displayName (200) or externalId (255) is too long.")
    node.name = name
    group.external_id = doc.get("externalId")
    wanted = set(_member_ids(doc))
    current = set(_members(session, ctx, [node.id])[node.id])
    added = sorted(wanted - current)
    if added:
        found = session.scalars(
            visible_users(ctx).with_only_columns(Staff).where(Staff.id.in_(added))
        ).all()
        if len(found) != len(added):
            missing = sorted(set(added) - {s.id for s in found})
            raise InvalidValue(f"No such User: {', '.join(map(str, missing))}.")
        for staff in found:
            staff.org_node_id = node.id
    removed = sorted(current - wanted)
    for staff in session.scalars(sa.select(Staff).where(Staff.id.in_(removed))):
        staff.org_node_id = None
        audit.alert(
            session,
            ctx,
            kind="removed_from_group",
            staff_id=staff.id,
            message=f"{staff.name} was removed from {node.name!r} and has no org node now; "
            "they see no data until HR or an admin places them.",
            group_id=node.id,
        )
    session.flush()
    return {"members_added": added, "members_removed": removed}


def _link(session: Session, node: OrgNode, group: HrGroup | None) -> HrGroup:
    if group is None:
        group = HrGroup(org_node_id=node.id, created_by_scim=False)
        session.add(group)
    return group


def create_group(
    session: Session, ctx: HrContext, *, body: dict[str, Any], base: str
) -> dict[str, Any]:
    """A new org node under the token's root node."""
    doc = canonical_group(body)
    root = session.get(OrgNode, ctx.root_node_id)
    node = insert_node(
        session, parent=root, name=str(doc.get("displayName") or "")[:200] or "-", kind="team"
    )
    group = HrGroup(org_node_id=node.id, created_by_scim=True)
    session.add(group)
    detail = _apply(session, ctx, node, group, doc)
    after = get_group(session, ctx, group_id=group_id_of(node.id), base=base)
    audit.record(
        session,
        ctx,
        action="create",
        resource_type="Group",
        resource_id=after["id"],
        after=after,
        **detail,
    )
    return after


def _update(
    session: Session,
    ctx: HrContext,
    *,
    group_id: str,
    if_match: str | None,
    build: Any,
    verb: str,
    base: str,
) -> dict[str, Any]:
    node, group = _find(session, ctx, group_id)
    before = render(node, group, _members(session, ctx, [node.id])[node.id], base=base)
    check_if_match(before, if_match)
    doc = canonical_group(build(before))
    detail = _apply(session, ctx, node, _link(session, node, group), doc)
    after = get_group(session, ctx, group_id=group_id, base=base)
    audit.record(
        session,
        ctx,
        action=verb,
        resource_type="Group",
        resource_id=group_id,
        before=before,
        after=after,
        **detail,
    )
    return after


def replace_group(
    session: Session,
    ctx: HrContext,
    *,
    group_id: str,
    body: dict[str, Any],
    if_match: str | None,
    base: str,
) -> dict[str, Any]:
    """PUT: name, externalId and the full member list."""
    return _update(
        session,
        ctx,
        group_id=group_id,
        if_match=if_match,
        build=lambda _: body,
        verb="replace",
        base=base,
    )


def patch_group(
    session: Session, ctx: HrContext, *, group_id: str, body: Any, if_match: str | None, base: str
) -> dict[str, Any]:
    """PATCH: members add/remove (also Entra's remove-with-value), rename, externalId."""
    from app.hr import patch

    def build(current: dict[str, Any]) -> dict[str, Any]:
        working = {k: v for k, v in current.items() if k not in ("meta", "id", "schemas")}
        return patch.apply("Group", working, body)

    return _update(
        session, ctx, group_id=group_id, if_match=if_match, build=build, verb="patch", base=base
    )


def delete_group(
    session: Session, ctx: HrContext, *, group_id: str, if_match: str | None, base: str
) -> None:
    """Delete a node SCIM created, if nothing but deleted or inactive people hang on it."""
    node, group = _find(session, ctx, group_id)
    before = get_group(session, ctx, group_id=group_id, base=base)
    check_if_match(before, if_match)
    if node.id == ctx.root_node_id or group is None or not group.created_by_scim:
        raise Forbidden("Only groups created through SCIM can be deleted; this is an org node.")
    if before.get("members"):
        raise GroupNotEmpty("The group still has members; remove them first.")
    # Deleted (or never-linked inactive) staff keep their rows: detach them from the node.
    session.execute(
        sa.update(Staff)
        .where(Staff.org_node_id == node.id, Staff.active.is_(False))
        .values(org_node_id=None)
        .execution_options(synchronize_session=False)
    )
    try:
        with session.begin_nested():
            session.delete(group)
            session.delete(node)
            session.flush()
    except sa_exc.IntegrityError:
        raise GroupNotEmpty(
            "The org node still holds child nodes, territories, leads or staff."
        ) from None
    audit.record(
        session, ctx, action="delete", resource_type="Group", resource_id=group_id, before=before
    )
