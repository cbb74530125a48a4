"""A realistic small demo company in Shanghai: regions, teams, leads of teams, reps.

Later domains extend `load_demo` with territories, leads and visits.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.auth.passwords import hash_password
from app.db import utcnow
from app.demo_geo import load_territories_and_leads
from app.demo_visits import load_visits
from app.org.models import LocationConsent, NodeManager, Role, Staff
from app.org.service import insert_node

COMPANY = "Huadong Field Sales Co."
REGIONS = {
    "Puxi": ["Huangpu", "Jing'an", "Xuhui"],
    "Pudong": ["Lujiazui", "Zhangjiang"],
}
REP_NAMES = [
    "Wang Fang",
    "Li Na",
    "Zhang Wei",
    "Liu Yang",
    "Chen Jie",
    "Yang Min",
    "Zhao Lei",
    "Huang Ying",
    "Zhou Tao",
    "Wu Xia",
    "Xu Qiang",
    "Sun Li",
    "Ma Jun",
    "Zhu Hong",
    "Hu Bin",
]
Account = tuple[str, str, str, str]


def has_data(session: Session) -> bool:
    """True once any staff account exists."""
    return session.scalar(sa.select(sa.func.count()).select_from(Staff)) > 0


def _password() -> str:
    return os.environ.get("WAYPOINT_DEMO_PASSWORD") or secrets.token_urlsafe(9)


def _staff(session: Session, accounts: list[Account], **values: object) -> Staff:
    password = _password()
    staff = Staff(password_hash=hash_password(password), timezone="Asia/Shanghai", **values)
    session.add(staff)
    session.flush()
    session.add(
        LocationConsent(
            staff_id=staff.id,
            document_version="2026-01",
            consented_at=utcnow(),
            recorded_by_id=staff.id,
        )
    )
    accounts.append((staff.role, staff.employee_number, staff.name, password))
    return staff


def load_demo(session: Session, *, echo: Callable[[str], None] = print) -> list[Account]:
    """Create the demo org and accounts; returns (role, login, name, password) rows."""
    accounts: list[Account] = []
    company = insert_node(session, parent=None, name=COMPANY, kind="company")
    _staff(
        session,
        accounts,
        employee_number="A001",
        name="Admin Qian",
        role=Role.ADMIN,
        org_node_id=company.id,
        phone="+8613800000001",
        email="admin@huadong.example",
    )
    _staff(
        session,
        accounts,
        employee_number="H001",
        name="HR Shen",
        role=Role.HR,
        org_node_id=company.id,
        email="hr@huadong.example",
    )
    names = iter(REP_NAMES)
    number = 1
    nodes = {}
    for region_name, teams in REGIONS.items():
        region = insert_node(session, parent=company, name=f"{region_name} Region", kind="region")
        nodes[region.name] = region
        for team_name in teams:
            team = insert_node(session, parent=region, name=f"{team_name} Team", kind="team")
            nodes[team.name] = team
            lead = _staff(
                session,
                accounts,
                employee_number=f"T{team.id:03d}",
                name=f"Lead of {team_name}",
                role=Role.TEAM_LEAD,
                org_node_id=team.id,
            )
            session.add(NodeManager(staff_id=lead.id, org_node_id=team.id))
            for _ in range(3):
                _staff(
                    session,
                    accounts,
                    employee_number=f"R{number:03d}",
                    name=next(names, f"Rep {number}"),
                    role=Role.REP,
                    org_node_id=team.id,
                    phone=f"+86139{number:08d}",
                )
                number += 1
    echo(f"==> demo company {COMPANY!r}: {len(accounts)} accounts in {len(REGIONS)} regions")
    load_territories_and_leads(session, nodes=nodes, echo=echo)
    load_visits(session, echo=echo)
    return accounts
