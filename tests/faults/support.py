"""Plumbing for the fault tests: a stdlib HTTP client, raw sockets that stop mid-body, a
gunicorn process over the test database, and the bodies a phone sends.

Every server listens on 127.0.0.1 only; every wait is bounded.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from PIL import Image

from app.config import Settings
from tests.conftest import TEST_KEYS
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip()


class Http:
    """One base URL; a new connection per request (gunicorn's sync worker closes anyway)."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        assert parts.hostname == "127.0.0.1", base  # the fault tests never leave the machine
        self.base, self.host, self.port = base, parts.hostname, parts.port or 80

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        query: dict[str, Any] | None = None,
    ) -> Reply:
        sent = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body).encode()
            sent.setdefault("Content-Type", "application/json")
        if query:
            path = f"{path}?{urlencode(query)}"
        conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT_S)
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            data = response.read()
            lowered = {k.lower(): v for k, v in response.getheaders()}
            return Reply(response.status, lowered, data)
        finally:
            conn.close()

    def login(self, employee_number: str, device_id: str = "device-0001") -> dict[str, str]:
        reply = self.request(
            "POST",
            "/api/v1/auth/login",
            json_body={
                "login": employee_number,
                "password": PASSWORD,
                "device_id": device_id,
                "platform": "android",
            },
        )
        assert reply.status == 200, reply.body[:500]
        return {"Authorization": f"Bearer {reply.json()['access_token']}"}

    def pull(self, headers: dict[str, str], cursor: int | None) -> Reply:
        return self.request(
            "GET",
            "/api/v1/sync/pull",
            headers=headers,
            query={
                "last_pulled_at": "null" if cursor is None else cursor,
                "schema_version": 1,
                "migration": "null",
            },
        )

    def push(self, headers: dict[str, str], cursor: int, changes: dict[str, Any]) -> Reply:
        return self.request(
            "POST",
            "/api/v1/sync/push",
            headers=headers,
            json_body=changes,
            query={"last_pulled_at": cursor},
        )


def raw_request(
    base: str,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    *,
    send: int,
    then: str,
) -> bytes:
    """Announce `len(body)` bytes, send only the first `send`, then stop.

    then="half-close": shut the sending side and read what the server answers;
    then="close": drop the connection at once (the answer is never read).
    """
    parts = urlsplit(base)
    assert parts.hostname == "127.0.0.1", base
    head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{parts.port}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    head += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
    with socket.create_connection(("127.0.0.1", parts.port or 80), timeout=TIMEOUT_S) as sock:
        sock.sendall("\r\n".join(head).encode() + body[:send])
        if then == "close":
            return b""  # leaving the block closes the socket: the server reads EOF mid-body
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def status_of(raw: bytes) -> int:
    """The status code of a raw HTTP/1.x answer (0 when there was none)."""
    match = re.match(rb"HTTP/1\.[01] (\d{3})", raw)
    return int(match.group(1)) if match else 0


def multipart(fields: dict[str, str], file_name: str, data: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body with the fields and one `file` part; (body, content type)."""
    boundary = f"----waypoint-{secrets.token_hex(8)}"
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(f"{value}\r\n".encode())
    out.write(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode()
    )
    out.write(data + f"\r\n--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def jpeg(seed: int, size: tuple[int, int] = (96, 72)) -> bytes:
    """A small, decodable JPEG whose bytes differ per seed."""
    image = Image.new("RGB", size, ((seed * 37) % 256, (seed * 91) % 256, (seed * 53) % 256))
    for x in range(0, size[0], 8):
        image.putpixel((x, (seed + x) % size[1]), (255 - x % 256, seed % 256, 0))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def checkin(visit_id: str, lead_id: str, lat: float, lon: float) -> dict[str, Any]:
    """A check-in body as the phone sends it (GPS fix a few metres from the lead)."""
    now = datetime.now(UTC)
    return {
        "id": visit_id,
        "lead_id": lead_id,
        "captured_at": now.isoformat(),
        "fix": {
            "lat": lat + 0.00005,
            "lon": lon,
            "accuracy_m": 8.0,
            "provider": "gps",
            "fix_time": (now - timedelta(seconds=3)).isoformat(),
        },
        "notes": "fault test",
    }


def offline_visit(visit_id: str, lead_id: str, lat: float, lon: float) -> dict[str, Any]:
    """A visit recorded offline, as a WatermelonDB `created` raw record."""
    millis = int((datetime.now(UTC) - timedelta(minutes=30)).timestamp() * 1000)
    return {
        "id": visit_id,
        "lead_id": lead_id,
        "captured_at": millis,
        "captured_offline": True,
        "fix_lat": lat + 0.0001,
        "fix_lon": lon,
        "fix_accuracy_m": 12,
        "fix_time": millis - 4000,
        "fix_provider": "gps",
        "notes": "offline",
        "_status": "created",
        "_changed": "",
    }


def new_lead(lead_id: str, lat: float, lon: float) -> dict[str, Any]:
    """A lead created on the phone, as a WatermelonDB `created` raw record."""
    return {
        "id": lead_id,
        "name": f"Kiosk {secrets.token_hex(4)}",  # unlike any other: no duplicate refusal
        "lat": lat,
        "lon": lon,
        "datum": "wgs84",
        "stage": "new",
        "_status": "created",
        "_changed": "",
    }


def server_env(settings: Settings, tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of a gunicorn or `flask` process over the test database."""
    env = {
        **os.environ,
        "WAYPOINT_ENV": "test",
        "WAYPOINT_DATABASE_URL": settings.database_url,
        "WAYPOINT_JWT_KEYS": TEST_KEYS,
        "WAYPOINT_INSTANCE_PATH": str(tmp),
        "WAYPOINT_PHOTO_ROOT": str(settings.photo_dir),
        "WAYPOINT_RATELIMIT_ENABLED": "0",
        **extra,
    }
    env.pop("WAYPOINT_REDIS_URL", None)
    return env


@contextmanager
def gunicorn(env: dict[str, str], *, workers: int = 1) -> Iterator[str]:
    """`gunicorn wsgi:app` on a free 127.0.0.1 port; yields its base URL, stops it after."""
    log = Path(env["WAYPOINT_INSTANCE_PATH"]) / f"gunicorn-{secrets.token_hex(3)}.log"
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
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        base = _wait_listening(proc, log)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _wait_listening(proc: subprocess.Popen[bytes], log: Path, limit_s: float = 60) -> str:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log.read_text(errors='replace')[-3000:]}")
        text = log.read_text("utf-8", "replace")
        match = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", text)
        if match:
            base = match.group(1)
            try:
                if Http(base).request("GET", "/healthz").status == 200:
                    return base
            except OSError:
                pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer in {limit_s} s:\n{log.read_text()[-3000:]}")
