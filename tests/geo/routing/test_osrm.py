"""The OSRM client against a small fake OSRM on a real local socket (no network)."""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from geo.routing import HaversineProvider, MatrixError, OsrmProvider, Point

ISLAND_LAT = 1.0  # no road reaches points at this latitude


def fake_leg(a: tuple[float, float], b: tuple[float, float]) -> tuple[float | None, float | None]:
    """(seconds, metres) from lon/lat ``a`` to ``b``; eastbound costs 5 s more (one-way streets)."""
    if (a[1] == ISLAND_LAT) != (b[1] == ISLAND_LAT):
        return None, None
    span = abs(a[0] - b[0]) + abs(a[1] - b[1])
    return span * 100 + (5.4 if b[0] > a[0] else 0.0), span * 1000


class FakeOsrm(BaseHTTPRequestHandler):
    server: FakeServer

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: object) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        service, _, _profile, coords = url.path.strip("/").split("/", 3)
        points = [tuple(float(v) for v in c.split(",")) for c in coords.split(";")]
        query = dict(urllib.parse.parse_qsl(url.query))
        self.server.requests.append((service, len(points), query))
        mode = self.server.mode
        if mode == "slow":
            time.sleep(1.0)
        if mode == "garbage":
            return self._send(200, b"<html>proxy error</html>")
        if mode == "gateway":
            return self._send(502, b"<html>bad gateway</html>")
        if mode == "shape":
            return self._send(200, {"code": "Ok", "durations": [[0]]})
        if mode == "badroute":
            return self._send(200, {"code": "Ok", "routes": []})
        if mode == "notok":
            return self._send(200, {"code": "InvalidQuery", "message": "Query string malformed"})
        if service == "route":
            if mode == "noroute":
                return self._send(400, {"code": "NoRoute", "message": "Impossible route"})
            line = [points[0]]
            for a, b in itertools.pairwise(points):
                line += [((a[0] + b[0]) / 2, (a[1] + b[1]) / 2), b]
            return self._send(200, {"code": "Ok", "routes": [{"geometry": {"coordinates": line}}]})
        if len(points) < 2:
            message = "Number of coordinates needs to be at least two."
            return self._send(400, {"code": "InvalidOptions", "message": message})
        sources = [int(i) for i in query["sources"].split(";")] if "sources" in query else None
        targets = (
            [int(i) for i in query["destinations"].split(";")] if "destinations" in query else None
        )
        sources = sources if sources is not None else list(range(len(points)))
        targets = targets if targets is not None else list(range(len(points)))
        if (
            len(sources) * len(targets) > self.server.max_table_size**2
            or len(points) > self.server.max_table_size
        ):
            return self._send(400, {"code": "TooBig", "message": "Too many table coordinates"})
        legs = [[fake_leg(points[i], points[j]) for j in targets] for i in sources]
        return self._send(
            200,
            {
                "code": "Ok",
                "durations": [[t for t, _ in row] for row in legs],
                "distances": [[d for _, d in row] for row in legs],
            },
        )


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True
    mode = "ok"
    max_table_size = 100

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), FakeOsrm)
        self.requests: list[tuple[str, int, dict[str, str]]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    server = FakeServer()
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def grid(n: int) -> list[Point]:
    return [Point(2.0 + (i % 3) * 0.01, 10.0 + i * 0.01) for i in range(n)]


def expected(points: list[Point]) -> tuple[list[list[int]], list[list[int]]]:
    legs = [[fake_leg((a.lon, a.lat), (b.lon, b.lat)) for b in points] for a in points]
    return (
        [
            [0 if a is b else round(d) for b, (_, d) in zip(points, row, strict=True)]
            for a, row in zip(points, legs, strict=True)
        ],
        [
            [0 if a is b else round(t) for b, (t, _) in zip(points, row, strict=True)]
            for a, row in zip(points, legs, strict=True)
        ],
    )


def test_small_table_in_one_request(fake):
    points = grid(5)
    m = OsrmProvider(base_url=fake.url).matrix(points)
    assert (list(map(list, m.distances_m)), list(map(list, m.durations_s))) == expected(points)
    assert len(fake.requests) == 1 and "sources" not in fake.requests[0][2]
    assert m.durations_s[0][1] != m.durations_s[1][0]  # asymmetric answers are kept


def test_large_table_is_chunked_within_the_server_limit(fake):
    fake.max_table_size = 4
    points = grid(9)
    m = OsrmProvider(base_url=fake.url, max_table_size=4).matrix(points)
    assert (list(map(list, m.distances_m)), list(map(list, m.durations_s))) == expected(points)
    assert len(fake.requests) == 24  # blocks of 2,2,2,2,1: 5 x 5 pairs, less the lone point
    assert all(count <= 4 for _, count, _ in fake.requests)


def test_null_cells_fall_back_to_haversine(fake):
    points = [Point(10.0, 2.0), Point(ISLAND_LAT, 2.0), Point(10.0, 2.5)]
    fallback = HaversineProvider(detour_factor=2.0, speed_kmh=20.0)
    m = OsrmProvider(base_url=fake.url, fallback=fallback).matrix(points)
    metres, seconds = fallback.leg(points[0], points[1])
    assert (m.distances_m[0][1], m.durations_s[0][1]) == (metres, seconds)
    assert m.durations_s[0][2] == round(0.5 * 100 + 5.4)  # road cells stay OSRM's


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("garbage", "not JSON"),
        ("notok", "InvalidQuery Query string malformed"),
        ("gateway", "HTTP 502: <html>bad gateway"),
        ("shape", "lacks durations or distances"),
    ],
)
def test_bad_answers_are_clear_errors(fake, mode, message):
    fake.mode = mode
    with pytest.raises(MatrixError, match=message):
        OsrmProvider(base_url=fake.url).matrix(grid(3))


def test_route_answer_without_geometry_is_an_error(fake):
    fake.mode = "badroute"
    with pytest.raises(MatrixError, match="GeoJSON geometry"):
        OsrmProvider(base_url=fake.url).path(grid(2))


def test_route_errors_other_than_no_route_are_raised(fake):
    fake.mode = "gateway"
    with pytest.raises(MatrixError, match="HTTP 502"):
        OsrmProvider(base_url=fake.url).path(grid(2))


def test_a_single_point_needs_no_request(fake):
    m = OsrmProvider(base_url=fake.url).matrix(grid(1))
    assert m.durations_s == ((0,),) and fake.requests == []


def test_http_error_carries_osrm_code(fake):
    fake.max_table_size = 2
    with pytest.raises(MatrixError, match=r"HTTP 400.*TooBig") as caught:
        OsrmProvider(base_url=fake.url, max_table_size=10).matrix(grid(3))
    assert caught.value.osrm_code == "TooBig"


def test_timeout_is_an_error(fake):
    fake.mode = "slow"
    with pytest.raises(MatrixError, match="unreachable"):
        OsrmProvider(base_url=fake.url, timeout_s=0.2).matrix(grid(2))


def test_unreachable_server_is_an_error():
    server = FakeServer()  # bound but never served, then closed: nothing listens on the port
    url = server.url
    server.server_close()
    with pytest.raises(MatrixError, match="unreachable"):
        OsrmProvider(base_url=url, timeout_s=1.0).matrix(grid(2))


def test_route_geometry_and_no_route_fallback(fake):
    points = grid(3)
    line = OsrmProvider(base_url=fake.url).path(points)
    assert line[0] == points[0] and line[-1] == points[-1] and len(line) == 5
    fake.mode = "noroute"
    assert OsrmProvider(base_url=fake.url).path(points) == tuple(points)


def test_long_routes_are_chunked_and_joined(fake):
    points = grid(7)
    line = OsrmProvider(base_url=fake.url, max_route_points=3).path(points)
    assert [r for r in fake.requests if r[0] == "route"] and all(
        c <= 3 for _, c, _ in fake.requests
    )
    assert line[0] == points[0] and line[-1] == points[-1]
    assert len(line) == 13  # 7 waypoints + 6 midpoints, joints not repeated


def test_settings_are_checked():
    with pytest.raises(ValueError, match="http"):
        OsrmProvider(base_url="file:///etc/passwd")
    with pytest.raises(ValueError, match="at least 2"):
        OsrmProvider(max_table_size=1)
    with pytest.raises(ValueError, match="timeout_s"):
        OsrmProvider(timeout_s=0)


def test_path_of_one_point_is_that_point(fake):
    assert OsrmProvider(base_url=fake.url).path(grid(1)) == tuple(grid(1))
    assert fake.requests == []
