"""Settings: built once from the environment, validated, then passed around as a frozen value."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import limits

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("development", "test", "production")
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def _int(environ: Mapping[str, str], name: str, default: int, *, minimum: int = 0) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None


@dataclass(frozen=True)
class Settings:
    """Every knob of the service, with the default the embedded setup uses."""

    env: str = "development"
    instance_path: Path = PROJECT_ROOT / "instance"
    # Empty means the embedded default: SQLite + SpatiaLite in instance/waypoint.db.
    database_url: str = ""
    # JSON key set {"signing": kid, "keys": {kid: PEM}}; empty means a development key
    # generated once into instance/jwt-keys.json (refused in production).
    jwt_keys: str = ""
    jwt_issuer: str = "waypoint"
    access_token_ttl_s: int = 900
    refresh_token_ttl_s: int = 30 * 24 * 3600
    max_devices_per_staff: int = 2
    redis_url: str = ""
    login_rate_limit: str = "10 per minute"
    login_ip_rate_limit: str = "60 per minute"
    ratelimit_enabled: bool = True
    max_request_bytes: int = 12 * 1024 * 1024
    territory_max_vertices: int = 10_000
    territory_overlap_tolerance_m2: float = 1_000.0
    nearby_rate_limit: str = "120 per minute"
    # Route plans: an OSRM base URL (its /table and /route services) for road travel times;
    # empty means the estimate: great-circle distance x detour factor at a constant speed.
    osrm_url: str = ""
    route_detour_factor: float = 1.3
    route_speed_kmh: float = 30.0
    # Login only with an HR link (external_hr_id, set by SCIM) or the break-glass flag.
    # Off unless set, or unless WAYPOINT_ENV=production (turn it on when HR provisions).
    require_hr_link: bool = False
    # Team-lead map page (/map): a Leaflet tile URL template, e.g.
    # "https://tile.example.org/{z}/{x}/{y}.png", and the datum its tiles are drawn in
    # (gcj02 for Amap-style sources). Empty: no tile layer, the page works offline.
    map_tile_url: str = ""
    map_tile_datum: str = "wgs84"
    map_tile_attribution: str = ""
    # Empty means instance_path/photos.
    photo_root: str = ""
    photo_max_bytes: int = 8 * 1024 * 1024
    location_retention_days: int = 180
    # Browser origins allowed to call /api/ cross-origin, exact ("https://app.example.com");
    # empty: no CORS headers at all (the phone app and same-origin pages need none).
    cors_origins: tuple[str, ...] = ()
    # Requests per SCIM token (the HR connector), whatever its address.
    scim_rate_limit: str = "600 per minute"
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        """True when running for real users: defaults that are unsafe get refused."""
        return self.env == "production"

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL, defaulting to the embedded SpatiaLite file."""
        return self.database_url or f"sqlite:///{self.instance_path / 'waypoint.db'}"

    @property
    def photo_dir(self) -> Path:
        """Where photo files are stored, defaulting to instance/photos."""
        return Path(self.photo_root) if self.photo_root else self.instance_path / "photos"

    @property
    def is_sqlite(self) -> bool:
        """True on the embedded SQLite + SpatiaLite backend."""
        return self.sqlalchemy_url.startswith("sqlite")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read WAYPOINT_* variables, validate them, and apply explicit overrides last."""
        env = os.environ if environ is None else environ
        settings = cls(
            env=env.get("WAYPOINT_ENV", "development"),
            instance_path=Path(env.get("WAYPOINT_INSTANCE_PATH", str(PROJECT_ROOT / "instance"))),
            database_url=env.get("WAYPOINT_DATABASE_URL", ""),
            jwt_keys=env.get("WAYPOINT_JWT_KEYS", ""),
            access_token_ttl_s=_int(env, "WAYPOINT_ACCESS_TOKEN_TTL", 900, minimum=60),
            refresh_token_ttl_s=_int(
                env, "WAYPOINT_REFRESH_TOKEN_TTL", 30 * 24 * 3600, minimum=300
            ),
            max_devices_per_staff=_int(env, "WAYPOINT_MAX_DEVICES", 2, minimum=1),
            redis_url=env.get("WAYPOINT_REDIS_URL", ""),
            login_rate_limit=env.get("WAYPOINT_LOGIN_RATE_LIMIT", "10 per minute"),
            login_ip_rate_limit=env.get("WAYPOINT_LOGIN_IP_RATE_LIMIT", "60 per minute"),
            ratelimit_enabled=env.get("WAYPOINT_RATELIMIT_ENABLED", "1") not in ("0", "false"),
            territory_max_vertices=_int(env, "WAYPOINT_TERRITORY_MAX_VERTICES", 10_000, minimum=4),
            territory_overlap_tolerance_m2=float(
                _int(env, "WAYPOINT_TERRITORY_OVERLAP_TOLERANCE_M2", 1_000)
            ),
            nearby_rate_limit=env.get("WAYPOINT_NEARBY_RATE_LIMIT", "120 per minute"),
            osrm_url=env.get("WAYPOINT_OSRM_URL", ""),
            route_detour_factor=_float(env, "WAYPOINT_ROUTE_DETOUR_FACTOR", 1.3),
            route_speed_kmh=_float(env, "WAYPOINT_ROUTE_SPEED_KMH", 30.0),
            require_hr_link=env.get(
                "WAYPOINT_REQUIRE_HR_LINK",
                "1" if env.get("WAYPOINT_ENV") == "production" else "0",
            ).lower()
            in ("1", "true", "yes", "on"),
            map_tile_url=env.get("WAYPOINT_MAP_TILE_URL", ""),
            map_tile_datum=env.get("WAYPOINT_MAP_TILE_DATUM", "wgs84"),
            map_tile_attribution=env.get("WAYPOINT_MAP_TILE_ATTRIBUTION", ""),
            photo_root=env.get("WAYPOINT_PHOTO_ROOT", ""),
            photo_max_bytes=_int(env, "WAYPOINT_PHOTO_MAX_BYTES", 8 * 1024 * 1024, minimum=1024),
            location_retention_days=_int(env, "WAYPOINT_LOCATION_RETENTION_DAYS", 180, minimum=1),
            cors_origins=tuple(
                o.strip() for o in env.get("WAYPOINT_CORS_ORIGINS", "").split(",") if o.strip()
            ),
            scim_rate_limit=env.get("WAYPOINT_SCIM_RATE_LIMIT", "600 per minute"),
        )
        return replace(settings, **overrides).validated()

    def validated(self) -> Settings:
        """Refuse settings that cannot work, and unsafe defaults in production."""
        if self.env not in ENVIRONMENTS:
            raise SettingsError(f"WAYPOINT_ENV must be one of {ENVIRONMENTS}, got {self.env!r}")
        url = self.sqlalchemy_url
        if not (url.startswith("sqlite:///") or url.startswith("postgresql+psycopg://")):
            raise SettingsError(
                "WAYPOINT_DATABASE_URL must be postgresql+psycopg://... (or unset for SpatiaLite)"
            )
        if self.access_token_ttl_s > 3600:
            raise SettingsError("WAYPOINT_ACCESS_TOKEN_TTL above one hour defeats revocation")
        if self.is_production and not self.jwt_keys:
            raise SettingsError(
                "production refuses the generated development signing key: set WAYPOINT_JWT_KEYS"
            )
        if self.is_production and not self.database_url:
            # The embedded default is a file in the instance folder of one machine: a
            # forgotten variable must not put real data there. A deliberate sqlite:/// works.
            raise SettingsError(
                "production refuses the embedded default database: set WAYPOINT_DATABASE_URL"
            )
        try:
            limits.parse_many(self.scim_rate_limit)
        except ValueError:
            raise SettingsError(
                f"WAYPOINT_SCIM_RATE_LIMIT must read like '600 per minute', "
                f"got {self.scim_rate_limit!r}"
            ) from None
        for origin in self.cors_origins:
            if not _ORIGIN.fullmatch(origin):
                raise SettingsError(
                    f"WAYPOINT_CORS_ORIGINS takes exact origins like https://app.example.com "
                    f"(scheme, host, optional port; no path or wildcard), got {origin!r}"
                )
        if self.map_tile_datum not in ("wgs84", "gcj02"):
            raise SettingsError("WAYPOINT_MAP_TILE_DATUM must be wgs84 or gcj02")
        tiles = self.map_tile_url  # it also names a host in the page's Content-Security-Policy
        if tiles and (
            not tiles.startswith(("https://", "http://", "/"))
            or tiles.startswith("//")
            or any(c in tiles for c in " \t\r\n;,'\"")
        ):
            raise SettingsError(
                "WAYPOINT_MAP_TILE_URL must be an http(s) URL template or a /path, "
                "without spaces, quotes, commas or semicolons"
            )
        if self.osrm_url and not self.osrm_url.startswith(("http://", "https://")):
            raise SettingsError("WAYPOINT_OSRM_URL must be an http(s) URL, e.g. http://osrm:5000")
        if not (math.isfinite(self.route_detour_factor) and self.route_detour_factor >= 1):
            raise SettingsError("WAYPOINT_ROUTE_DETOUR_FACTOR must be a finite number >= 1")
        if not (math.isfinite(self.route_speed_kmh) and self.route_speed_kmh > 0):
            raise SettingsError("WAYPOINT_ROUTE_SPEED_KMH must be a finite number > 0")
        return self
