"""Shared helpers of the database benchmarks: a throwaway (or cached) migrated database per
backend, timing statistics, the machine line and the table printer.

A benchmark process serves one backend only (one MetaData must never serve two dialects).
PostgreSQL is reached through ``WAYPOINT_BENCH_PG_DSN`` (default: the test suite's
``WAYPOINT_TEST_PG_DSN``, else ``host=127.0.0.1 port=5432 user=postgres``).
"""

from __future__ import annotations

import math
import os
import platform
import secrets
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import migrate  # noqa: E402
from app.config import Settings  # noqa: E402
from app.db import make_engine  # noqa: E402

DATA = ROOT / "bench" / ".data"  # git-ignored
BACKENDS = ("spatialite", "postgis")
PG_DSN = os.environ.get(
    "WAYPOINT_BENCH_PG_DSN",
    os.environ.get("WAYPOINT_TEST_PG_DSN", "host=127.0.0.1 port=5432 user=postgres"),
)


def _pg_url(dbname: str) -> str:
    info = conninfo_to_dict(PG_DSN)
    user = info.get("user", "postgres")
    password = f":{info['password']}" if info.get("password") else ""
    host = info.get("host", "127.0.0.1")
    port = info.get("port", "5432")
    return f"postgresql+psycopg://{user}{password}@{host}:{port}/{dbname}"


def _pg_admin() -> psycopg.Connection:
    return psycopg.connect(PG_DSN + " dbname=postgres", autocommit=True)


@dataclass
class BenchDatabase:
    """A migrated database; `ready` is False until the caller has loaded it and marked it."""

    backend: str
    name: str
    url: str
    engine: Engine
    ready: bool

    def mark_ready(self) -> None:
        """Record that the load finished, so that a kept database can be reused."""
        if self.backend == "spatialite":
            _ready_marker(self.name).write_text("loaded\n")
        else:
            with _pg_admin() as admin:
                admin.execute(f"COMMENT ON DATABASE \"{self.name}\" IS 'waypoint bench: loaded'")
        self.ready = True


def _sqlite_path(name: str) -> Path:
    return DATA / f"{name}.db"


def _ready_marker(name: str) -> Path:
    return DATA / f"{name}.db.loaded"


def _settings(backend: str, name: str) -> Settings:
    url = f"sqlite:///{_sqlite_path(name)}" if backend == "spatialite" else _pg_url(name)
    return Settings(env="test", instance_path=DATA, database_url=url).validated()


def _drop(backend: str, name: str) -> None:
    if backend == "spatialite":
        for suffix in ("", "-wal", "-shm", ".loaded"):
            Path(f"{_sqlite_path(name)}{suffix}").unlink(missing_ok=True)
        return
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _exists(backend: str, name: str) -> tuple[bool, bool]:
    """(exists, loaded) for a cached benchmark database."""
    if backend == "spatialite":
        return _sqlite_path(name).exists(), _ready_marker(name).exists()
    with _pg_admin() as admin:
        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            (name,),
        ).fetchone()
    return row is not None, bool(row and row[0] == "waypoint bench: loaded")


@contextmanager
def fresh_database(backend: str, tmp_dir: Path, *, name: str = "bench") -> Iterator[str]:
    """A new empty database URL (as tests/conftest.py makes them), dropped afterwards."""
    if backend == "spatialite":
        yield f"sqlite:///{tmp_dir / f'{name}.db'}"
        return
    database = f"waypoint_bench_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(PG_DSN + " dbname=postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    try:
        with psycopg.connect(PG_DSN + f" dbname={database}", autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")
            conn.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"
    finally:
        with psycopg.connect(PG_DSN + " dbname=postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@contextmanager
def bench_database(backend: str, name: str, *, keep: bool, fresh: bool) -> Iterator[BenchDatabase]:
    """A migrated database called `name` (SQLite: bench/.data/<name>.db).

    A database kept by an earlier ``--keep`` run is reused as it is (``ready``) unless `fresh`;
    an unfinished one is dropped and made again. A database made by this run is dropped at the
    end unless `keep`; a reused one is left alone.
    """
    if backend not in BACKENDS:
        raise SystemExit(f"--backend must be one of {BACKENDS}")
    DATA.mkdir(parents=True, exist_ok=True)
    exists, loaded = _exists(backend, name)
    if exists and loaded and not fresh:
        engine = make_engine(_settings(backend, name))
        current = migrate.current_revision(engine)
        engine.dispose()
        if current != migrate.head_revision():
            print(f"  the kept database {name} is at revision {current}: making it again")
            loaded = False
    if exists and (fresh or not loaded):
        _drop(backend, name)
        exists = loaded = False
    created = not exists
    if backend == "postgis" and created:
        with _pg_admin() as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        with psycopg.connect(PG_DSN + f" dbname={name}", autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")
            conn.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    settings = _settings(backend, name)
    url = settings.sqlalchemy_url
    engine = make_engine(settings)
    try:
        if created:
            migrate.upgrade(engine)
        yield BenchDatabase(backend, name, url, engine, ready=loaded)
    finally:
        engine.dispose()
        if created and not keep:
            _drop(backend, name)


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an ascending sequence."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass(frozen=True)
class Timing:
    n: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    per_s: float


def time_calls(
    calls: Sequence[Callable[[], object]], after: Callable[[], object] | None = None
) -> tuple[Timing, list[object]]:
    """Run each call once, in order, timing each (not `after`, run between calls); returns
    the statistics (throughput over the timed calls only) and the results."""
    laps: list[float] = []
    results: list[object] = []
    for call in calls:
        t0 = time.perf_counter()
        results.append(call())
        laps.append(time.perf_counter() - t0)
        if after is not None:
            after()
    total = sum(laps)
    laps.sort()
    ms = [lap * 1000 for lap in laps]
    timing = Timing(
        n=len(ms),
        p50_ms=percentile(ms, 50),
        p95_ms=percentile(ms, 95),
        p99_ms=percentile(ms, 99),
        max_ms=ms[-1] if ms else math.nan,
        per_s=len(ms) / total if total else math.nan,
    )
    return timing, results


def time_passes(
    calls: Sequence[Callable[[], object]],
    after: Callable[[], object] | None = None,
    passes: int = 1,
) -> tuple[Timing, list[Timing], list[object]]:
    """Time the same calls `passes` times: (the pass with the lowest p95, every pass, the
    first pass's results). On a shared machine a whole pass, not single calls, is kept."""
    timings: list[Timing] = []
    first: list[object] | None = None
    for _ in range(max(1, passes)):
        timing, results = time_calls(calls, after)
        timings.append(timing)
        first = results if first is None else first
    return min(timings, key=lambda t: t.p95_ms), timings, first or []


def p95s(timings: Sequence[Timing]) -> str:
    """The p95 of every pass, for the table."""
    return "/".join(f"{t.p95_ms:.2f}" for t in timings)


def machine() -> str:
    """One line describing the machine and the database software."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024**2:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu} x{os.cpu_count()}{mem}, {platform.system()} {platform.release()}, " + (
        f"Python {platform.python_version()}"
    )


def load_average() -> str:
    """The 1-minute load average: the machine is shared, figures vary with it."""
    return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"


def software(engine: Engine) -> str:
    """The database engine and spatial extension versions."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            pg = conn.exec_driver_sql("SHOW server_version").scalar()
            gis = conn.exec_driver_sql("SELECT postgis_lib_version()").scalar()
            return f"PostgreSQL {pg}, PostGIS {gis}"
        sqlite = conn.exec_driver_sql("SELECT sqlite_version()").scalar()
        gis = conn.exec_driver_sql("SELECT spatialite_version()").scalar()
        return f"SQLite {sqlite}, SpatiaLite {gis}"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain aligned text table (numbers right-aligned)."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    print(
        "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w)
            for i, (h, w) in enumerate(zip(headers, widths, strict=True))
        )
    )
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )


def _cell(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.0f}" if value >= 1000 else f"{value:.2f}"
    return str(value)


class Stopwatch:
    """Prints how long a setup step took."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __enter__(self) -> Stopwatch:
        self.t0 = time.perf_counter()
        print(f"  {self.what} ...", end="", flush=True)
        return self

    def __exit__(self, *exc: object) -> None:
        print(f" {time.perf_counter() - self.t0:.1f} s", flush=True)
