"""Road matrices and route lines from an OSRM server (`/table`, `/route`); standard library only.

OSRM refuses tables larger than its ``--max-table-size`` (100 by default), so bigger inputs are cut
into blocks of at most half that size and asked block pair by block pair: each request then holds
at most ``max_table_size`` coordinates and sources x destinations never exceeds the limit. Cells
OSRM answers with ``null`` (no road between the points) fall back to the haversine estimate.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from geo.routing.errors import MatrixError
from geo.routing.matrix import HaversineProvider, Matrix
from geo.routing.request import Point


class OsrmError(MatrixError):
    """OSRM answered with an error; ``osrm_code`` is its ``code`` field (e.g. ``NoRoute``)."""

    def __init__(self, message: str, osrm_code: object = None):
        super().__init__(message)
        self.osrm_code = osrm_code


def _coords(points: Sequence[Point]) -> str:
    return ";".join(f"{p.lon:.6f},{p.lat:.6f}" for p in points)


@dataclass(frozen=True, slots=True)
class OsrmProvider:
    """Matrix provider backed by an OSRM HTTP server at ``base_url``."""

    base_url: str = "http://127.0.0.1:5000"
    profile: str = "driving"
    max_table_size: int = 100
    max_route_points: int = 100
    timeout_s: float = 10.0
    fallback: HaversineProvider = field(default_factory=HaversineProvider)

    def __post_init__(self) -> None:
        scheme = urllib.parse.urlsplit(self.base_url).scheme
        if scheme not in ("http", "https"):
            raise ValueError(f"OSRM base_url must be http(s), got {self.base_url!r}")
        if self.max_table_size < 2 or self.max_route_points < 2:
            raise ValueError("max_table_size and max_route_points must be at least 2")
        if not math.isfinite(self.timeout_s) or self.timeout_s <= 0:
            raise ValueError("timeout_s must be a positive number of seconds")

    def _get(self, service: str, points: Sequence[Point], query: dict[str, str]) -> dict[str, Any]:
        base = self.base_url.rstrip("/")
        query_string = urllib.parse.urlencode(query, safe=";,")
        url = f"{base}/{service}/v1/{self.profile}/{_coords(points)}?{query_string}"
        # S310 flags URLs that might be file:// and the like: __post_init__ allows http(s) only
        request = urllib.request.Request(url, headers={"User-Agent": "waypoint-routing"})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
                body = response.read()
        except urllib.error.HTTPError as exc:
            try:
                detail = exc.read().decode("utf-8", "replace")[:300]
            finally:
                exc.close()
            try:
                code = json.loads(detail).get("code")
            except (ValueError, AttributeError):
                code = None
            raise OsrmError(f"OSRM {service} answered HTTP {exc.code}: {detail}", code) from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise MatrixError(f"OSRM at {base} is unreachable: {reason}") from exc
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise MatrixError(f"OSRM {service} answered something that is not JSON") from exc
        if not isinstance(data, dict) or data.get("code") != "Ok":
            code = data.get("code") if isinstance(data, dict) else None
            message = data.get("message", "") if isinstance(data, dict) else ""
            raise OsrmError(f"OSRM {service} failed: {code} {message}".rstrip(), code)
        return data

    def matrix(self, points: Sequence[Point]) -> Matrix:
        """Road distances (m) and durations (s) between all points, in as few requests as it may."""
        n = len(points)
        distances = [[0] * n for _ in range(n)]
        durations = [[0] * n for _ in range(n)]
        if n <= self.max_table_size:
            blocks = [list(range(n))]
        else:
            size = self.max_table_size // 2
            blocks = [list(range(i, min(i + size, n))) for i in range(0, n, size)]
        for sources in blocks:
            for targets in blocks:
                self._table(points, sources, targets, distances, durations)
        return Matrix.from_rows(distances, durations)

    def _table(
        self,
        points: Sequence[Point],
        sources: list[int],
        targets: list[int],
        distances: list[list[int]],
        durations: list[list[int]],
    ) -> None:
        ids = sorted(set(sources) | set(targets))
        if len(ids) < 2:
            return  # a point to itself: 0, and OSRM refuses tables of fewer than two coordinates
        at = {point: k for k, point in enumerate(ids)}
        query = {"annotations": "duration,distance"}
        if sources != targets:
            query["sources"] = ";".join(str(at[i]) for i in sources)
            query["destinations"] = ";".join(str(at[j]) for j in targets)
        data = self._get("table", [points[i] for i in ids], query)
        table_t, table_d = data.get("durations"), data.get("distances")
        if not _shaped(table_t, len(sources), len(targets)) or not _shaped(
            table_d, len(sources), len(targets)
        ):
            raise MatrixError("OSRM table answer lacks durations or distances of the asked shape")
        for a, i in enumerate(sources):
            for b, j in enumerate(targets):
                seconds, metres = table_t[a][b], table_d[a][b]  # type: ignore[index]
                if i == j:
                    continue
                if seconds is None or metres is None:
                    metres, seconds = self.fallback.leg(points[i], points[j])
                distances[i][j], durations[i][j] = round(metres), round(seconds)

    def path(self, points: Sequence[Point]) -> tuple[Point, ...]:
        """The road line through ``points``; straight segments where OSRM finds no route."""
        line: list[Point] = []
        step = self.max_route_points - 1
        for i in range(0, max(1, len(points) - 1), step):
            chunk = points[i : i + step + 1]
            if len(chunk) < 2:
                line.extend(p for p in chunk if not line or line[-1] != p)
                continue
            try:
                data = self._get("route", chunk, {"overview": "full", "geometries": "geojson"})
                coords = data["routes"][0]["geometry"]["coordinates"]
                part = [Point(lat=float(lat), lon=float(lon)) for lon, lat in coords]
            except OsrmError as exc:
                if exc.osrm_code != "NoRoute":
                    raise
                part = list(chunk)
            except (KeyError, IndexError, TypeError, ValueError) as exc:
                raise MatrixError("OSRM route answer lacks a GeoJSON geometry") from exc
            line.extend(part[1:] if line and part and line[-1] == part[0] else part)
        return tuple(line)


def _shaped(table: object, rows: int, cols: int) -> bool:
    return (
        isinstance(table, list)
        and len(table) == rows
        and all(isinstance(row, list) and len(row) == cols for row in table)
    )
