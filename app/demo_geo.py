"""Demo territories for the Shanghai company and 2,000 leads spread over them.

District outlines are simplified (corner-cut boxes around the real districts), so that
regions contain their teams and no two teams overlap.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import sqlalchemy as sa
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy.orm import Session

from app.db import utcnow
from app.leads import normalize
from app.leads.models import Lead, OwnerChange
from app.leads.pool import change_owner
from app.org.models import OrgNode, Role, Staff
from app.spatial import point
from app.territories.models import Territory
from geo import polygons

# (min_lon, min_lat, max_lon, max_lat) per region and team.
REGION_BOXES = {
    "Puxi Region": (121.380, 31.140, 121.505, 31.262),
    "Pudong Region": (121.505, 31.140, 121.660, 31.262),
}
TEAM_BOXES = {
    "Xuhui Team": (121.392, 31.148, 121.460, 31.215),
    "Jing'an Team": (121.400, 31.215, 121.460, 31.255),
    "Huangpu Team": (121.460, 31.182, 121.503, 31.255),
    "Lujiazui Team": (121.507, 31.205, 121.560, 31.255),
    "Zhangjiang Team": (121.560, 31.150, 121.650, 31.230),
}
BRANDS = [
    "华联",
    "联华",
    "全家",
    "好德",
    "可的",
    "光明",
    "老凤祥",
    "永和",
    "新华",
    "百联",
    "鸿福",
    "金鼎",
    "星光",
    "东方",
    "海天",
    "瑞丰",
    "恒通",
    "顺发",
    "嘉禾",
    "同济",
]
TRADES = [
    "超市",
    "便利店",
    "药房",
    "咖啡馆",
    "五金店",
    "餐厅",
    "酒店",
    "健身房",
    "书店",
    "花店",
    "面包房",
    "汽修厂",
    "诊所",
    "茶庄",
    "电器行",
]
STREETS = ["南京路", "淮海路", "徐家汇路", "陆家嘴环路", "张江路", "延安路", "世纪大道", "肇嘉浜路"]


def _outline(box: tuple[float, float, float, float], cut: float = 0.15) -> dict[str, object]:
    """A box with its corners cut: looks like a district, stays inside the box."""
    x0, y0, x1, y1 = box
    dx, dy = (x1 - x0) * cut, (y1 - y0) * cut
    ring = [
        [x0 + dx, y0],
        [x1 - dx, y0],
        [x1, y0 + dy],
        [x1, y1 - dy],
        [x1 - dx, y1],
        [x0 + dx, y1],
        [x0, y1 - dy],
        [x0, y0 + dy],
        [x0 + dx, y0],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def _territory(
    session: Session, node: OrgNode, name: str, geometry: dict[str, object]
) -> Territory:
    shape = polygons.parse_geometry(geometry)
    territory = Territory(
        org_node_id=node.id,
        name=name,
        geom=from_shape(shape, srid=4326),
        vertex_count=polygons.vertex_count(shape),
        area_m2=polygons.area_m2(shape),
    )
    session.add(territory)
    session.flush()
    return territory


def load_territories_and_leads(
    session: Session,
    *,
    nodes: dict[str, OrgNode],
    leads: int = 2_000,
    echo: Callable[[str], None] = print,
) -> None:
    """Regions and teams get their district territories; leads fill the team areas."""
    rng = random.Random(20261123)  # noqa: S311 (demo data, not security)
    for name, box in REGION_BOXES.items():
        _territory(session, nodes[name], name.replace(" Region", ""), _outline(box, 0.0))
    team_areas = []
    for name, box in TEAM_BOXES.items():
        area = _territory(session, nodes[name], name.replace(" Team", ""), _outline(box))
        staff = session.scalars(sa.select(Staff).where(Staff.org_node_id == nodes[name].id)).all()
        reps = [s for s in staff if s.role == Role.REP.value]
        lead_of = next((s for s in staff if s.role == Role.TEAM_LEAD.value), None)
        team_areas.append((area, nodes[name], box, reps, lead_of))
    now = utcnow()
    shape_cache = {a.id: polygons.parse_geometry(_outline(b)) for a, _, b, _, _ in team_areas}
    owned = 0
    for number in range(1, leads + 1):
        area, node, box, reps, lead_of = team_areas[number % len(team_areas)]
        while True:
            lon, lat = rng.uniform(box[0], box[2]), rng.uniform(box[1], box[3])
            if shape_cache[area.id].contains(Point(lon, lat)):
                break
        name = f"{rng.choice(BRANDS)}{rng.choice(TRADES)}({rng.choice(STREETS)}{number}号)"
        lead = Lead(
            id=f"demo-{number:05d}",
            name=name,
            name_key=normalize.name_key(name),
            contact_person=rng.choice(["王经理", "李店长", "张老板", "陈女士", "刘先生"]),
            phone=f"+86 21 {rng.randint(5000_0000, 6999_9999)}",
            address=f"上海市{name[-10:]}",
            lat=lat,
            lon=lon,
            raw_lat=lat,
            raw_lon=lon,
            datum="wgs84",
            geom=point(lon, lat),
            territory_id=area.id,
            org_node_id=node.id,
            stage=rng.choice(["new"] * 6 + ["contacted"] * 3 + ["qualified", "won"]),
            created_at=now,
            updated_at=now,
        )
        lead.phone_key = normalize.phone_key(lead.phone)
        session.add(lead)
        session.flush()
        if reps and rng.random() < 0.15:
            change_owner(
                session,
                lead=lead,
                to_owner=rng.choice(reps),
                actor_id=lead_of.id if lead_of else None,
                reason=OwnerChange.ASSIGN,
                expected_owner_id=None,
                note="demo data",
            )
            owned += 1
    areas = len(REGION_BOXES) + len(TEAM_BOXES)
    echo(f"==> demo territories: {areas}; leads: {leads} ({owned} owned)")
