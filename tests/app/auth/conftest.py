"""Org and people most auth tests need: a company, one team, a rep, its lead and an admin."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from app.auth.guard import AUTH_KEY
from app.auth.service import AuthConfig
from app.org.models import OrgNode, Role, Staff
from tests.factories import make_node, make_staff


@pytest.fixture
def company(db: Session) -> OrgNode:
    return make_node(db, name="Company", kind="company")


@pytest.fixture
def team(db: Session, company: OrgNode) -> OrgNode:
    region = make_node(db, company, name="North", kind="region")
    return make_node(db, region, name="Team A")


@pytest.fixture
def rep(db: Session, team: OrgNode) -> Staff:
    return make_staff(db, team, Role.REP, phone="+86 138 0000 0001")


@pytest.fixture
def lead(db: Session, team: OrgNode) -> Staff:
    return make_staff(db, team, Role.TEAM_LEAD)


@pytest.fixture
def admin(db: Session, company: OrgNode) -> Staff:
    return make_staff(db, company, Role.ADMIN)


@pytest.fixture
def auth_config(app: Flask) -> AuthConfig:
    config: AuthConfig = app.extensions[AUTH_KEY]
    return config
