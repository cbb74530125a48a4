"""GET /map, the team-lead visit map page, and the Leaflet files it loads.

The page is static HTML and JavaScript: it logs in and reads everything through /api/v1 with
a bearer token, so it needs no cookie and no server-side session. Leaflet comes from
node_modules (installed by script/bootstrap from the npm registry), never from a CDN, so the
page works offline; only map tiles, when configured, come from elsewhere.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, render_template, send_from_directory

from app.config import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)
blp = Blueprint(
    "maps",
    __name__,
    url_prefix="/map",
    static_folder="static",
    template_folder="templates",
)
LEAFLET = PROJECT_ROOT / "node_modules" / "leaflet" / "dist"
_HOST = re.compile(r"(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:\d{1,5})?")


def tile_source(tile_url: str) -> str | None:
    """The CSP source that admits the tile server of a URL template (None: same origin or none).

    A placeholder in the leftmost host label (`{s}.tile.example.org`) becomes a `*.` wildcard,
    the only place CSP allows one; a host that cannot be expressed admits no tiles.
    """
    if not tile_url or not tile_url.startswith(("https://", "http://")):
        return None
    parts = urlsplit(tile_url)
    labels = parts.netloc.split(".")
    if "{" in labels[0]:
        labels[0] = "*"
    host = ".".join(labels)
    if not _HOST.fullmatch(host):
        log.warning("map tiles: cannot express host %r in a CSP; tiles stay blocked", host)
        return None
    return f"{parts.scheme}://{host}"


def security_headers(settings: Settings) -> dict[str, str]:
    """Headers for every response of the page: only this origin (and the tile host) is trusted."""
    tiles = tile_source(settings.map_tile_url)
    img = " ".join(["'self'", "data:", *([tiles] if tiles else [])])
    policy = "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {img}",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        # Tile servers (OpenStreetMap's among them) want to know the site asking: send the
        # origin to them, never a path.
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }


@blp.after_request
def _secure(response: Response) -> Response:
    response.headers.update(security_headers(current_app.config["WAYPOINT"]))
    return response


@blp.get("")
def page() -> Any:
    """The map page; tile settings are handed to the script as data attributes."""
    settings: Settings = current_app.config["WAYPOINT"]
    html = render_template(
        "maps/map.html",
        tile_url=settings.map_tile_url,
        tile_datum=settings.map_tile_datum,
        tile_attribution=settings.map_tile_attribution,
    )
    return Response(html, mimetype="text/html")


@blp.get("/vendor/leaflet/<path:filename>")
def leaflet(filename: str) -> Any:
    """Leaflet's dist files, installed from the npm registry by script/bootstrap."""
    if not LEAFLET.is_dir():
        abort(404)
    return send_from_directory(LEAFLET, filename)
