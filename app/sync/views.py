"""HTTP face of WatermelonDB sync: pull, push, and what the server refused or overrode."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from typing import Any

import marshmallow as ma
from flask import Response, json, request
from flask.views import MethodView

from app.auth.guard import current_principal
from app.extensions import Blueprint
from app.org.models import SALES_ROLES
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
ENCODE_BATCH = 500  # records JSON-encoded at a time


class PushBodySchema(Schema):
    """The client's changes object: {table: {created: [raw], updated: [raw], deleted: [id]}}."""

    class Meta:
        unknown = ma.INCLUDE


def _json_chunks(value: Any) -> Iterator[bytes]:
    """Compact JSON of `value`, a few hundred records at a time.

    A first pull holds tens of thousands of records: encoding the whole text, then its bytes,
    then a compressed copy would hold three copies at once (tens of MB above the records).
    """
    if isinstance(value, dict):
        yield b"{"
        for i, (key, item) in enumerate(value.items()):
            yield ("," if i else "").encode() + _dumps(str(key)).encode() + b":"
            yield from _json_chunks(item)
        yield b"}"
    elif isinstance(value, list) and len(value) > ENCODE_BATCH:
        yield b"["
        for start in range(0, len(value), ENCODE_BATCH):
            part = _dumps(value[start : start + ENCODE_BATCH])[1:-1]  # one call per batch
            yield ("," if start else "").encode() + part.encode()
        yield b"]"
    else:
        yield _dumps(value).encode()


def _dumps(value: Any) -> str:
    """Flask's JSON (its fallbacks for dates and the like), compact, keys in each record's own
    column order (app.json.sort_keys: sorting 25,000 records cost a fifth of encoding them)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _json_response(payload: dict[str, Any]) -> Response:
    """The payload as JSON: gzip-compressed as it is encoded when the client accepts gzip,
    otherwise streamed chunk by chunk (never the whole text in memory)."""
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        buffer, size = io.BytesIO(), 0
        with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=5, mtime=0) as compressed:
            for chunk in _json_chunks(payload):
                size += len(chunk)
                compressed.write(chunk)
        if size >= GZIP_MIN_BYTES:
            response = Response(buffer.getvalue(), mimetype="application/json")
            response.headers["Content-Encoding"] = "gzip"
        else:
            response = Response(_json_chunks(payload), mimetype="application/json")
    else:
        response = Response(_json_chunks(payload), mimetype="application/json")
    response.headers["Vary"] = "Accept-Encoding"
    return response


@blp.route("/pull")
class SyncPull(MethodView):
    @blp.login_required(*SALES_ROLES)
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
    @blp.login_required(*SALES_ROLES)
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
    @blp.login_required(*SALES_ROLES)
    @blp.response(200, RejectionSchema(many=True))
    def get(self) -> Any:
        """Records the server refused from your devices, with the reason."""
        return service.rejections(db_session(), current_principal())


@blp.route("/conflicts")
class SyncConflicts(MethodView):
    @blp.login_required(*SALES_ROLES)
    @blp.response(200, ConflictSchema(many=True))
    def get(self) -> Any:
        """Columns where the server kept another value than your device pushed."""
        return service.conflicts(db_session(), current_principal())
