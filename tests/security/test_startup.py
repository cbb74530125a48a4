"""Start-up checks: production refuses the defaults that are only safe on a developer's machine.

Production (`WAYPOINT_ENV=production`) needs its signing keys and its database named in the
environment: the generated development key and the embedded SQLite file are refused, so a
forgotten variable stops the process instead of running with a key nobody rotates or with
data in one machine's instance folder. A deliberate `sqlite:///...` URL is accepted.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from app.auth.tokens import generate_keyset_json
from app.config import PROJECT_ROOT, Settings, SettingsError

KEYS = generate_keyset_json("2026-11")
PG_URL = "postgresql+psycopg://waypoint@db.internal/waypoint"


def production(**environ: str) -> dict[str, str]:
    return {"WAYPOINT_ENV": "production", **environ}


def test_production_refuses_the_generated_signing_key():
    with pytest.raises(SettingsError, match="WAYPOINT_JWT_KEYS"):
        Settings.from_env(production(WAYPOINT_DATABASE_URL=PG_URL))


def test_production_refuses_the_embedded_default_database():
    with pytest.raises(SettingsError, match="WAYPOINT_DATABASE_URL"):
        Settings.from_env(production(WAYPOINT_JWT_KEYS=KEYS))


def test_production_runs_with_keys_and_a_database_from_the_environment():
    settings = Settings.from_env(production(WAYPOINT_JWT_KEYS=KEYS, WAYPOINT_DATABASE_URL=PG_URL))

    assert settings.is_production
    assert settings.require_hr_link  # login needs an HR link unless turned off explicitly


def test_production_accepts_sqlite_when_it_is_named_deliberately(tmp_path):
    url = f"sqlite:///{tmp_path / 'single-host.db'}"

    assert Settings.from_env(production(WAYPOINT_JWT_KEYS=KEYS, WAYPOINT_DATABASE_URL=url))


@pytest.mark.parametrize("env", ["development", "test"])
def test_development_and_tests_keep_their_conveniences(env):
    settings = Settings.from_env({"WAYPOINT_ENV": env})

    assert settings.jwt_keys == ""
    assert settings.database_url == ""


def test_a_malformed_key_set_stops_the_app_without_echoing_it(tmp_path):
    secret = generate_keyset_json("k1").replace("PRIVATE KEY-----\\n", "PRIVATE KEY-----\\nXX")
    settings = Settings.from_env(
        production(WAYPOINT_JWT_KEYS=secret, WAYPOINT_DATABASE_URL=f"sqlite:///{tmp_path}/x.db"),
        instance_path=tmp_path,
    )

    with pytest.raises(ValueError, match="not a valid key set") as raised:
        create_app(settings)
    assert "PRIVATE" not in str(raised.value)


def test_production_never_writes_a_development_key(tmp_path):
    settings = Settings.from_env(
        production(WAYPOINT_JWT_KEYS=KEYS, WAYPOINT_DATABASE_URL=f"sqlite:///{tmp_path}/x.db"),
        instance_path=tmp_path,
    )

    create_app(settings)

    assert not (tmp_path / "jwt-keys.json").exists()


def run_wsgi(environ: dict[str, str], instance: Path) -> subprocess.CompletedProcess[str]:
    """Import the WSGI entry point (as gunicorn does) with only these WAYPOINT_ variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WAYPOINT_")}
    env = {**clean, **environ, "WAYPOINT_INSTANCE_PATH": str(instance)}
    return subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_wsgi_entry_point_refuses_to_start_in_production_with_defaults(tmp_path):
    result = run_wsgi(production(), tmp_path)

    assert result.returncode != 0
    assert "SettingsError" in result.stderr
    assert "WAYPOINT_JWT_KEYS" in result.stderr
    assert not (tmp_path / "jwt-keys.json").exists()
    assert not (tmp_path / "waypoint.db").exists()


def test_an_access_token_lifetime_above_an_hour_is_refused():
    # Revocation bites on the next request, but a stolen token lives until it expires.
    with pytest.raises(SettingsError, match="WAYPOINT_ACCESS_TOKEN_TTL"):
        Settings.from_env({"WAYPOINT_ACCESS_TOKEN_TTL": "3601"})
    assert Settings.from_env({"WAYPOINT_ACCESS_TOKEN_TTL": "3600"}).access_token_ttl_s == 3600
