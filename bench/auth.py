"""Authentication overhead: login, token verification, per-request authentication.

Builds a throwaway migrated database for the chosen backend (1,000 staff in 50 teams, a few
thousand login sessions and refresh tokens), then times, one request at a time:

  1. login through the Flask test client (argon2id dominates; its share is timed apart),
  2. refresh through the test client (atomic consume + rotation, no password),
  3. ``KeySet.verify`` alone (EdDSA signature and claim checks),
  4. ``auth.service.authenticate`` (signature + liveness query + scope query, one DB session),
  5. ``GET /healthz`` vs the same handler behind the auth guard (the difference is the
     authentication overhead of a request) and ``GET /api/v1/me`` for a real endpoint.

Rate limiting is off so that only authentication is measured. The database is dropped at exit.

    .venv/bin/python bench/auth.py --backend spatialite|postgis [--staff 1000] [--quick]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import secrets
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from app import create_app, migrate
from app.auth.guard import AUTH_KEY, require
from app.auth.models import AuthSession, Device, RefreshToken
from app.auth.passwords import hash_password, verify_password
from app.auth.service import AuthConfig, authenticate
from app.auth.tokens import access_claims, generate_keyset_json, new_refresh_token
from app.config import Settings
from app.db import make_engine, make_sessionmaker, utcnow
from app.org.models import NodeManager, Role, Staff
from app.org.service import insert_node
from app.web import db_session
from bench._common import fresh_database

PASSWORD = "bench-password-1234"  # noqa: S105 (the throwaway accounts' password)
REGIONS, TEAMS_PER_REGION = 10, 5


@dataclass(frozen=True)
class Population:
    employee_numbers: list[str]  # every account (all share one password)
    access_tokens: list[str]  # one per live session
    refresh_tokens: list[str]  # one unused token per live session
    sessions: int  # login sessions stored, live and revoked
    refresh_rows: int  # refresh token rows stored, used and unused


def populate(session: Session, config: AuthConfig, *, staff_count: int) -> Population:
    """A company of 10 regions x 5 teams; per person 2 devices and 3 sessions (1 revoked)."""
    now = utcnow()
    company = insert_node(session, parent=None, name="Company", kind="company")
    teams = []
    for r in range(REGIONS):
        region = insert_node(session, parent=company, name=f"Region {r}", kind="region")
        teams += [
            insert_node(session, parent=region, name=f"Team {r}.{t}", kind="team")
            for t in range(TEAMS_PER_REGION)
        ]
    digest = hash_password(PASSWORD)  # one real argon2id hash: verifying it costs the same
    people = [
        Staff(
            employee_number=f"B{i:06d}",
            name=f"Bench Person {i}",
            phone=f"+86 139 {i:08d}",
            org_node_id=(company if i == 0 else teams[i % len(teams)]).id,
            role=(Role.ADMIN if i == 0 else Role.TEAM_LEAD if i < 51 else Role.REP).value,
            password_hash=digest,
        )
        for i in range(staff_count)
    ]
    session.add_all(people)
    session.flush()
    # Team leads also manage the neighbouring team: scope has two roots for them.
    session.add_all(
        NodeManager(staff_id=p.id, org_node_id=teams[(i + 1) % len(teams)].id)
        for i, p in enumerate(people[1:51], start=1)
    )
    access, refresh, sessions, refresh_rows = [], [], 0, 0
    for person in people:
        devices = [
            Device(staff_id=person.id, device_id=f"phone-{k}", platform="android") for k in range(2)
        ]
        session.add_all(devices)
        session.flush()
        for k in range(3):
            auth_session = AuthSession(
                id=secrets.token_hex(16),
                staff_id=person.id,
                device_pk=devices[k % 2].id,
                created_at=now - timedelta(days=k),
                revoked_at=now if k == 2 else None,
                revoked_reason="logout" if k == 2 else None,
            )
            session.add(auth_session)
            sessions += 1
            for used in (True, False):
                token, token_hash = new_refresh_token()
                session.add(
                    RefreshToken(
                        session_id=auth_session.id,
                        token_hash=token_hash,
                        issued_at=now,
                        expires_at=now + timedelta(days=30),
                        used_at=now if used else None,
                    )
                )
                refresh_rows += 1
            if k < 2:
                refresh.append(token)
                claims = access_claims(
                    staff_id=person.id,
                    session_id=auth_session.id,
                    epoch=person.auth_epoch,
                    issuer=config.issuer,
                    now=now,
                    ttl_s=config.access_ttl_s,
                )
                access.append(config.keys.sign(claims))
        session.flush()
    return Population([p.employee_number for p in people], access, refresh, sessions, refresh_rows)


@dataclass(frozen=True)
class Result:
    name: str
    samples_ns: list[int]

    def row(self) -> str:
        cuts = statistics.quantiles(self.samples_ns, n=100, method="inclusive")
        p50, p95, p99 = (cuts[i] / 1e6 for i in (49, 94, 98))
        rate = len(self.samples_ns) / (sum(self.samples_ns) / 1e9)
        return (
            f"| {self.name} | {len(self.samples_ns):,} | {p50:.3f} | {p95:.3f} | {p99:.3f} "
            f"| {rate:,.0f} |"
        )


def measure(name: str, n: int, step: Callable[[int], object], *, warmup: int = 20) -> Result:
    """Time `step(i)` n times, one at a time, after `warmup` untimed calls."""
    for i in range(warmup):
        step(i)
    samples = []
    for i in range(warmup, warmup + n):  # indices never repeat: a refresh token is used once
        start = time.perf_counter_ns()
        step(i)
        samples.append(time.perf_counter_ns() - start)
    return Result(name, samples)


def expect(status: int, response: Any) -> None:
    if response.status_code != status:
        raise SystemExit(f"unexpected {response.status_code}: {response.get_data(as_text=True)}")


def add_guarded_health(app: Flask) -> None:
    """/healthz's work behind the real auth guard: the difference is the auth overhead."""

    @require()
    def guarded_health() -> dict[str, str]:
        db_session().execute(sa.text("SELECT 1"))
        return {"status": "ok", "database": "ok"}

    app.add_url_rule("/_bench/guarded-healthz", view_func=guarded_health)


def run(args: argparse.Namespace, url: str, tmp_dir: Path) -> list[Result]:
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
    app = create_app(settings, sessions=factory)
    add_guarded_health(app)
    config: AuthConfig = app.extensions[AUTH_KEY]
    with factory() as session:
        started = time.perf_counter()
        people = populate(session, config, staff_count=args.staff)
        session.commit()
    print(
        f"data: {args.staff:,} staff, {people.sessions:,} sessions "
        f"({len(people.access_tokens):,} live), {people.refresh_rows:,} refresh tokens "
        f"({time.perf_counter() - started:.1f} s to create)",
        file=sys.stderr,
    )

    client = app.test_client()
    rng = random.Random(7)
    tokens = people.access_tokens
    pick = [rng.randrange(len(tokens)) for _ in range(args.n * 5 + 50)]
    headers = [{"Authorization": f"Bearer {tokens[i]}"} for i in pick]
    digest = hash_password(PASSWORD)
    refreshable = list(people.refresh_tokens)
    rng.shuffle(refreshable)

    def login(i: int) -> None:
        number = people.employee_numbers[(i * 7919) % len(people.employee_numbers)]
        body = {"login": number, "password": PASSWORD, "device_id": "phone-0", "platform": "ios"}
        expect(200, client.post("/api/v1/auth/login", json=body))

    def refresh(i: int) -> None:
        body = {"refresh_token": refreshable[i]}
        expect(200, client.post("/api/v1/auth/refresh", json=body))

    def authenticate_once(i: int) -> None:
        with factory() as session:
            authenticate(session, config, token=tokens[pick[i]])

    results = [
        measure("login (test client, argon2id)", args.logins, login, warmup=5),
        measure(
            "argon2id verify alone (part of login)",
            args.logins,
            lambda _: verify_password(digest, PASSWORD),
            warmup=2,
        ),
        measure("refresh (test client)", min(args.n, len(refreshable) - 20), refresh),
        measure(
            "KeySet.verify",
            args.n * 5,
            lambda i: config.keys.verify(tokens[pick[i % len(pick)]], issuer=config.issuer),
        ),
        measure("authenticate (verify + liveness + scope)", args.n, authenticate_once),
        measure("GET /healthz (no auth)", args.n, lambda _: expect(200, client.get("/healthz"))),
        measure(
            "GET /healthz behind the auth guard",
            args.n,
            lambda i: expect(200, client.get("/_bench/guarded-healthz", headers=headers[i])),
        ),
        measure(
            "GET /api/v1/me (auth + 3 queries)",
            args.n,
            lambda i: expect(200, client.get("/api/v1/me", headers=headers[i])),
        ),
    ]
    engine.dispose()
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("spatialite", "postgis"), default="spatialite")
    parser.add_argument("--staff", type=int, default=1000)
    parser.add_argument("--n", type=int, default=2000, help="iterations per request measure")
    parser.add_argument("--logins", type=int, default=60, help="timed logins (~0.1 s each)")
    parser.add_argument("--quick", action="store_true", help="small run, to check it works")
    args = parser.parse_args(argv)
    if args.quick:
        args.staff, args.n, args.logins = 100, 200, 10
    # A terminated run still drops its database (SystemExit unwinds the context managers).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    with (
        tempfile.TemporaryDirectory() as tmp,
        fresh_database(args.backend, Path(tmp), name="bench-auth") as url,
    ):
        results = run(args, url, Path(tmp))
    print(
        f"\n{args.backend}: Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{time.strftime('%Y-%m-%d')}; one request at a time; "
        f"load average {os.getloadavg()[0]:.1f} at the end\n"
    )
    print("| measure | n | p50 ms | p95 ms | p99 ms | per second |")
    print("|---|---:|---:|---:|---:|---:|")
    for result in results:
        print(result.row())
    by_name = {r.name: r for r in results}
    bare = statistics.median(by_name["GET /healthz (no auth)"].samples_ns)
    guarded = statistics.median(by_name["GET /healthz behind the auth guard"].samples_ns)
    print(
        f"\nauthentication overhead per request (p50 difference): {(guarded - bare) / 1e6:.3f} ms"
    )


if __name__ == "__main__":
    main()
