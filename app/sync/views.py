"""HTTP face of WatermelonDB sync: pull, push, and what the server refused or overrode."""

from __future__ import annotations

import gzip
from typing import Any

import marshmallow as ma
from flask import Response, json, request
from flask.views import MethodView

from app.auth.guard import current_principal
from app.extensions import Blueprint
from app.schemas import Schema
from app.sync import service
from app.sync.schemas import (
    ConflictSchema,
    PullArgsSchema,
    PullResponseSchema,
    PushArgsSchema,
    PushResponseSchema,
    RejectionSchema,
)
from app.web import db_session

blp = Blueprint(
    "sync", __name__, url_prefix="/api/v1/sync", description="Offline sync (WatermelonDB)"
)
GZIP_MIN_BYTES = 1400


class PushBodySchema(Schema):
    """The client's changes object: {table: {created: [raw], updated: [raw], deleted: [id]}}."""

    class Meta:
        unknown = ma.INCLUDE


def _json_response(payload: dict[str, Any]) -> Response:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    response = Response(body, mimetype="application/json")
    if len(body) >= GZIP_MIN_BYTES and "gzip" in request.headers.get("Accept-Encoding", ""):
        response.set_data(gzip.compress(body, compresslevel=5))
        response.headers["Content-Encoding"] = "gzip"
        response.headers["Vary"] = "Accept-Encoding"
    return response


@blp.route("/pull")
class SyncPull(MethodView):
    @blp.login_required()
    @blp.arguments(PullArgsSchema, location="query")
    @blp.response(200, PullResponseSchema)
    @blp.problems(403, 422)
    def get(self, args: dict[str, Any]) -> Any:
        """Changes since last_pulled_at in your scope, and the next cursor (gzip if accepted)."""
        answer = service.pull(
            db_session(),
            current_principal(),
            cursor=args["last_pulled_at"],
            schema_version=args["schema_version"],
            migration=args["migration"],
        )
        payload: dict[str, Any] = {"changes": answer.changes, "timestamp": answer.timestamp}
        if answer.strategy:
            payload["experimentalStrategy"] = answer.strategy
        return _json_response(payload)


@blp.route("/push")
class SyncPush(MethodView):
    @blp.login_required()
    @blp.arguments(PushArgsSchema, location="query")
    @blp.arguments(PushBodySchema)
    @blp.response(200, PushResponseSchema)
    @blp.problems(403, 422)
    def post(self, args: dict[str, Any], changes: dict[str, Any]) -> Any:
        """Apply the device's changes atomically; refused records are listed, not fatal."""
        return service.push(
            db_session(), current_principal(), cursor=args["last_pulled_at"], changes=changes
        )


@blp.route("/rejections")
class SyncRejections(MethodView):
    @blp.login_required()
    @blp.response(200, RejectionSchema(many=True))
    def get(self) -> Any:
        """Records the server refused from your devices, with the reason."""
        return service.rejections(db_session(), current_principal())


@blp.route("/conflicts")
class SyncConflicts(MethodView):
    @blp.login_required()
    @blp.response(200, ConflictSchema(many=True))
    def get(self) -> Any:
        """Columns where the server kept another value than your device pushed."""
        return service.conflicts(db_session(), current_principal())
