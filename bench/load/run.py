"""Morning-peak load against gunicorn on 127.0.0.1, at rising concurrency, then the checks.

    .venv/bin/python bench/load/run.py --backend spatialite|postgis --instances 1|2
        [--steps 5,10,20,40] [--step-seconds 20] [--workers 4] [--quick]

1. A throwaway database (dropped at the end), migrated, seeded by bench/load/seed.py: 8 teams
   of 6 reps and a team lead, 150 leads per team, territories, tokens from a generated key
   set (WAYPOINT_JWT_KEYS) that every instance shares.
2. 1 or 2 gunicorn instances (2 only on PostgreSQL), separate processes on separate free
   ports, `--workers` sync workers in total, each with its own instance folder; they share
   the database, the photo folder (the object store's stand-in) and, when a Redis answers
   on 127.0.0.1:6379, one Redis database for rate limits (the first empty one of 9..15; only
   the limiter's keys are deleted afterwards).
3. The scale-out checks (bench/load/scaleout.py) between the first and the last instance.
4. Concurrency steps: each step adds virtual users (bench/load/users.py: 85% rep phones, 15%
   team leads' maps) and measures for `--step-seconds`; the table gives sustained requests/s,
   p50/p95/p99 and the error rate per step, and names the step where latency breaks.
5. After the load: every visit a client was told exists (200/201) exists exactly once, none
   that was refused exists, the count matches; every confirmed photo has its row and file;
   every rep's confirmed check-ins came back in its own sync pulls and no cursor went back.

Stops by itself (a watchdog ends the run after `--max-seconds`); the servers are stopped and
the database dropped on every exit, including Ctrl-C and SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from app import migrate  # noqa: E402
from app.auth.tokens import KeySet, generate_keyset_json  # noqa: E402
from app.config import Settings  # noqa: E402
from app.db import make_engine, make_sessionmaker  # noqa: E402
from app.visits.models import Visit, VisitPhoto  # noqa: E402
from bench._common import (  # noqa: E402
    PG_DSN,
    fresh_database,
    machine,
    percentile,
    print_table,
    software,
)
from bench.load import scaleout  # noqa: E402
from bench.load.seed import Population, populate  # noqa: E402
from bench.load.users import LeadBrowser, Ledger, Photos, RepPhone, Sample  # noqa: E402

LEAD_SHARE = 0.15
REDIS_DBS = range(9, 16)


# --- servers ------------------------------------------------------------------------------------


def _redis_url() -> str | None:
    """redis://127.0.0.1:6379/<n> for the first empty database of 9..15, or None."""
    try:
        import redis
    except ImportError:
        return None
    for db in REDIS_DBS:
        try:
            client = redis.Redis(host="127.0.0.1", port=6379, db=db, socket_timeout=2)
            if client.dbsize() == 0:
                return f"redis://127.0.0.1:6379/{db}"
        except redis.RedisError:
            return None
    return None


def _forget_limits(url: str) -> None:
    """Delete the rate limiter's keys (limits' LIMITS:LIMITER/ prefix) from our database."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2)
    keys = list(client.scan_iter(match="LIMITS:LIMITER/*", count=1000))
    if keys:
        client.delete(*keys)


@contextmanager
def gunicorn(env: dict[str, str], workers: int, log: Path) -> Iterator[int]:
    """One instance on a free 127.0.0.1 port; yields the port; stops it at the end."""
    with log.open("wb") as sink:
        proc = subprocess.Popen(  # noqa: S603 (our interpreter, our app)
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                "127.0.0.1:0",
                "--workers",
                str(workers),
                "--timeout",
                "60",
                "--graceful-timeout",
                "5",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield _wait_port(proc, log)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)


def _wait_port(proc: subprocess.Popen[bytes], log: Path, limit_s: float = 90) -> int:
    import http.client

    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited:\n{log.read_text(errors='replace')[-3000:]}")
        match = re.search(
            r"Listening at: http://127\.0\.0\.1:(\d+)", log.read_text(errors="replace")
        )
        if match:
            port = int(match.group(1))
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return port
            except OSError:
                pass
            finally:
                conn.close()
        time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer within {limit_s} s:\n{log.read_text()[-3000:]}")


# --- the load -----------------------------------------------------------------------------------


class LockSampler:
    """PostgreSQL only: every 0.25 s, how many of the app's backends are active and how many
    wait on a lock, and which statements wait (a row lock held to commit shows up here)."""

    def __init__(self, dbname: str) -> None:
        self.dbname, self.samples = dbname, []  # (time, active, waiting)
        self.statements: dict[str, int] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="lock-sampler", daemon=True)

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(PG_DSN + " dbname=postgres", autocommit=True) as conn:
            while not self.stop.wait(0.25):
                rows = conn.execute(
                    "SELECT state, wait_event_type, left(query, 60) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (self.dbname,),
                ).fetchall()
                waiting = [q for state, kind, q in rows if state == "active" and kind == "Lock"]
                active = sum(1 for state, _, _ in rows if state == "active")
                self.samples.append((time.perf_counter(), active, len(waiting)))
                for query in waiting:
                    key = " ".join(query.split())[:50]
                    self.statements[key] = self.statements.get(key, 0) + 1

    def per_step(self, windows: list[tuple[int, float, float]]) -> list[tuple[float, float]]:
        """(mean active backends, mean backends waiting on a lock) per step."""
        out = []
        for _, start, end in windows:
            inside = [(a, w) for t, a, w in self.samples if start <= t < end] or [(0, 0)]
            out.append(
                (statistics.fmean(a for a, _ in inside), statistics.fmean(w for _, w in inside))
            )
        return out


def step_rows(
    samples: list[Sample], windows: list[tuple[int, float, float]]
) -> list[tuple[int, dict[str, float]]]:
    """Per step: requests that ended inside the step's window."""
    rows = []
    for users, start, end in windows:
        inside = [s for s in samples if start <= s.end < end]
        ms = sorted((s.end - s.start) * 1000 for s in inside)
        errors = sum(1 for s in inside if not 200 <= s.status < 300)
        rows.append(
            (
                users,
                {
                    "n": len(inside),
                    "rps": len(inside) / (end - start),
                    "p50": percentile(ms, 50),
                    "p95": percentile(ms, 95),
                    "p99": percentile(ms, 99),
                    "errors": 100 * errors / len(inside) if inside else 0.0,
                },
            )
        )
    return rows


def breaking_point(rows: list[tuple[int, dict[str, float]]]) -> str:
    """The first step where latency breaks: p50 or p95 over 3x the first step's, or errors
    over 1 %; and the first step where throughput stops following the users (it grows by
    less than a quarter of the growth in users: the server is saturated)."""
    base = rows[0][1]
    broken = saturated = ""
    for (users, cur), (prev_users, prev) in zip(rows[1:], rows, strict=False):
        reasons = []
        for key in ("p50", "p95"):
            if cur[key] > 3 * base[key]:
                reasons.append(f"{key} {cur[key]:,.0f} ms = {cur[key] / base[key]:.1f}x step 1")
        if cur["errors"] > 1:
            reasons.append(f"errors {cur['errors']:.1f} %")
        if reasons and not broken:
            broken = f"latency breaks at {users} users ({'; '.join(reasons)})"
        growth = users / prev_users - 1
        if not saturated and cur["rps"] < prev["rps"] * (1 + growth / 4):
            saturated = f"saturated at {users} users ({prev['rps']:.1f} -> {cur['rps']:.1f} req/s)"
    return "; ".join(filter(None, (broken, saturated))) or f"no break up to {rows[-1][0]} users"


def run_load(
    pop: Population, ports: list[int], steps: list[int], step_s: float, deadline: float
) -> tuple[Ledger, list[tuple[int, float, float]], list[RepPhone]]:
    ledger, photos, stop = Ledger(), Photos(), threading.Event()
    threads: list[threading.Thread] = []
    phones: list[RepPhone] = []
    windows: list[tuple[int, float, float]] = []
    reps, leads = iter(pop.reps), iter(pop.leads)
    teams = {team.index: team for team in pop.teams}
    browsers = 0
    try:
        for users in steps:
            want_leads = max(1, round(users * LEAD_SHARE))
            while len(threads) < users:
                n = len(threads)
                if browsers < want_leads:
                    browsers += 1
                    lead = next(leads)
                    user = LeadBrowser(lead, teams[lead.team], ports, ledger, seed=n)
                    thread = threading.Thread(target=user.run, args=(stop,), name=f"lead-{n}")
                else:
                    rep = next(reps)
                    phone = RepPhone(rep, teams[rep.team], ports, ledger, photos, seed=n)
                    phones.append(phone)
                    thread = threading.Thread(target=phone.run, args=(stop,), name=f"rep-{n}")
                thread.daemon = True
                thread.start()
                threads.append(thread)
            start = time.perf_counter()
            remaining = deadline - time.monotonic()
            time.sleep(max(0.0, min(step_s, remaining)))
            windows.append((users, start, time.perf_counter()))
            print(
                f"  step {users:>3} users: {sum(1 for s in ledger.samples if s.end >= start):,} "
                f"requests",
                flush=True,
            )
            if time.monotonic() >= deadline:
                print("  !! --max-seconds reached: stopping the load early", flush=True)
                break
    finally:
        stop.set()
        for thread in threads:
            thread.join(35)  # a request in flight ends within the client's time-out
    return ledger, windows, phones


# --- the checks after the load ------------------------------------------------------------------


def verify(url: str, instance: Path, ledger: Ledger, phones: list[RepPhone]) -> list[str]:
    """The lost/duplicate/phantom checks; returns the failures (empty: all good)."""
    settings = Settings(env="test", instance_path=instance, database_url=url).validated()
    engine = make_engine(settings)
    failures: list[str] = []
    try:
        with make_sessionmaker(engine)() as session:
            ids = list(session.scalars(sa.select(Visit.id)))
            photo_rows = {
                r.id: r.storage_path
                for r in session.execute(sa.select(VisitPhoto.id, VisitPhoto.storage_path))
            }
    finally:
        engine.dispose()
    stored = set(ids)
    acked, unknown, refused = ledger.acked_visits, ledger.unknown_visits, ledger.refused_visits
    lost = acked - stored
    dupes = len(ids) - len(stored)
    phantoms = stored - acked - unknown
    wrongly = refused & stored
    print(
        f"  visits: {len(acked):,} confirmed to clients, {len(unknown):,} of unknown fate "
        f"({len(unknown & stored)} of them stored), {len(refused):,} refused; "
        f"{len(ids):,} rows in the database"
    )
    print(
        f"  check-ins answered 200 on a retry (same id, same body): {ledger.retries_answered_200}"
    )
    if lost:
        failures.append(f"{len(lost)} confirmed visits are missing, e.g. {sorted(lost)[:3]}")
    if dupes:
        failures.append(f"{dupes} duplicated visit ids")
    if phantoms:
        failures.append(
            f"{len(phantoms)} stored visits no client was told of: {sorted(phantoms)[:3]}"
        )
    if wrongly:
        failures.append(f"{len(wrongly)} refused visits were stored: {sorted(wrongly)[:3]}")
    if len(ids) != len(acked) + len(unknown & stored):
        failures.append(f"count {len(ids)} != confirmed {len(acked)} + unknown-but-stored")
    photo_root = instance.parent / "photos"
    missing_rows = ledger.acked_photos - set(photo_rows)
    missing_files = [
        pid
        for pid in ledger.acked_photos & set(photo_rows)
        if not (photo_root / (photo_rows[pid] or "")).is_file()
    ]
    print(
        f"  photos: {len(ledger.acked_photos):,} confirmed, {len(photo_rows):,} rows, "
        f"{len(missing_files)} confirmed without a file"
    )
    if missing_rows or missing_files:
        failures.append(f"photos: {len(missing_rows)} rows and {len(missing_files)} files missing")
    unseen = sum(len(p.checked_in - p.pulled_visits) for p in phones)
    print(
        f"  sync: {len(phones)} phones, {unseen} confirmed check-ins missing from their own "
        f"pulls, {len(ledger.cursor_regressions)} cursor regressions"
    )
    if unseen:
        failures.append(f"{unseen} confirmed check-ins never came back in the rep's own pulls")
    if ledger.cursor_regressions:
        failures.append(f"cursor went back: {ledger.cursor_regressions[:3]}")
    return failures


# --- main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("spatialite", "postgis"), default="spatialite")
    parser.add_argument("--instances", type=int, choices=(1, 2), default=1)
    parser.add_argument("--steps", default="5,10,20,40", help="virtual users per step")
    parser.add_argument("--step-seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers in total")
    parser.add_argument("--teams", type=int, default=8)
    parser.add_argument("--reps-per-team", type=int, default=6)
    parser.add_argument("--leads-per-team", type=int, default=150)
    parser.add_argument("--max-seconds", type=float, default=600, help="watchdog for the run")
    parser.add_argument("--quick", action="store_true", help="2 short steps, to check it works")
    args = parser.parse_args(argv)
    if args.instances == 2 and args.backend != "postgis":
        parser.error("--instances 2 needs --backend postgis (SQLite is one machine's file)")
    if args.quick:
        args.steps, args.step_seconds = "3,6", 8.0
    steps = [int(s) for s in args.steps.split(",")]
    reps_needed = steps[-1] - max(1, round(steps[-1] * LEAD_SHARE))
    if (
        reps_needed > args.teams * args.reps_per_team
        or max(1, round(steps[-1] * LEAD_SHARE)) > args.teams
    ):
        parser.error("not enough reps or team leads for the last step: raise --teams")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    began = time.monotonic()
    deadline = began + args.max_seconds

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="waypoint-load-")))
        url = stack.enter_context(fresh_database(args.backend, tmp))
        keys_json = generate_keyset_json("load-1")
        settings = Settings(env="test", instance_path=tmp, database_url=url).validated()
        engine = make_engine(settings)
        print(f"==> {args.backend}, {args.instances} instance(s), {args.workers} workers in total")
        print(f"    {machine()}; {software(engine)}")
        t0 = time.perf_counter()
        migrate.upgrade(engine)
        with make_sessionmaker(engine)() as session:
            pop = populate(
                session,
                KeySet.from_json(keys_json),
                teams=args.teams,
                reps=args.reps_per_team,
                leads=args.leads_per_team,
                issuer=settings.jwt_issuer,
                seed=7,
            )
            session.commit()
        engine.dispose()
        print(
            f"    seeded {len(pop.teams)} teams, {len(pop.reps)} reps, {len(pop.leads)} team "
            f"leads, {args.teams * args.leads_per_team:,} leads in {time.perf_counter() - t0:.1f} s"
        )

        redis_url = _redis_url()
        if redis_url:
            stack.callback(_forget_limits, redis_url)
        elif args.instances == 2:
            raise SystemExit("two instances need a Redis on 127.0.0.1:6379 for shared limits")
        (tmp / "photos").mkdir()
        per_instance = max(1, args.workers // args.instances)
        ports = []
        for i in range(args.instances):
            instance = tmp / f"instance-{'AB'[i]}"
            instance.mkdir()
            env = {
                **os.environ,
                "WAYPOINT_ENV": "production",
                "WAYPOINT_REQUIRE_HR_LINK": "0",  # the probe logs in with a password
                "WAYPOINT_DATABASE_URL": url,
                "WAYPOINT_JWT_KEYS": keys_json,
                "WAYPOINT_INSTANCE_PATH": str(instance),
                "WAYPOINT_PHOTO_ROOT": str(tmp / "photos"),
                "WAYPOINT_ACCESS_TOKEN_TTL": "3600",
            }
            env.pop("WAYPOINT_REDIS_URL", None)
            if redis_url:
                env["WAYPOINT_REDIS_URL"] = redis_url
            port = stack.enter_context(gunicorn(env, per_instance, instance / "gunicorn.log"))
            ports.append(port)
        print(
            f"    instances on 127.0.0.1:{', '.join(map(str, ports))} ({per_instance} workers "
            f"each); rate limits in {redis_url or 'memory (per worker)'}"
        )

        print("==> scale-out checks (A = first instance, B = last)")
        checks, probe_visits = scaleout.run_checks(ports[0], ports[-1], pop.probe, pop.teams[0])
        for name, ok, detail in checks:
            print(f"  [{'ok' if ok else 'FAIL'}] {name} ({detail})")

        print(f"==> load: steps {steps} users, {args.step_seconds:.0f} s each")
        sampler = None
        if args.backend == "postgis":
            sampler = LockSampler(url.rsplit("/", 1)[1])
            sampler.thread.start()
        try:
            ledger, windows, phones = run_load(pop, ports, steps, args.step_seconds, deadline)
        finally:
            if sampler:
                sampler.stop.set()
                sampler.thread.join(5)
        ledger.acked_visits |= probe_visits
        for phone in phones:  # a last pull each (anywhere), then compare with what was sent
            phone.pull()
        rows = step_rows(ledger.samples, windows)

        print("\n==> results")
        print_table(
            ["users", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors %"],
            [
                (u, int(r["n"]), r["rps"], r["p50"], r["p95"], r["p99"], r["errors"])
                for u, r in rows
            ],
        )
        print(f"  {breaking_point(rows)}")
        if sampler:
            print("  PostgreSQL backends of the app, mean per step (active / waiting on a lock):")
            for (users, _, _), (active, waiting) in zip(
                windows, sampler.per_step(windows), strict=True
            ):
                print(f"    {users:>3} users: {active:4.1f} / {waiting:4.1f}")
            for query, count in sorted(sampler.statements.items(), key=lambda kv: -kv[1])[:4]:
                print(f"    waited {count:>4}x in: {query}")
        last_start, last_end = windows[-1][1], windows[-1][2]
        per_endpoint: dict[str, list[float]] = {}
        for s in ledger.samples:
            if last_start <= s.end < last_end:
                per_endpoint.setdefault(s.endpoint, []).append((s.end - s.start) * 1000)
        print("  last step by endpoint (p50 / p95 ms, share):")
        total = sum(len(v) for v in per_endpoint.values()) or 1
        for endpoint, ms in sorted(per_endpoint.items()):
            ms.sort()
            print(
                f"    {endpoint:<14} {statistics.median(ms):7.0f} / {percentile(ms, 95):7.0f}"
                f"   {100 * len(ms) / total:4.1f} %"
            )
        if ledger.errors:
            print("  errors (endpoint, status, problem code: count):")
            for key, count in sorted(ledger.errors.items(), key=lambda kv: -kv[1])[:12]:
                print(f"    {key}: {count}")

        print("\n==> after the load")
        failures = verify(url, tmp / "instance-A", ledger, phones)
        failures += [f"scale-out: {name}" for name, ok, _ in checks if not ok]
        print(
            f"  load average {os.getloadavg()[0]:.1f} at the end; run took "
            f"{time.monotonic() - began:.0f} s"
        )
        if failures:
            print("!! FAILED:\n  " + "\n  ".join(failures))
            return 1
        print("==> all checks passed")
        return 0


if __name__ == "__main__":
    sys.exit(main())
