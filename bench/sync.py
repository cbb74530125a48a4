"""Large first sync (issue 5, item 8): a rep's first pull and a push of offline visits.

Builds a throwaway migrated database for the chosen backend: one team whose territory holds
20,000 leads in the rep's scope (public pool and the rep's own) and 5,000 of the rep's visits
over the last 60 days, plus another team's leads the rep must not get. Rows are bulk-loaded
with executemany; the sync triggers stamp them as any write would (checked). Then, through
the Flask test client:

  1. first pull (`last_pulled_at=null`) without and with `Accept-Encoding: gzip`: time,
     response bytes and peak RSS. Each mode runs in its own child process (bench/sync_pull.py,
     which imports what a server worker does and no more), so that the peak belongs to the
     pull and not to the data load or the benchmark's tooling: the child reports its RSS
     before the first pull and its peak (VmHWM) after the last, reading each response as a
     server sends it, chunk by chunk. The gzip child also takes one pull apart (service,
     commit, JSON, gzip) and traces the memory of the records and of encoding them;
  2. a push of 1,000 visits created offline (whole WatermelonDB raw records with fix columns
     and the phone's clocks), each checked in and assessed by the spoof checks; new ids and
     the current cursor every run. Each run is another offline trip: its visits span the
     five days before the previous run's (200 a day on top of the rep's ~80). `--same-days`
     puts every run in the last five days instead, a stress case: run k then meets k
     thousand of the rep's visits in those days.

Every measure reports wall time and CPU time (this process plus, on PostgreSQL, its backends
read from /proc): the machine is shared, and under load the wall time includes waiting for a
CPU. p50 (min, max) over the runs. Targets: first pull <= 2 s and <= 200 MB peak RSS; push of
1,000 visits <= 1 s on PostgreSQL. `--profile` adds cProfile listings of one pull and one push
of `--profile-visits` visits. The database is dropped at exit.

    .venv/bin/python bench/sync.py --backend spatialite|postgis [--runs 5] [--push-runs 3]
        [--leads 20000] [--visits 5000] [--push 1000] [--noise 10000] [--same-days] [--quick]
        [--profile]
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import gc
import io
import json
import os
import pstats
import random
import secrets
import statistics
import string
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from flask.testing import FlaskClient
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, Point, box
from sqlalchemy.orm import Session

from app import create_app
from app.auth.passwords import hash_password
from app.auth.tokens import generate_keyset_json
from app.db import make_engine, make_sessionmaker
from app.leads import normalize
from app.leads.models import Lead
from app.org.models import LocationConsent, Role, Staff
from app.org.service import insert_node
from app.territories.models import Territory
from app.visits.models import Visit
from bench._common import bench_database, load_average, machine, software
from bench.sync_pull import DEVICE_ID, Clock, first_pull, settings_for

PASSWORD = "bench-password-1234"  # noqa: S105 (the throwaway account's password)
ALWAYS = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
TEAM_BOX = (121.40, 31.20, 121.50, 31.30)  # lon/lat, about 9.5 x 11 km
NOISE_BOX = (121.30, 31.20, 121.40, 31.30)
OWNED = 2_000  # of the rep's leads, the ones it owns (its visits go to these)
CHUNK = 2_000
PULL_TARGET_S, PULL_TARGET_MB, PUSH_TARGET_S = 2.0, 200.0, 1.0
ALNUM = string.ascii_letters + string.digits


def watermelon_id(rng: random.Random) -> str:
    """A WatermelonDB-style id: 16 alphanumerics."""
    return "".join(rng.choices(ALNUM, k=16))


# ------------------------------------------------------------------------------------------
# Data
# ------------------------------------------------------------------------------------------
def _territory(session: Session, node_id: int, bounds: tuple[float, ...], name: str) -> int:
    shape = MultiPolygon([box(*bounds)])
    territory = Territory(
        org_node_id=node_id,
        name=name,
        geom=from_shape(shape, srid=4326),
        vertex_count=4,
        area_m2=1.0e8,
    )
    session.add(territory)
    session.flush()
    return territory.id


def _lead_rows(
    rng: random.Random,
    count: int,
    *,
    bounds: tuple[float, ...],
    territory_id: int,
    node_id: int,
    owner_id: int | None,
    start: int,
    now: datetime,
) -> list[dict[str, Any]]:
    rows = []
    for i in range(start, start + count):
        lon = rng.uniform(bounds[0] + 0.001, bounds[2] - 0.001)
        lat = rng.uniform(bounds[1] + 0.001, bounds[3] - 0.001)
        name = f"Bench Trading Company {i:06d}"
        phone = f"+86 21 {6000_0000 + i:08d}"
        created = now - timedelta(days=rng.uniform(30, 400))
        rows.append(
            {
                "id": f"BL{i:07d}",
                "name": name,
                "name_key": normalize.name_key(name),
                "contact_person": f"Contact {i % 977}",
                "phone": phone,
                "phone_key": normalize.phone_key(phone),
                "address": f"{i % 900 + 1} Bench Road, Building {i % 37}, Shanghai",
                "lat": lat,
                "lon": lon,
                "geom": from_shape(Point(lon, lat), srid=4326),
                "raw_lat": lat,
                "raw_lon": lon,
                "datum": "wgs84",
                "territory_id": territory_id,
                "org_node_id": node_id,
                "owner_id": owner_id,
                "stage": "contacted" if owner_id else "new",
                "claimed_at": now - timedelta(days=70) if owner_id else None,
                "created_at": created,
                "updated_at": created,
            }
        )
    return rows


def _visit_rows(
    rng: random.Random,
    count: int,
    *,
    rep_id: int,
    node_id: int,
    territory_id: int,
    leads: list[tuple[str, float, float]],
    now: datetime,
) -> list[dict[str, Any]]:
    rows = []
    for i in range(count):
        lead_id, lat, lon = leads[i % len(leads)]
        at = now - timedelta(days=60) + timedelta(minutes=17 * i + rng.uniform(0, 5))
        flat, flon = lat + rng.uniform(-2e-4, 2e-4), lon + rng.uniform(-2e-4, 2e-4)
        fix = {
            "lat": flat,
            "lon": flon,
            "raw_lat": flat,
            "raw_lon": flon,
            "datum": "wgs84",
            "accuracy_m": 9.0,
            "provider": "gps",
            "fix_time": (at - timedelta(seconds=3)).isoformat(),
            "is_mock": False,
            "satellites": 12,
        }
        suspicious = i % 10 == 0
        rows.append(
            {
                "id": f"BV{i:07d}",
                "rep_id": rep_id,
                "lead_id": lead_id,
                "org_node_id": node_id,
                "territory_id": territory_id,
                "device_id": DEVICE_ID,
                "visited_at": at,
                "captured_at": at,
                "received_at": at + timedelta(minutes=1),
                "captured_offline": i % 7 == 0,
                "location_collected": True,
                "lat": flat,
                "lon": flon,
                "geom": from_shape(Point(flon, flat), srid=4326),
                "raw_lat": flat,
                "raw_lon": flon,
                "datum": "wgs84",
                "accuracy_m": 9.0,
                "fix_time": at - timedelta(seconds=3),
                "checkin_fix": fix,
                "evidence": {"series": [], "wifi_bssids": [], "cell_ids": []},
                "checked_out_at": at + timedelta(minutes=25),
                "notes": f"Visit {i}: discussed the next order and delivery dates.",
                "outcome": "followed_up",
                "next_step": "Call back next week",
                "verdict": "suspicious" if suspicious else "verified",
                "score": 55 if suspicious else 100,
                "findings": (
                    [
                        {
                            "code": "far_from_customer",
                            "severity": "high",
                            "message": "Checked in 640 m from the customer's pin.",
                            "evidence": {"distance_m": 640, "accuracy_m": 9},
                        }
                    ]
                    if suspicious
                    else []
                ),
                "assessed_at": at + timedelta(minutes=1),
                "created_at": at + timedelta(minutes=1),
                "updated_at": at + timedelta(minutes=1),
            }
        )
    return rows


def _insert(session: Session, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        session.execute(sa.insert(table), rows[start : start + CHUNK])


def populate(session: Session, args: argparse.Namespace) -> dict[str, Any]:
    """The org, the rep and the bulk rows; returns what the measures need."""
    rng = random.Random(7)
    now = datetime.now(UTC)
    company = insert_node(session, parent=None, name="Company", kind="company")
    region = insert_node(session, parent=company, name="East", kind="region")
    team = insert_node(session, parent=region, name="Team A", kind="team")
    other = insert_node(session, parent=region, name="Team B", kind="team")
    rep = Staff(
        employee_number="BENCH-REP",
        name="Bench Rep",
        org_node_id=team.id,
        role=Role.REP.value,
        password_hash=hash_password(PASSWORD),
        timezone="UTC",
        working_hours=ALWAYS,
    )
    session.add(rep)
    session.flush()
    session.add(
        LocationConsent(
            staff_id=rep.id, document_version="2026-01", consented_at=now, recorded_by_id=rep.id
        )
    )
    territory_id = _territory(session, team.id, TEAM_BOX, "Team A territory")
    noise_territory = _territory(session, other.id, NOISE_BOX, "Team B territory")
    session.commit()

    owned = min(OWNED, args.leads)
    lead_table: sa.Table = Lead.__table__  # type: ignore[assignment]
    common = {"bounds": TEAM_BOX, "territory_id": territory_id, "node_id": team.id, "now": now}
    mine = _lead_rows(rng, owned, owner_id=rep.id, start=0, **common)
    _insert(session, lead_table, mine)
    _insert(
        session,
        lead_table,
        _lead_rows(rng, args.leads - owned, owner_id=None, start=owned, **common),
    )
    if args.noise:
        _insert(
            session,
            lead_table,
            _lead_rows(
                rng,
                args.noise,
                bounds=NOISE_BOX,
                territory_id=noise_territory,
                node_id=other.id,
                owner_id=None,
                start=args.leads,
                now=now,
            ),
        )
    session.commit()
    targets = [(r["id"], r["lat"], r["lon"]) for r in mine]
    visit_table: sa.Table = Visit.__table__  # type: ignore[assignment]
    _insert(
        session,
        visit_table,
        _visit_rows(
            rng,
            args.visits,
            rep_id=rep.id,
            node_id=team.id,
            territory_id=territory_id,
            leads=targets,
            now=now,
        ),
    )
    session.commit()
    stamped = session.scalar(
        sa.select(sa.func.count()).select_from(Lead).where(Lead.sync_version > 1)
    )
    assert stamped == args.leads + args.noise, "the triggers stamp bulk-loaded rows"
    return {"rep_id": rep.id, "targets": targets}


# ------------------------------------------------------------------------------------------
# Measures
# ------------------------------------------------------------------------------------------
def login(client: FlaskClient) -> str:
    body = {"login": "BENCH-REP", "password": PASSWORD, "device_id": DEVICE_ID, "platform": "ios"}
    response = client.post("/api/v1/auth/login", json=body)
    if response.status_code != 200:
        raise SystemExit(f"login failed: {response.get_data(as_text=True)}")
    return response.get_json()["access_token"]


def measure_pulls(args: argparse.Namespace, url: str, tmp: Path, keys: Path, token: str) -> dict:
    results = {}
    for accept_gzip in (False, True):
        command = [
            sys.executable,
            str(Path(__file__).with_name("sync_pull.py")),
            "--url",
            url,
            "--tmp",
            str(tmp),
            "--keys",
            str(keys),
            "--token",
            token,
            "--runs",
            str(args.runs),
        ]
        if accept_gzip:
            command += ["--gzip", "--split"]
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            raise SystemExit(f"pull child failed:\n{done.stderr[-4000:]}")
        results["gzip" if accept_gzip else "identity"] = json.loads(done.stdout.splitlines()[-1])
    return results


PUSH_SPAN_MS = 5 * 24 * 3600 * 1000  # the days one push's visits were captured over


def offline_visits(
    rng: random.Random,
    targets: list[tuple[str, float, float]],
    count: int,
    now_ms: int,
    *,
    trip: int = 0,
) -> list[dict[str, Any]]:
    """`count` visits as WatermelonDB pushes them: whole raw records, created offline over
    five days at the rep's own leads, with fix columns and the phone's clocks. Trip 0 is the
    last five days, trip 1 the five before, and so on."""
    uptime_now = 90 * 24 * 3600 * 1000  # the phone has been up ninety days
    start = now_ms - (trip + 1) * PUSH_SPAN_MS
    visits = []
    for i in range(count):
        lead_id, lat, lon = targets[rng.randrange(len(targets))]
        captured = start + i * (PUSH_SPAN_MS // count) + rng.randrange(60_000)
        visits.append(
            {
                "id": watermelon_id(rng),
                "_status": "created",
                "_changed": "",
                "lead_id": lead_id,
                "device_id": DEVICE_ID,
                "captured_at": captured,
                "captured_offline": True,
                "capture_elapsed_ms": uptime_now - (now_ms - captured),
                "capture_boot_count": 3,
                "upload_device_time": now_ms,
                "upload_elapsed_ms": uptime_now,
                "upload_boot_count": 3,
                "fix_lat": lat + rng.uniform(-1e-4, 1e-4),
                "fix_lon": lon + rng.uniform(-1e-4, 1e-4),
                "fix_datum": "wgs84",
                "fix_accuracy_m": 8.0,
                "fix_provider": "gps",
                "fix_is_mock": False,
                "fix_satellites": 13,
                "fix_time": captured - 3000,
                "notes": f"Offline visit {i}: stock checked, order taken.",
                "outcome": "followed_up",
                "next_step": None,
                "checked_out_at": None,
                "verdict": None,
                "score": None,
                "findings_json": None,
                "visited_at": None,
                "updated_at": captured,
            }
        )
    return visits


def measure_pushes(
    args: argparse.Namespace, client: FlaskClient, token: str, engine: sa.Engine, targets: list
) -> dict[str, Any]:
    rng = random.Random(11)
    headers = {"Authorization": f"Bearer {token}"}
    clock, verdicts, sizes, findings = Clock(engine), {}, [], collections.Counter()
    for run in range(args.push_runs):
        with engine.connect() as conn:
            cursor = conn.execute(sa.text("SELECT value FROM sync_counter WHERE id = 1")).scalar()
        now_ms = int(time.time() * 1000)
        trip = 0 if args.same_days else run
        visits = offline_visits(rng, targets, args.push, now_ms, trip=trip)
        body = json.dumps({"visits": {"created": visits, "updated": [], "deleted": []}})
        sizes.append(len(body))
        with clock:
            response = client.post(
                f"/api/v1/sync/push?last_pulled_at={cursor}",
                data=body,
                headers={**headers, "Content-Type": "application/json"},
            )
        if response.status_code != 200 or response.get_json():
            raise SystemExit(f"push failed: {response.status_code} {response.get_data()[:2000]}")
        with engine.connect() as conn:
            ids = [v["id"] for v in visits]
            rows = conn.execute(
                sa.select(Visit.verdict, sa.func.count())
                .where(Visit.id.in_(ids))
                .group_by(Visit.verdict)
            ).all()
            for (visit_findings,) in conn.execute(
                sa.select(Visit.findings).where(Visit.id.in_(ids))
            ):
                findings.update(f["code"] for f in visit_findings)
        assert sum(n for _, n in rows) == args.push, "every pushed visit was checked in"
        for verdict, n in rows:
            verdicts[verdict] = verdicts.get(verdict, 0) + n
    return {
        "times": clock.wall,
        "cpu": clock.cpu,
        "verdicts": verdicts,
        "findings": dict(findings.most_common()),
        "bytes": statistics.median(sizes),
    }


def profile(label: str, call: Any, top: int = 25) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    call()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    print(f"\n--- profile: {label} (by cumulative, then own time; top {top})\n{out.getvalue()}")


# ------------------------------------------------------------------------------------------
# Main
# ------------------------------------------------------------------------------------------
def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def fmt(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    return f"{statistics.median(ms):,.0f} ms (min {ms[0]:,.0f}, max {ms[-1]:,.0f})"


def run(args: argparse.Namespace) -> None:
    name = f"waypoint_bench_sync_{os.getpid()}_{secrets.token_hex(2)}"
    with (
        tempfile.TemporaryDirectory() as tmp_name,
        bench_database(args.backend, name, keep=False, fresh=True) as db,
    ):
        tmp = Path(tmp_name)
        keys = tmp / "keys.json"
        keys.write_text(generate_keyset_json("bench-sync-1"))
        settings = settings_for(db.url, tmp, keys.read_text())
        engine = make_engine(settings)
        factory = make_sessionmaker(engine)
        started = time.perf_counter()
        with factory() as session:
            data = populate(session, args)
        print(
            f"data: {args.leads:,} leads in the rep's scope ({min(OWNED, args.leads):,} its "
            f"own), {args.visits:,} visits, {args.noise:,} leads elsewhere "
            f"({time.perf_counter() - started:.1f} s to load)",
            file=sys.stderr,
        )
        app = create_app(settings, sessions=factory)
        gc.freeze()  # as wsgi.py does once the app is built
        client = app.test_client()
        token = login(client)
        pulls = measure_pulls(args, db.url, tmp, keys, token)
        if args.profile:
            profile(
                "first pull, gzip",
                lambda: first_pull(client, token, accept_gzip=True),
                args.profile_top,
            )
        pushes = measure_pushes(args, client, token, engine, data["targets"])
        if args.profile:
            rng = random.Random(99)

            def one_push() -> None:
                with engine.connect() as conn:
                    cursor = conn.execute(sa.text("SELECT value FROM sync_counter")).scalar()
                now_ms = int(time.time() * 1000)
                trip = 0 if args.same_days else args.push_runs  # after the measured ones
                visits = offline_visits(
                    rng, data["targets"], args.profile_visits, now_ms, trip=trip
                )
                client.post(
                    f"/api/v1/sync/push?last_pulled_at={cursor}",
                    json={"visits": {"created": visits, "updated": [], "deleted": []}},
                    headers={"Authorization": f"Bearer {token}"},
                )

            profile(f"push of {args.profile_visits} visits", one_push, args.profile_top)
        versions = software(engine)
        engine.dispose()

    print(
        f"\n{args.backend}: {versions}; {machine()}; {time.strftime('%Y-%m-%d')}; {load_average()}"
    )
    identity, zipped = pulls["identity"], pulls["gzip"]
    counts = identity["counts"]
    print(
        f"first pull sends {counts.get('leads', 0):,} leads, {counts.get('visits', 0):,} visits, "
        f"{counts.get('territories', 0)} territory, {counts.get('me', 0)} me; "
        f"p50 of {args.runs} runs, each mode in a fresh process\n"
    )
    print("| measure | wall p50 (min, max) | CPU p50 | bytes | RSS before | peak RSS | target |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for label, result in (("identity", identity), ("gzip", zipped)):
        wall, cpu = statistics.median(result["times"]), statistics.median(result["cpu"])
        ok_rss = result["peak_rss_mb"] <= PULL_TARGET_MB
        print(
            f"| first pull, {label} | {fmt(result['times'])} | {cpu * 1000:,.0f} ms "
            f"| {result['bytes']:,} | {result['rss_before_mb']:.0f} MB "
            f"| {result['peak_rss_mb']:.0f} MB | <= 2 s: wall {verdict(wall <= PULL_TARGET_S)}, "
            f"CPU {verdict(cpu <= PULL_TARGET_S)}; <= 200 MB: {verdict(ok_rss)} |"
        )
    wall, cpu = statistics.median(pushes["times"]), statistics.median(pushes["cpu"])
    print(
        f"| push of {args.push:,} offline visits, assessed"
        f"{' (same days, stress)' if args.same_days else ''} | {fmt(pushes['times'])} "
        f"| {cpu * 1000:,.0f} ms | {pushes['bytes']:,.0f} | | | <= 1 s: wall "
        f"{verdict(wall <= PUSH_TARGET_S)}, CPU {verdict(cpu <= PUSH_TARGET_S)} |"
    )
    split = zipped.get("split") or {}
    if split:
        print(
            f"\none first pull taken apart (CPU): service {split['service'] * 1000:,.0f} ms, "
            f"commit {split['commit'] * 1000:,.0f} ms, JSON {split['json'] * 1000:,.0f} ms, "
            f"gzip {split['gzip'] * 1000:,.0f} ms"
        )
        print(
            f"memory (tracemalloc): raw records {split['records_mb']:.1f} MB; encoding them "
            f"whole (text, bytes, gzip) peaks {split['encode_peak_mb']:.1f} MB more, a streamed "
            f"gzip {split['streamed_peak_mb']:.1f} MB; RSS after imports "
            f"{zipped['rss_imports_mb']:.0f} MB, after creating the app "
            f"{zipped['rss_before_mb']:.0f} MB"
        )
    print(f"push verdicts: {pushes['verdicts']}; findings: {pushes['findings']}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("spatialite", "postgis"), default="spatialite")
    parser.add_argument("--leads", type=int, default=20_000, help="leads in the rep's scope")
    parser.add_argument("--visits", type=int, default=5_000, help="the rep's visits")
    parser.add_argument("--noise", type=int, default=10_000, help="leads outside the scope")
    parser.add_argument("--push", type=int, default=1_000, help="visits per push")
    parser.add_argument("--runs", type=int, default=5, help="first pulls per mode")
    parser.add_argument("--push-runs", type=int, default=3, help="pushes")
    parser.add_argument(
        "--same-days", action="store_true", help="every push in the last five days (stress)"
    )
    parser.add_argument(
        "--profile-visits", type=int, default=200, help="visits in the profiled push"
    )
    parser.add_argument("--quick", action="store_true", help="small run, to check it works")
    parser.add_argument("--profile", action="store_true", help="cProfile one pull and one push")
    parser.add_argument("--profile-top", type=int, default=25, help="functions listed")
    args = parser.parse_args(argv)
    if args.quick:
        args.leads, args.visits, args.noise, args.push = 2_000, 500, 500, 100
        args.runs = args.push_runs = 2
    run(args)


if __name__ == "__main__":
    main()
