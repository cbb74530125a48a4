"""Visit ingest with full spoof assessment, and the team-lead map query at a million visits.

Builds a throwaway migrated database for the chosen backend: a company of 4 regions x 10 teams
whose territories tile Shanghai in 0.1-degree boxes, 10,000 leads (a fifth owned), and 20 reps
per team (800) with location consent, round-the-clock working hours and a bound phone. Then:

  1. ingest: 10,000 check-ins by 200 reps over a working week, each through
     ``CheckInSchema().load`` and ``app.visits.service.check_in`` (territory check, gate, datum
     conversion, every spoof check with its context queries, the lead's clock) and committed
     on its own, like a request. Half of them then get one or two photo rows (random SHA-256
     and pHash, 2% reused, 10% from the album) and are re-assessed in the same transaction, as
     a photo upload does. The mix: 85% GPS, 6% indoor, 2% offline, 2% no fix, 2% mock, 2% far,
     1% replayed payloads;
  2. bulk load: 1,000,000 more visits by all 800 reps over the 90 days before the ingest week,
     clustered around their team's leads (COPY on PostGIS, executemany on SpatiaLite, through
     the real schema with its triggers and spatial index), then ANALYZE;
  3. map query: what ``GET /api/v1/visits/map`` runs for a team lead looking at their team's
     area for one day: ``app.visits.mapdata.visits_query`` (bbox through ``app.spatial.in_bbox``
     + ``visited_at`` window + scope predicate), and the whole ``mapdata.visit_map`` (visits,
     day tracks, territories, names, GeoJSON).

The database is dropped at exit. Don't run two backends at once on a small machine.

    .venv/bin/python bench/visits.py --backend spatialite|postgis [--quick]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from geoalchemy2.shape import from_shape
from shapely.geometry import box, mapping
from sqlalchemy.orm import Session, sessionmaker

from app import migrate, spatial
from app.auth.models import Device
from app.auth.tokens import generate_keyset_json
from app.config import Settings
from app.db import make_engine, make_sessionmaker
from app.demo_visits import SHANGHAI, Phone, checkin_body, moved
from app.leads import normalize
from app.leads.models import Lead
from app.org.models import LocationConsent, NodeManager, OrgNode, Role, Staff
from app.org.scope import Principal
from app.org.service import insert_node
from app.territories.models import Territory
from app.visits import assessment, mapdata, service
from app.visits.models import Visit, VisitPhoto
from app.visits.schemas import CheckInSchema
from bench._common import fresh_database
from geo import polygons

ALWAYS = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
WEST, SOUTH, CELL = 121.0, 30.95, 0.1  # 8 x 5 team boxes of 0.1 degree
COLUMNS, ROWS, REGIONS = 8, 5, 4
REPS_PER_TEAM = 20
INGEST_START = date(2026, 11, 16)  # a Monday; the bulk visits fill the 90 days before it
BULK_DAYS = 90
INGEST_MIX = (("gps", 85), ("indoor", 6), ("offline", 2), ("nofix", 2), ("mock", 2), ("far", 2))
BULK_VERDICTS = (("verified", 90), ("unverified", 5), ("suspicious", 4), ("rejected", 1))


# --- the org ------------------------------------------------------------------------------------


@dataclass
class Team:
    node: OrgNode
    territory_id: int
    bbox: tuple[float, float, float, float]
    lead: Principal  # the team lead, as the map sees them
    reps: list[Staff] = field(default_factory=list)
    leads: list[tuple[str, float, float, int | None]] = field(default_factory=list)


def _territory(session: Session, node: OrgNode, bbox: tuple[float, float, float, float]) -> int:
    shape = polygons.parse_geometry(mapping(box(*bbox)))
    territory = Territory(
        org_node_id=node.id,
        name=node.name,
        geom=from_shape(shape, srid=spatial.SRID),
        vertex_count=polygons.vertex_count(shape),
        area_m2=polygons.area_m2(shape),
    )
    session.add(territory)
    session.flush()
    return territory.id


def _person(session: Session, node: OrgNode, role: Role, number: int) -> Staff:
    staff = Staff(
        employee_number=f"B{number:05d}",
        name=f"Bench Person {number}",
        org_node_id=node.id,
        role=role.value,
        timezone="Asia/Shanghai",
        working_hours=ALWAYS,
    )
    session.add(staff)
    session.flush()
    session.add(LocationConsent(staff_id=staff.id, document_version="1", recorded_by_id=staff.id))
    session.add(Device(staff_id=staff.id, device_id=f"phone-{staff.id}", platform="android"))
    return staff


def populate(session: Session, *, leads: int, rng: random.Random) -> list[Team]:
    """The org, territories, staff and leads; returns the teams."""
    company = insert_node(session, parent=None, name="Company", kind="company")
    teams: list[Team] = []
    number = 0
    for r in range(REGIONS):
        cols = range(r * COLUMNS // REGIONS, (r + 1) * COLUMNS // REGIONS)
        region = insert_node(session, parent=company, name=f"Region {r}", kind="region")
        west = WEST + cols[0] * CELL
        _territory(session, region, (west, SOUTH, west + len(cols) * CELL, SOUTH + ROWS * CELL))
        for col in cols:
            for row in range(ROWS):
                node = insert_node(session, parent=region, name=f"Team {col}.{row}", kind="team")
                bbox = (WEST + col * CELL, SOUTH + row * CELL)
                bbox += (bbox[0] + CELL, bbox[1] + CELL)
                number += 1
                lead = _person(session, node, Role.TEAM_LEAD, number)
                session.add(NodeManager(staff_id=lead.id, org_node_id=node.id))
                principal = Principal(
                    staff_id=lead.id, role=Role.TEAM_LEAD, org_node_id=node.id, roots=(node.path,)
                )
                team = Team(node, _territory(session, node, bbox), bbox, principal)
                for _ in range(REPS_PER_TEAM):
                    number += 1
                    team.reps.append(_person(session, node, Role.REP, number))
                teams.append(team)
    claimed = datetime.combine(INGEST_START, datetime.min.time(), UTC) - timedelta(days=10)
    for n in range(leads):
        team = teams[n % len(teams)]
        x0, y0, x1, y1 = team.bbox
        lat, lon = rng.uniform(y0 + 0.002, y1 - 0.002), rng.uniform(x0 + 0.002, x1 - 0.002)
        owner = rng.choice(team.reps) if rng.random() < 0.2 else None
        name = f"Bench Customer {n}"
        session.add(
            Lead(
                id=f"L{n:06d}",
                name=name,
                name_key=normalize.name_key(name),
                lat=lat,
                lon=lon,
                raw_lat=lat,
                raw_lon=lon,
                datum="wgs84",
                geom=spatial.point(lon, lat),
                territory_id=team.territory_id,
                org_node_id=team.node.id,
                owner_id=owner.id if owner else None,
                claimed_at=claimed if owner else None,
                protected_until=claimed + timedelta(days=30) if owner else None,
            )
        )
        team.leads.append((f"L{n:06d}", lat, lon, owner.id if owner else None))
        if n % 2_000 == 1_999:
            session.flush()
    session.flush()
    return teams


# --- timing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    name: str
    samples_ns: list[int]
    note: str = ""

    def row(self) -> str:
        cuts = statistics.quantiles(self.samples_ns, n=100, method="inclusive")
        p50, p95, p99 = (cuts[i] / 1e6 for i in (49, 94, 98))
        rate = len(self.samples_ns) / (sum(self.samples_ns) / 1e9)
        return (
            f"| {self.name} | {len(self.samples_ns):,} | {p50:.2f} | {p95:.2f} | {p99:.2f} "
            f"| {rate:,.0f} | {self.note} |"
        )


# --- 1. ingest through the service --------------------------------------------------------------


class Ingest:
    """Phones of 200 reps sending check-ins through a working week."""

    def __init__(self, teams: list[Team], rng: random.Random) -> None:
        self.rng = rng
        self.reps = [(team, rep) for team in teams for rep in team.reps[:5]]
        start = datetime.combine(INGEST_START, datetime.min.time(), SHANGHAI)
        self.phones = {rep.id: Phone(f"phone-{rep.id}", start) for _, rep in self.reps}
        self.sent: dict[int, dict[str, Any]] = {}
        self.photos: list[str] = []

    def plan(self, count: int) -> Iterator[tuple[Team, Staff, datetime, str]]:
        """(team, rep, capture time, kind) in capture order: 10 visits a day per rep."""
        kinds, weights = zip(*INGEST_MIX, strict=True)
        day, slot = 0, 0
        for n in range(count):
            team, rep = self.reps[n % len(self.reps)]
            if n and n % len(self.reps) == 0:
                slot = (slot + 1) % 10
                day += slot == 0
            local = datetime.combine(INGEST_START + timedelta(days=day), datetime.min.time())
            captured = local.replace(hour=9, tzinfo=SHANGHAI) + timedelta(minutes=45 * slot)
            replay = rep.id in self.sent and self.rng.random() < 0.01
            kind = "replay" if replay else self.rng.choices(kinds, weights)[0]
            yield team, rep, captured + timedelta(seconds=self.rng.uniform(0, 600)), kind

    def body(self, n: int, team: Team, rep: Staff, captured: datetime, kind: str) -> Any:
        rng, phone = self.rng, self.phones[rep.id]
        if kind == "replay":
            replayed = {**self.sent[rep.id], "id": f"i{n:06d}"}
            return replayed, captured + timedelta(seconds=3)
        choices = [lead for lead in team.leads if lead[3] in (None, rep.id)]
        lead_id, lat, lon, _ = rng.choice(choices)
        sent = captured + timedelta(hours=3 if kind == "offline" else 0, seconds=3)
        metres = {"indoor": 90.0, "far": 3_000.0}.get(kind, 25.0)
        body = checkin_body(
            f"i{n:06d}",
            lead_id,
            phone,
            captured=captured,
            sent=sent,
            where=None if kind == "nofix" else moved(lat, lon, metres, rng.uniform(0, 360)),
            accuracy_m=rng.uniform(35, 80) if kind == "indoor" else rng.uniform(5, 20),
            provider="network" if kind == "indoor" else "gps",
            offline=kind == "offline",
            mock=kind == "mock",
        )
        self.sent.setdefault(rep.id, body)
        return body, sent

    def photo_rows(self, visit: Visit, captured: datetime) -> list[VisitPhoto]:
        rows = []
        for k in range(self.rng.choice((1, 2))):
            reused = self.photos and self.rng.random() < 0.02
            sha = self.rng.choice(self.photos) if reused else f"{self.rng.getrandbits(256):064x}"
            self.photos.append(sha)
            rows.append(
                VisitPhoto(
                    id=f"{visit.id}-p{k}",
                    visit_id=visit.id,
                    rep_id=visit.rep_id,
                    lead_id=visit.lead_id,
                    sha256=sha,
                    phash=f"{self.rng.getrandbits(64):016x}",
                    source="album" if self.rng.random() < 0.1 else "camera",
                    content_type="image/jpeg",
                    size_bytes=self.rng.randint(200_000, 900_000),
                    width=1920,
                    height=1440,
                    exif_taken_at=captured + timedelta(seconds=self.rng.uniform(30, 600)),
                )
            )
        return rows


def ingest(factory: sessionmaker[Session], teams: list[Team], count: int) -> list[Result]:
    """Check-ins one transaction each; half with photos re-assessed (see the module doc)."""
    feed = Ingest(teams, random.Random(11))
    principals = {
        rep.id: Principal(
            staff_id=rep.id, role=Role.REP, org_node_id=team.node.id, roots=(team.node.path,)
        )
        for team, rep in feed.reps
    }
    plain, photographed, verdicts = [], [], dict.fromkeys(("verified", "unverified"), 0)
    for n, (team, rep, captured, kind) in enumerate(feed.plan(count)):
        payload, sent = feed.body(n, team, rep, captured, kind)
        with_photos = feed.rng.random() < 0.5
        started = time.perf_counter_ns()
        with factory() as session:
            visit_in = CheckInSchema().load(payload)
            visit, _ = service.check_in(session, principals[rep.id], visit_in=visit_in, now=sent)
            if with_photos:
                session.add_all(feed.photo_rows(visit, captured))
                session.flush()
                lead = session.get(Lead, visit.lead_id)
                assessment.assess(session, visit, lead, now=sent)  # type: ignore[arg-type]
            verdict = visit.verdict
            session.commit()
        (photographed if with_photos else plain).append(time.perf_counter_ns() - started)
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
        if n % 1_000 == 999:
            print(f"  ingested {n + 1:,}", file=sys.stderr)
    mix = ", ".join(f"{v} {k}" for k, v in sorted(verdicts.items()))
    return [
        Result("check-in, no photo", plain),
        Result("check-in + 1-2 photo rows, re-assessed", photographed),
        Result("all ingested visits", plain + photographed, mix),
    ]


# --- 2. bulk load -------------------------------------------------------------------------------


# fmt: off
BULK_COLUMNS = (
    "id", "rep_id", "lead_id", "org_node_id", "territory_id", "device_id", "visited_at",
    "captured_at", "received_at", "captured_offline", "location_collected", "lat", "lon", "geom",
    "raw_lat", "raw_lon", "datum", "accuracy_m", "fix_time", "verdict", "score", "findings",
    "assessed_at", "created_at", "updated_at",
)
# fmt: on


def bulk_rows(teams: list[Team], count: int, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    """Visits clustered around each team's leads, by all reps, 90 days, ~14 a day each."""
    verdicts, weights = zip(*BULK_VERDICTS, strict=True)
    reps = [(team, rep) for team in teams for rep in team.reps]
    per_day = math.ceil(count / (BULK_DAYS * len(reps)))
    n = 0
    for d in range(BULK_DAYS, 0, -1):
        day = datetime.combine(INGEST_START - timedelta(days=d), datetime.min.time())
        opening = day.replace(hour=8, minute=30, tzinfo=SHANGHAI).astimezone(UTC)
        for team, rep in reps:
            for k in range(per_day):
                if n == count:
                    return
                lead_id, lat, lon, _ = rng.choice(team.leads)
                lat, lon = moved(lat, lon, abs(rng.gauss(0, 25)), rng.uniform(0, 360))
                at = opening + timedelta(minutes=35 * k + rng.uniform(0, 20))
                verdict = rng.choices(verdicts, weights)[0]
                yield (
                    f"b{n:07d}",
                    rep.id,
                    lead_id,
                    team.node.id,
                    team.territory_id,
                    f"phone-{rep.id}",
                    at,
                    at,
                    at + timedelta(seconds=3),
                    False,
                    True,
                    lat,
                    lon,
                    (lon, lat),
                    lat,
                    lon,
                    "wgs84",
                    round(rng.uniform(4, 30), 1),
                    at - timedelta(seconds=5),
                    verdict,
                    100 if verdict == "verified" else 40,
                    "[]",
                    at + timedelta(seconds=3),
                    at + timedelta(seconds=3),
                    at + timedelta(seconds=3),
                )
                n += 1


def _sqlite_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    out: list[Any] = []
    for value in row:
        if isinstance(value, datetime):
            out.append(value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"))
        elif isinstance(value, tuple):
            out.extend(value)  # MakePoint(lon, lat, srid)
        else:
            out.append(value)
    return tuple(out)


def bulk_load(engine: sa.Engine, teams: list[Team], count: int) -> float:
    """Load `count` visits the fast way; returns the seconds it took (ANALYZE included)."""
    rows = bulk_rows(teams, count, random.Random(5))
    started = time.perf_counter()
    columns = ", ".join(BULK_COLUMNS)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            raw = conn.connection.driver_connection
            with raw.cursor() as cur, cur.copy(f"COPY visits ({columns}) FROM STDIN") as copy:  # type: ignore[union-attr]
                for row in rows:
                    lon, lat = row[13]
                    copy.write_row((*row[:13], f"SRID=4326;POINT({lon!r} {lat!r})", *row[14:]))
            raw.commit()  # the COPY ran on the driver connection, outside SQLAlchemy's transaction
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE visits"))
    else:
        marks = ", ".join("MakePoint(?, ?, 4326)" if c == "geom" else "?" for c in BULK_COLUMNS)
        sql = f"INSERT INTO visits ({columns}) VALUES ({marks})"  # noqa: S608 (our columns)
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("BEGIN")
            batch: list[tuple[Any, ...]] = []
            for row in rows:
                batch.append(_sqlite_row(row))
                if len(batch) == 20_000:
                    cur.executemany(sql, batch)
                    batch.clear()
            cur.executemany(sql, batch)
            cur.execute("COMMIT")
            cur.execute("ANALYZE")
        finally:
            raw.close()
    return time.perf_counter() - started


# --- 3. the map query ---------------------------------------------------------------------------


def one_day(rng: random.Random) -> tuple[datetime, datetime]:
    """A random local day (Asia/Shanghai) of the bulk period, as a UTC window."""
    day = INGEST_START - timedelta(days=rng.randint(1, BULK_DAYS))
    since = datetime.combine(day, datetime.min.time(), SHANGHAI).astimezone(UTC)
    return since, since + timedelta(days=1)


def map_statement(dialect: str, team: Team, since: Any, until: Any) -> sa.Select[Any]:
    """The visits query of the map endpoint for a team lead, their team's area, one day
    (the filters `mapdata.visit_map` builds, then its `visits_query`)."""
    filters = [
        service.visible(team.lead),
        Visit.geom.is_not(None),
        Visit.visited_at >= since,
        Visit.visited_at < until,
    ]
    stmt = mapdata.visits_query(dialect, filters, bbox=team.bbox)
    return stmt.limit(mapdata.MAX_VISITS + 1)


def node_time_statement(team: Team, since: Any, until: Any) -> sa.Select[Any]:
    """For comparison: the same visits with the bbox on the plain lat/lon columns, which leaves
    the planner the (org_node_id, visited_at) index instead of the spatial one."""
    x0, y0, x1, y1 = team.bbox
    filters = [
        service.visible(team.lead),
        Visit.geom.is_not(None),
        Visit.visited_at >= since,
        Visit.visited_at < until,
        Visit.lon.between(x0, x1),
        Visit.lat.between(y0, y1),
    ]
    return mapdata.visits_query("", filters).limit(mapdata.MAX_VISITS + 1)


def explain(session: Session, team: Team, since: datetime, until: datetime) -> str:
    """The plan of one map query (times as literals in the stored format)."""
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        low, high = (f"'{t.isoformat()}'::timestamptz" for t in (since, until))
    else:
        low, high = (f"'{t.astimezone(UTC):%Y-%m-%d %H:%M:%S.%f}'" for t in (since, until))
    prefix = "EXPLAIN ANALYZE" if dialect.name == "postgresql" else "EXPLAIN QUERY PLAN"
    plans = []
    for stmt in (
        map_statement(dialect.name, team, sa.literal_column(low), sa.literal_column(high)),
        node_time_statement(team, sa.literal_column(low), sa.literal_column(high)),
    ):
        sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        rows = session.execute(sa.text(f"{prefix} {sql}")).all()
        plans.append("\n".join("    " + " ".join(str(v) for v in row) for row in rows))
    return "\n\n".join(plans)


def map_queries(
    factory: sessionmaker[Session], teams: list[Team], n: int
) -> tuple[list[Result], str]:
    rng = random.Random(3)
    samples = [(rng.choice(teams), *one_day(rng)) for _ in range(n + 20)]
    query_ns, full_ns, alternative_ns, rows_seen = [], [], [], []
    with factory() as session:
        dialect = session.get_bind().dialect.name
        plan = explain(session, *samples[0])
        for i, (team, since, until) in enumerate(samples):
            started = time.perf_counter_ns()
            rows = session.execute(map_statement(dialect, team, since, until)).all()
            elapsed = time.perf_counter_ns() - started
            session.rollback()
            started = time.perf_counter_ns()
            mapdata.visit_map(session, team.lead, since=since, until=until, bbox=team.bbox)
            full = time.perf_counter_ns() - started
            session.rollback()
            started = time.perf_counter_ns()
            same = session.execute(node_time_statement(team, since, until)).all()
            alternative = time.perf_counter_ns() - started
            session.rollback()
            assert len(same) == len(rows)
            if i >= 20:  # warm-up
                query_ns.append(elapsed)
                full_ns.append(full)
                alternative_ns.append(alternative)
                rows_seen.append(len(rows))
    note = f"{statistics.median(rows_seen):.0f} visits per answer (median)"
    return [
        Result("map visits query (team lead, team bbox, one day)", query_ns, note),
        Result("map: whole visit_map (visits, tracks, territories)", full_ns, note),
        Result("for comparison: bbox on lat/lon, node+time index", alternative_ns, note),
    ], plan


# --- main ---------------------------------------------------------------------------------------


def run(args: argparse.Namespace, url: str, tmp_dir: Path) -> list[str]:
    settings = Settings(
        env="production",
        instance_path=tmp_dir,
        database_url=url,
        jwt_keys=generate_keyset_json("bench-1"),
        ratelimit_enabled=False,
    ).validated()
    engine = make_engine(settings)
    migrate.upgrade(engine)
    factory: sessionmaker[Session] = make_sessionmaker(engine)
    lines: list[str] = []
    with factory() as session:
        started = time.perf_counter()
        teams = populate(session, leads=args.leads, rng=random.Random(1))
        session.commit()
        reps = sum(len(t.reps) for t in teams)
        lines.append(
            f"data: {len(teams)} teams, {reps} reps, {args.leads:,} leads "
            f"({time.perf_counter() - started:.1f} s)"
        )
    print(lines[-1], file=sys.stderr)
    results = ingest(factory, teams, args.ingest)
    wall = sum(sum(r.samples_ns) for r in results[:2]) / 1e9
    lines.append(f"ingest: {args.ingest:,} visits in {wall:.1f} s = {args.ingest / wall:.1f}/s")
    print(lines[-1], file=sys.stderr)
    seconds = bulk_load(engine, teams, args.bulk)
    with factory() as session:
        total = session.scalar(sa.select(sa.func.count()).select_from(Visit))
    lines.append(f"bulk load: {args.bulk:,} visits in {seconds:.0f} s; {total:,} visits stored")
    print(lines[-1], file=sys.stderr)
    mapped, plan = map_queries(factory, teams, args.queries)
    engine.dispose()
    lines += ["", "| measure | n | p50 ms | p95 ms | p99 ms | per second | note |"]
    lines += ["|---|---:|---:|---:|---:|---:|---|"]
    lines += [r.row() for r in [*results, *mapped]]
    lines += ["", "plans of the map visits query, and of the comparison:", plan]
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("spatialite", "postgis"), default="spatialite")
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--ingest", type=int, default=10_000, help="visits through the service")
    parser.add_argument("--bulk", type=int, default=1_000_000, help="visits bulk-loaded")
    parser.add_argument("--queries", type=int, default=500, help="timed map queries")
    parser.add_argument("--quick", action="store_true", help="small run, to check it works")
    args = parser.parse_args(argv)
    if args.quick:
        args.leads, args.ingest, args.bulk, args.queries = 2_000, 400, 20_000, 50

    with (
        tempfile.TemporaryDirectory() as tmp,
        fresh_database(args.backend, Path(tmp), name="bench-visits") as url,
    ):
        lines = run(args, url, Path(tmp))
    print(
        f"\n{args.backend}: Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{time.strftime('%Y-%m-%d')}; load average {os.getloadavg()[0]:.1f} at the end\n"
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
