"""Scale-out checks between instance A and instance B: nothing may live in one process.

1. a token pair issued by A authenticates on B, and B rotates A's refresh token;
2. a logout on A revokes the access token on B at once;
3. the login rate limit counts attempts on A and B together (Redis): 10 per minute per
   account name, so the 11th attempt, wherever it lands, is a 429;
4. sync cursors are one sequence: a pull on A, a check-in through B, a pull on B from A's
   cursor brings it, and a pull on A from B's newer cursor brings nothing again.
"""

from __future__ import annotations

import http.client
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from bench.load.seed import PASSWORD, Person, Team


def _call(
    port: int, method: str, path: str, *, token: str | None = None, body: Any = None
) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None
    finally:
        conn.close()


def _login(port: int, login: str, password: str, device: str) -> tuple[int, Any]:
    body = {"login": login, "password": password, "device_id": device, "platform": "android"}
    return _call(port, "POST", "/api/v1/auth/login", body=body)


def _pull(port: int, token: str, cursor: int | None) -> tuple[int, Any]:
    query = urlencode(
        {
            "last_pulled_at": "null" if cursor is None else cursor,
            "schema_version": 1,
            "migration": "null",
        }
    )
    return _call(port, "GET", f"/api/v1/sync/pull?{query}", token=token)


def _visit_ids(body: Any) -> set[str]:
    visits = body["changes"].get("visits", {})
    return {r["id"] for kind in ("created", "updated") for r in visits.get(kind, [])}


def run_checks(
    a: int, b: int, probe: Person, team: Team
) -> tuple[list[tuple[str, bool, str]], set[str]]:
    """Each check as (name, passed, detail), and the ids of the visits the checks made."""
    results: list[tuple[str, bool, str]] = []

    status, pair = _login(a, probe.employee_number, PASSWORD, "probe-phone")
    assert status == 200, (status, pair)
    access, refresh = pair["access_token"], pair["refresh_token"]
    me, _ = _call(b, "GET", "/api/v1/me", token=access)
    rotated, new_pair = _call(b, "POST", "/api/v1/auth/refresh", body={"refresh_token": refresh})
    results.append(
        (
            "token from A accepted on B; B rotates A's refresh token",
            me == 200 and rotated == 200,
            f"GET /me on B: {me}; refresh on B: {rotated}",
        )
    )
    access = new_pair["access_token"] if rotated == 200 else access

    # 4 first (needs the live session): cursors are one sequence across processes.
    status, first = _pull(a, access, None)
    cursor_a = first["timestamp"]
    lead_id, lat, lon = team.public[0]
    now = datetime.now(UTC)
    visit_id = f"probe-{secrets.token_hex(4)}"
    checkin = {
        "id": visit_id,
        "lead_id": lead_id,
        "captured_at": now.isoformat(),
        "fix": {
            "lat": lat,
            "lon": lon,
            "accuracy_m": 8,
            "fix_time": (now - timedelta(seconds=3)).isoformat(),
        },
    }
    made, _ = _call(b, "POST", "/api/v1/visits", token=access, body=checkin)
    status_b, on_b = _pull(b, access, cursor_a)
    cursor_b = on_b["timestamp"] if status_b == 200 else None
    status_a2, on_a = _pull(a, access, cursor_b)
    ok = (
        made == 201
        and status_b == 200
        and visit_id in _visit_ids(on_b)
        and cursor_b is not None
        and cursor_b > cursor_a
        and status_a2 == 200
        and visit_id not in _visit_ids(on_a)
        and on_a["timestamp"] >= cursor_b
    )
    results.append(
        (
            "sync cursor: pull on A, check-in on B, pull on B brings it, pull on A after is empty",
            ok,
            f"cursor A {cursor_a} -> B {cursor_b} -> A {on_a.get('timestamp')}; check-in {made}",
        )
    )

    out, _ = _call(a, "POST", "/api/v1/auth/logout", token=access)
    after, _ = _call(b, "GET", "/api/v1/me", token=access)
    results.append(
        ("logout on A revokes the access token on B", out == 204 and after == 401, f"{out}/{after}")
    )

    name = f"rl-probe-{secrets.token_hex(4)}"  # an unknown account: 401 until the limit
    statuses = [_login((a, b)[i % 2], name, "wrong-password-xx", "probe-x")[0] for i in range(11)]
    results.append(
        (
            "login rate limit (10/min per account) counted across A and B",
            statuses[:10] == [401] * 10 and statuses[10] == 429,
            "A/B alternating: " + " ".join(map(str, statuses)),
        )
    )
    return results, {visit_id} if made == 201 else set()
