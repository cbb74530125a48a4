"""SCIM filters to SQL: which attributes can be filtered, and on which column.

Filterable Users: id, userName, externalId, emails(.value) (the primary email),
phoneNumbers(.value) (the primary phone), active, displayName, employeeNumber,
meta.created, meta.lastModified. Groups: id, displayName, externalId, members(.value),
meta.created, meta.lastModified. Anything else is a 400 invalidFilter.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.hr.errors import InvalidFilter
from app.hr.filters import And, Compare, Node, Not, Or, Present
from app.hr.models import HrGroup, HrUser
from app.org.models import Staff
from app.schemas import parse_id

Column = Any
_STRING, _BOOL, _ID, _TIME = "string", "boolean", "id", "datetime"
_GROUP_ID = "group_id"


def _users() -> dict[str, tuple[Column, str, bool]]:
    """attribute -> (column, kind, case_exact)."""
    return {
        "id": (Staff.id, _ID, True),
        "username": (Staff.user_name, _STRING, False),
        "externalid": (Staff.external_hr_id, _STRING, True),
        "emails": (Staff.email, _STRING, False),
        "emails.value": (Staff.email, _STRING, False),
        "phonenumbers": (Staff.phone, _STRING, False),
        "phonenumbers.value": (Staff.phone, _STRING, False),
        "active": (Staff.active, _BOOL, True),
        "displayname": (Staff.name, _STRING, False),
        "employeenumber": (Staff.employee_number, _STRING, True),
        "meta.created": (Staff.created_at, _TIME, True),
        "meta.lastmodified": (sa.func.coalesce(HrUser.updated_at, Staff.updated_at), _TIME, True),
    }


def _groups(node_table: Any) -> dict[str, tuple[Column, str, bool]]:
    return {
        "id": (node_table.id, _GROUP_ID, True),
        "displayname": (node_table.name, _STRING, False),
        "externalid": (HrGroup.external_id, _STRING, True),
        "meta.created": (node_table.created_at, _TIME, True),
        "meta.lastmodified": (node_table.updated_at, _TIME, True),
    }


def _value(kind: str, attr: str, op: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == _BOOL:
        if not isinstance(value, bool) or op not in ("eq", "ne"):
            raise InvalidFilter(f"{attr} is a boolean: use eq/ne with true or false.")
        return value
    if kind == _TIME:
        try:
            return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise InvalidFilter(f"{attr} needs a date-time such as 2026-01-31T00:00:00Z.") from None
    if isinstance(value, bool):
        raise InvalidFilter(f"{attr} is not a boolean.")
    return str(value)


def _compare(column: Column, kind: str, exact: bool, node: Compare) -> sa.ColumnElement[bool]:
    value = _value(kind, node.attr, node.op, node.value)
    op = node.op
    if value is None:
        if op == "eq":
            return column.is_(None)
        if op == "ne":
            return column.is_not(None)
        raise InvalidFilter(f"{op} cannot compare with null.")
    if kind == _GROUP_ID:
        kind, value = _ID, value.removeprefix("node-") if value.startswith("node-") else "x"
    if kind == _ID:
        number = parse_id(value)
        if number is None:
            return sa.false() if op != "ne" else sa.true()
        value = number
        if op not in ("eq", "ne"):
            raise InvalidFilter("id supports eq and ne only.")
    elif kind == _STRING and not exact:
        column, value = sa.func.lower(column), value.lower()
    if op in ("co", "sw", "ew"):
        if kind != _STRING:
            raise InvalidFilter(f"{op} needs a string attribute.")
        escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = {"co": f"%{escaped}%", "sw": f"{escaped}%", "ew": f"%{escaped}"}[op]
        return column.like(pattern, escape="\\")
    if op in ("gt", "ge", "lt", "le") and kind == _BOOL:
        raise InvalidFilter("Booleans cannot be ordered.")
    operators: dict[str, Callable[[Any, Any], Any]] = {
        "eq": lambda c, v: c == v,
        "ne": lambda c, v: sa.or_(c != v, c.is_(None)),
        "gt": lambda c, v: c > v,
        "ge": lambda c, v: c >= v,
        "lt": lambda c, v: c < v,
        "le": lambda c, v: c <= v,
    }
    return operators[op](column, value)


def compile_filter(
    node: Node,
    columns: dict[str, tuple[Column, str, bool]],
    special: Callable[[Node], sa.ColumnElement[bool] | None] | None = None,
) -> sa.ColumnElement[bool]:
    """SQL predicate for a parsed filter over the given attribute map."""
    if isinstance(node, And):
        return sa.and_(
            compile_filter(node.left, columns, special),
            compile_filter(node.right, columns, special),
        )
    if isinstance(node, Or):
        return sa.or_(
            compile_filter(node.left, columns, special),
            compile_filter(node.right, columns, special),
        )
    if isinstance(node, Not):
        return sa.not_(compile_filter(node.inner, columns, special))
    if special is not None:
        predicate = special(node)
        if predicate is not None:
            return predicate
    entry = columns.get(node.attr)
    if entry is None:
        raise InvalidFilter(f"Filtering on {node.attr!r} is not supported.")
    column, kind, exact = entry
    if isinstance(node, Present):
        if kind == _STRING:
            return sa.and_(column.is_not(None), column != "")
        return column.is_not(None)
    return _compare(column, kind, exact, node)


def users_filter(node: Node) -> sa.ColumnElement[bool]:
    """Predicate over Staff (outer-joined to HrUser)."""
    return compile_filter(node, _users())


def groups_filter(node: Node, node_table: Any) -> sa.ColumnElement[bool]:
    """Predicate over OrgNode (outer-joined to HrGroup); `members eq "id"` is supported."""

    def members(inner: Node) -> sa.ColumnElement[bool] | None:
        if not isinstance(inner, (Compare, Present)) or inner.attr not in (
            "members",
            "members.value",
        ):
            return None
        member = sa.select(Staff.id).where(Staff.org_node_id == node_table.id)
        if isinstance(inner, Present):
            return member.exists()
        if inner.op != "eq" or not str(inner.value).isdigit():
            raise InvalidFilter("members supports eq with a user id.")
        staff_id = parse_id(inner.value)
        if staff_id is None:  # digits, but no user can have that id
            return sa.false()
        return member.where(Staff.id == staff_id).exists()

    return compile_filter(node, _groups(node_table), members)
