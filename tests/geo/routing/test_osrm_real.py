"""The OSRM client against a real ``osrm-routed`` on 127.0.0.1, over a generated street grid.

The binaries come from the ``osrm-bindings`` 26.10.0 wheel (it only installs on Python >= 3.12,
but its bundled executables run here). The wheel is downloaded once into a cache folder outside
the repository (``WAYPOINT_OSRM_CACHE``, default ``~/.cache/waypoint/osrm-26.10.0``); the tests
skip, saying why, only when the binaries cannot be obtained or do not run.
"""

from __future__ import annotations

import fcntl
import os
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from geo.routing import DayRequest, MatrixError, OsrmProvider, Point, Stop, TimeWindow, plan_day
from tests.geo.routing.builders import FAST

pytestmark = pytest.mark.slow

VERSION = "26.10.0"
WHEEL = f"osrm_bindings-{VERSION}-cp312-abi3-manylinux_2_28_x86_64.whl"
ORIGIN = (30.0, 120.0)  # lat, lon of the grid's south-west corner
STEP = 0.002  # degrees between grid lines, about 200 m
SIZE = 4  # 4 x 4 intersections
ONE_WAY_ROW = 1  # this east-west street is one-way eastbound


def _run(argv: list[object], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run a fixed tool command line (our own binaries and arguments, no shell)."""
    command = [str(a) for a in argv]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603


def _cache() -> Path:
    default = Path.home() / ".cache" / "waypoint" / f"osrm-{VERSION}"
    return Path(os.environ.get("WAYPOINT_OSRM_CACHE", default))


def _fetch(cache: Path) -> Path:
    """The extracted wheel's ``osrm`` folder, downloading the wheel first if needed."""
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / ".lock").open("w") as lock:  # xdist workers share the cache: one fetches
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _fetch_locked(cache)


def _fetch_locked(cache: Path) -> Path:
    root = cache / "osrm"
    if (root / "bin" / "osrm-routed").exists():
        return root
    if not (cache / WHEEL).exists():
        command = [
            sys.executable, "-m", "pip", "download", f"osrm-bindings=={VERSION}", "--no-deps",
            "--only-binary=:all:", "--python-version", "3.12",
            "--platform", "manylinux_2_28_x86_64", "-d", str(cache), "-q",
        ]  # fmt: skip
        done = _run(command, timeout=600)
        if done.returncode != 0:
            pytest.skip(f"cannot download osrm-bindings {VERSION}: {done.stderr.strip()[-300:]}")
    with zipfile.ZipFile(cache / WHEEL) as wheel:
        wheel.extractall(cache / "unpacking")
    for binary in (cache / "unpacking" / "osrm" / "bin").iterdir():
        binary.chmod(0o755)
    (cache / "unpacking" / "osrm").rename(root)  # complete or absent, never half there
    return root


@pytest.fixture(scope="session")
def osrm_root() -> Path:
    try:
        root = _fetch(_cache())
        done = _run([root / "bin" / "osrm-routed", "--version"], timeout=30)
    except (OSError, zipfile.BadZipFile, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"OSRM binaries unusable here: {exc}")
    if done.returncode != 0:
        pytest.skip(f"osrm-routed does not run here: {done.stderr[-300:]}")
    return root


def _node(row: int, col: int) -> tuple[int, float, float]:
    return row * SIZE + col + 1, ORIGIN[0] + row * STEP, ORIGIN[1] + col * STEP


def grid_osm() -> str:
    """OSM XML: a SIZE x SIZE residential grid; row ONE_WAY_ROW is one-way eastbound."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<osm version="0.6" generator="waypoint-tests">',
    ]
    for row in range(SIZE):
        for col in range(SIZE):
            nid, lat, lon = _node(row, col)
            lines.append(f'<node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    way = 1000
    for row in range(SIZE):
        refs = [_node(row, col)[0] for col in range(SIZE)]
        tags = {"highway": "residential", **({"oneway": "yes"} if row == ONE_WAY_ROW else {})}
        lines.append(_way(way := way + 1, refs, tags))
    for col in range(SIZE):
        refs = [_node(row, col)[0] for row in range(SIZE)]
        lines.append(_way(way := way + 1, refs, {"highway": "residential"}))
    lines.append("</osm>")
    return "\n".join(lines)


def _way(wid: int, refs: list[int], tags: dict[str, str]) -> str:
    body = "".join(f'<nd ref="{r}"/>' for r in refs) + "".join(
        f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()
    )
    return f'<way id="{wid}" version="1">{body}</way>'


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def osrm_url(osrm_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    work = tmp_path_factory.mktemp("osrm")
    (work / "grid.osm").write_text(grid_osm())
    binaries, profile = osrm_root / "bin", osrm_root / "share" / "profiles" / "car.lua"
    steps = [
        [binaries / "osrm-extract", "-p", profile, "-t", "1", work / "grid.osm"],
        [binaries / "osrm-partition", "-t", "1", work / "grid.osrm"],
        [binaries / "osrm-customize", "-t", "1", work / "grid.osrm"],
    ]
    for step in steps:
        done = _run(step, timeout=120)
        assert done.returncode == 0, (
            f"{step[0].name} failed: {done.stdout[-500:]} {done.stderr[-500:]}"
        )
    port = _free_port()
    routed = [binaries / "osrm-routed", "--algorithm", "mld", "-i", "127.0.0.1", "-t", "1"]
    command = [str(a) for a in (*routed, "-p", port, work / "grid.osrm")]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    url = f"http://127.0.0.1:{port}"
    probe = OsrmProvider(base_url=url, timeout_s=1.0)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                probe.matrix([_on_one_way(0.5), _on_one_way(1.5)])
                break
            except MatrixError:
                assert server.poll() is None, "osrm-routed exited at start-up"
                assert time.monotonic() < deadline, "osrm-routed did not answer within 30 s"
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def _on_one_way(col: float) -> Point:
    _, lat, lon = _node(ONE_WAY_ROW, 0)
    return Point(lat, lon + col * STEP)


def test_one_way_street_gives_asymmetric_durations(osrm_url):
    west, east = _on_one_way(0.5), _on_one_way(2.5)
    m = OsrmProvider(base_url=osrm_url).matrix([west, east])
    assert 0 < m.durations_s[0][1] < m.durations_s[1][0]  # eastbound is direct, westbound detours
    assert 0 < m.distances_m[0][1] < m.distances_m[1][0]
    assert m.distances_m[0][1] == pytest.approx(2 * STEP * 96_000, rel=0.15)


def test_chunked_table_matches_one_request(osrm_url):
    points = [Point(ORIGIN[0] + (i % 3) * STEP, ORIGIN[1] + (i // 3) * STEP) for i in range(9)]
    whole = OsrmProvider(base_url=osrm_url).matrix(points)
    chunked = OsrmProvider(base_url=osrm_url, max_table_size=4).matrix(points)
    assert chunked == whole


def test_plan_day_on_real_roads(osrm_url):
    home = Point(ORIGIN[0], ORIGIN[1])
    stops = (
        Stop("a", _on_one_way(2.5), 300),
        Stop("b", Point(ORIGIN[0] + 3 * STEP, ORIGIN[1] + STEP), 300),
    )
    request = DayRequest(
        start=home, end=home, shift=TimeWindow(0, 3600), stops=stops, time_budget_s=0.2
    )
    plan = plan_day(request, provider=OsrmProvider(base_url=osrm_url), config=FAST)
    assert sorted(plan.order) == ["a", "b"]
    assert len(plan.geometry) > 4  # the road line, not just the waypoints
