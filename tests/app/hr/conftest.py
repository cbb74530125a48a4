"""A company with two regions, a SCIM token over it, and a client that speaks SCIM."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.hr import tokens
from app.hr.mappings import set_mapping
from app.org.models import OrgNode, Staff
from tests.factories_geo import GeoOrg, make_geo_org

FIXTURES = Path(__file__).parent / "fixtures"
SCIM_JSON = "application/scim+json"


def fixture(name: str, **values: object) -> Any:
    """A recorded IdP payload from tests/app/hr/fixtures, with {placeholders} filled in."""
    text = (FIXTURES / name).read_text()
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value))
    return json.loads(text)


@pytest.fixture
def org(db: Session) -> GeoOrg:
    """Company -> East (E1, E2), West (W); territories; reps, leads and an admin."""
    return make_geo_org(db)


@pytest.fixture
def company(org: GeoOrg) -> OrgNode:
    return org.nodes["company"]


@pytest.fixture
def admin(org: GeoOrg) -> Staff:
    return org.people["admin"]


@pytest.fixture
def mapped(db: Session, org: GeoOrg) -> GeoOrg:
    """HR departments 'Sales E1' -> E1, 'Sales W' -> W."""
    set_mapping(db, None, department="Sales E1", organization=None, org_node_id=org["e1"].id)
    set_mapping(db, None, department="Sales W", organization=None, org_node_id=org["w"].id)
    return org


@pytest.fixture
def scim_secret(db: Session, company: OrgNode) -> str:
    _token, secret = tokens.create_token(
        db, name="okta", root_node_id=company.id, created_by_id=None
    )
    return secret


class Scim:
    """Thin SCIM caller over the Flask test client."""

    def __init__(self, client: FlaskClient, secret: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {secret}"}

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        content_type = kwargs.pop("content_type", SCIM_JSON)
        data = json.dumps(body) if body is not None else None
        return self.client.open(
            "/scim/v2" + path,
            method=method,
            data=data,
            content_type=content_type if data is not None else None,
            headers=headers,
            **kwargs,
        )

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: Any, **kwargs: Any) -> Any:
        return self.call("POST", path, body, **kwargs)

    def put(self, path: str, body: Any, **kwargs: Any) -> Any:
        return self.call("PUT", path, body, **kwargs)

    def patch(self, path: str, body: Any, **kwargs: Any) -> Any:
        return self.call("PATCH", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.call("DELETE", path, **kwargs)


@pytest.fixture
def scim(client: FlaskClient, scim_secret: str) -> Scim:
    return Scim(client, scim_secret)


def assert_scim_error(response: Any, status: int, scim_type: str | None = None) -> dict[str, Any]:
    """A SCIM Error message with this status (and scimType)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == SCIM_JSON
    body = json.loads(response.get_data())
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    return body


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    """The JSON body of a successful SCIM response."""
    assert response.status_code == status, response.get_data(as_text=True)
    if status == 204:
        return {}
    assert response.mimetype == SCIM_JSON
    return json.loads(response.get_data())
