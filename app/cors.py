"""CORS for the API: exact browser origins from WAYPOINT_CORS_ORIGINS, nothing by default.

The API authenticates with bearer tokens, never cookies, so no response allows credentials
and none carries a wildcard: an allowed origin is echoed back, any other origin gets no CORS
header at all (the browser then refuses to hand the response to its script). Preflights are
Flask's automatic OPTIONS answers, completed here. /scim and /map are not for browsers of
other origins and never get CORS headers.
"""

from __future__ import annotations

from flask import Flask, Response, request

from app.config import Settings

API_PREFIX = "/api/"
ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE"
ALLOW_HEADERS = "Authorization, Content-Type, Idempotency-Key"
EXPOSE_HEADERS = "Retry-After, Location"
MAX_AGE_S = "600"


def cors_headers(origin: str | None, *, allowed: frozenset[str], preflight: bool) -> dict[str, str]:
    """The CORS headers for a request from `origin` (none unless it is allowed exactly)."""
    if origin is None or origin not in allowed:
        return {}
    headers = {"Access-Control-Allow-Origin": origin}
    if preflight:
        headers |= {
            "Access-Control-Allow-Methods": ALLOW_METHODS,
            "Access-Control-Allow-Headers": ALLOW_HEADERS,
            "Access-Control-Max-Age": MAX_AGE_S,
        }
    else:
        headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
    return headers


def register_cors(app: Flask, settings: Settings) -> None:
    """Answer cross-origin requests to /api/ from the configured origins (if any)."""
    if not settings.cors_origins:
        return
    allowed = frozenset(settings.cors_origins)

    @app.after_request
    def _cors(response: Response) -> Response:
        if not request.path.startswith(API_PREFIX):
            return response
        response.vary.add("Origin")  # caches must not hand one origin's answer to another
        preflight = request.method == "OPTIONS" and "Access-Control-Request-Method" in (
            request.headers
        )
        origin = request.headers.get("Origin")
        response.headers.update(cors_headers(origin, allowed=allowed, preflight=preflight))
        return response
