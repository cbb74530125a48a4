"""The first pull of bench/sync.py, measured in a process of its own.

This module imports what a server worker imports (the app, its settings and database) and
no more: its peak RSS is the pull's, not the benchmark's tooling (migrations, profilers).
bench/sync.py runs it as a child once per mode and reads the JSON line it prints.

    .venv/bin/python bench/sync_pull.py --url URL --tmp DIR --keys FILE --token T --runs 5
        [--gzip] [--split]
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.config import Settings
from app.db import make_engine, make_sessionmaker

DEVICE_ID = "bench-phone-1"
PULL_URL = "/api/v1/sync/pull?last_pulled_at=null&schema_version=1&migration=null"


def rss_mb() -> float:
    """Resident set size now (Linux /proc)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    """Peak resident set size of this process image so far: VmHWM from /proc.

    Not `ru_maxrss`: Linux carries a parent's peak into a child across fork/vfork and exec,
    so a child started by a process that had loaded the data would report the parent's peak.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def db_cpu_s(engine: sa.Engine) -> float | None:
    """CPU seconds used so far by the PostgreSQL backends serving this database (they run on
    this machine: /proc); 0 for SQLite, which runs inside this process; None if unreadable."""
    if engine.dialect.name != "postgresql":
        return 0.0
    with engine.connect() as conn:
        pids = conn.execute(
            sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).scalars()
        total = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                return None
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


class Clock:
    """Wall time, and CPU time of this process plus its database backends: on a shared,
    loaded machine the wall time includes waiting for a CPU, the CPU time does not."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def __enter__(self) -> Clock:
        self._db = db_cpu_s(self.engine)
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        wall, cpu = time.perf_counter() - self._wall, time.process_time() - self._cpu
        db = db_cpu_s(self.engine)
        self.wall.append(wall)
        self.cpu.append(cpu + (db - self._db if db is not None and self._db is not None else 0))


def settings_for(url: str, tmp_dir: Path, keys: str) -> Settings:
    return Settings(
        env="production",
        instance_path=tmp_dir,
        database_url=url,
        jwt_keys=keys,
        ratelimit_enabled=False,
        access_token_ttl_s=3600,
    ).validated()


def first_pull(client: FlaskClient, token: str, *, accept_gzip: bool) -> int:
    """One first pull; returns the response bytes on the wire.

    The body is read as a server writes it to the socket, chunk by chunk and dropped, so the
    peak RSS is the view's (Flask's test client would otherwise join it in memory).
    """
    headers = {"Authorization": f"Bearer {token}"}
    if accept_gzip:
        headers["Accept-Encoding"] = "gzip"
    response = client.get(PULL_URL, headers=headers, buffered=False)
    if response.status_code != 200:
        raise SystemExit(f"pull failed: {response.status_code} {response.get_data(as_text=True)}")
    assert (response.headers.get("Content-Encoding") == "gzip") == accept_gzip
    size = 0
    for chunk in response.response:
        size += len(chunk)
    response.close()
    return size


def pull_child(args: argparse.Namespace) -> None:
    """In a fresh process: `args.runs` first pulls; prints one JSON line."""
    baseline_imports = rss_mb()
    settings = settings_for(args.url, Path(args.tmp), Path(args.keys).read_text())
    engine = make_engine(settings)
    app = create_app(settings, sessions=make_sessionmaker(engine))
    client = app.test_client()
    before = rss_mb()
    clock, size = Clock(engine), 0
    for _ in range(args.runs):
        with clock:
            size = first_pull(client, args.token, accept_gzip=args.gzip)
    peak = peak_rss_mb()
    # Then one more pull, decoded to count what it sends (the server never holds that).
    headers = {"Authorization": f"Bearer {args.token}"}
    payload = client.get(PULL_URL, headers=headers).get_json()
    counts = {t: len(c["created"]) for t, c in payload["changes"].items()}
    del payload
    split = _split(app, engine) if args.split else {}
    print(
        json.dumps(
            {
                "times": clock.wall,
                "cpu": clock.cpu,
                "bytes": size,
                "counts": counts,
                "rss_imports_mb": baseline_imports,
                "rss_before_mb": before,
                "peak_rss_mb": peak,
                "split": split,
            }
        )
    )
    engine.dispose()


def _split(app: Flask, engine: sa.Engine) -> dict[str, float]:
    """One first pull taken apart, in CPU seconds: service (queries, raw records, holdings;
    with the database's CPU), commit, JSON, gzip. Then, traced by tracemalloc, the memory
    the raw records hold and the extra peak of encoding them as the view does (whole JSON
    text, then bytes, then gzip) against a streamed gzip of the same records."""
    import tracemalloc

    from flask import json as flask_json

    from app.auth.models import Device
    from app.org.models import Role, Staff
    from app.org.scope import Principal, scope_roots
    from app.sync import service

    factory = make_sessionmaker(engine)
    with factory() as session:
        rep = session.scalars(sa.select(Staff).where(Staff.employee_number == "BENCH-REP")).one()
        device_pk = session.scalar(
            sa.select(Device.id).where(Device.staff_id == rep.id, Device.device_id == DEVICE_ID)
        )
        principal = Principal(
            staff_id=rep.id,
            role=Role.REP,
            org_node_id=rep.org_node_id,
            roots=scope_roots(session, staff_id=rep.id, org_node_id=rep.org_node_id),
            device_pk=device_pk,
        )
    split: dict[str, float] = {}
    for traced in (False, True):
        if traced:
            tracemalloc.start()
        with factory() as session:
            service_clock, commit_clock = Clock(engine), Clock(engine)
            with service_clock:
                answer = service.pull(session, principal, cursor=None)
            with commit_clock:
                session.commit()
        payload = {"changes": answer.changes, "timestamp": answer.timestamp}
        del answer
        held = tracemalloc.get_traced_memory()[0] if traced else 0
        if traced:
            tracemalloc.reset_peak()
        t0 = time.process_time()
        with app.app_context():
            body = flask_json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        t1 = time.process_time()
        zipped = gzip.compress(body, compresslevel=5)
        t2 = time.process_time()
        del body, zipped
        if not traced:
            split.update(
                service=service_clock.cpu[0],
                commit=commit_clock.cpu[0],
                json=t1 - t0,
                gzip=t2 - t1,
            )
            continue
        whole_peak = tracemalloc.get_traced_memory()[1] - held
        tracemalloc.reset_peak()
        streamed = _streamed_gzip(payload)
        stream_peak = tracemalloc.get_traced_memory()[1] - held
        tracemalloc.stop()
        assert json.loads(gzip.decompress(streamed)) == json.loads(json.dumps(payload))
        split.update(
            records_mb=held / 2**20,
            encode_peak_mb=whole_peak / 2**20,
            streamed_peak_mb=stream_peak / 2**20,
        )
    return split


def _streamed_gzip(payload: dict[str, Any], batch: int = 500) -> bytes:
    """The same response body, JSON-encoded a few hundred records at a time into a gzip
    stream (what the view could do instead of encoding the whole text first)."""
    out = io.BytesIO()

    def dumps(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=5, mtime=0) as stream:
        stream.write(b'{"changes":{')
        for t, (table, changes) in enumerate(payload["changes"].items()):
            stream.write(f"{',' if t else ''}{dumps(table)}:{{".encode())
            for k, kind in enumerate(("created", "updated", "deleted")):
                items = changes[kind]
                stream.write(f'{"," if k else ""}"{kind}":['.encode())
                for start in range(0, len(items), batch):
                    part = ",".join(dumps(item) for item in items[start : start + batch])
                    stream.write(f"{',' if start else ''}{part}".encode())
                stream.write(b"]")
            stream.write(b"}")
        stream.write(f'}},"timestamp":{payload["timestamp"]}}}'.encode())
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("--url", "--tmp", "--keys", "--token"):
        parser.add_argument(name, required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--gzip", action="store_true", help="accept gzip")
    parser.add_argument("--split", action="store_true", help="take one pull apart afterwards")
    pull_child(parser.parse_args())


if __name__ == "__main__":
    main()
