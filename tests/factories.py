"""Plain-function factories for arranging data in tests."""

from __future__ import annotations

import itertools
from functools import cache

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.auth.passwords import hash_password
from app.org.models import NodeManager, OrgNode, Role, Staff
from app.org.service import insert_node

PASSWORD = "correct-horse-battery"
_numbers = itertools.count(1)


@cache
def password_hash() -> str:
    """One argon2 hash for every test account (hashing is slow on purpose)."""
    return hash_password(PASSWORD)


def make_node(
    session: Session, parent: OrgNode | None = None, name: str = "Node", kind: str = "team"
) -> OrgNode:
    """Insert an org node under `parent` (a root when None)."""
    return insert_node(session, parent=parent, name=name, kind=kind)


def make_staff(
    session: Session,
    node: OrgNode | None,
    role: Role = Role.REP,
    *,
    manages: tuple[OrgNode, ...] = (),
    **values: object,
) -> Staff:
    """Insert an active account with the shared test password."""
    number = next(_numbers)
    values.setdefault("employee_number", f"E{number:05d}")
    values.setdefault("name", f"Person {number}")
    staff = Staff(
        org_node_id=node.id if node else None,
        role=role.value,
        password_hash=password_hash(),
        **values,
    )
    session.add(staff)
    session.flush()
    for managed in manages:
        session.add(NodeManager(staff_id=staff.id, org_node_id=managed.id))
    session.flush()
    return staff


def login(client: FlaskClient, staff: Staff, device_id: str = "device-0001") -> dict[str, str]:
    """Log in and return the token pair (asserting success)."""
    response = client.post(
        "/api/v1/auth/login",
        json={
            "login": staff.employee_number,
            "password": PASSWORD,
            "device_id": device_id,
            "platform": "android",
        },
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def auth_header(
    client: FlaskClient, staff: Staff, device_id: str = "device-0001"
) -> dict[str, str]:
    """An Authorization header for `staff`."""
    return {"Authorization": f"Bearer {login(client, staff, device_id)['access_token']}"}
