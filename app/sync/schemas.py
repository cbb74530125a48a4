"""Sync request and response shapes (the WatermelonDB protocol)."""

from __future__ import annotations

import json
from typing import Any

import marshmallow as ma
from marshmallow import validate

from app.schemas import Schema


class JsonOrNull(ma.fields.Field):
    """A query parameter holding JSON text, or the literal `null`."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if value in (None, "", "null"):
            return None
        try:
            parsed = json.loads(value)
        except (TypeError, ValueError):
            raise ma.ValidationError("not JSON") from None
        if not isinstance(parsed, dict):
            raise ma.ValidationError("must be a JSON object or null")
        return parsed


MAX_CURSOR = 2**53 - 1


class CursorOrNull(ma.fields.Integer):
    """last_pulled_at: an integer, or null/absent/0 on a first sync."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if value in (None, "", "null", "undefined", "0"):
            return None
        number = super()._deserialize(value, attr, data, **kwargs)
        if not 1 <= number <= MAX_CURSOR:
            raise ma.ValidationError(f"must be null or between 1 and {MAX_CURSOR}")
        return number


class PullArgsSchema(Schema):
    last_pulled_at = CursorOrNull(
        load_default=None,
        allow_none=True,
        metadata={"description": "The timestamp of the previous pull; null on first sync"},
    )
    schema_version = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    migration = JsonOrNull(
        load_default=None, metadata={"description": "JSON: {from, tables, columns} or null"}
    )


class PushArgsSchema(Schema):
    last_pulled_at = ma.fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=MAX_CURSOR),
        metadata={"description": "The timestamp of the pull this push follows"},
    )


class TableChangesSchema(Schema):
    created = ma.fields.List(ma.fields.Dict())
    updated = ma.fields.List(ma.fields.Dict())
    deleted = ma.fields.List(ma.fields.String())


class PullResponseSchema(Schema):
    changes = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(TableChangesSchema))
    timestamp = ma.fields.Integer(metadata={"description": "Cursor for the next pull (≥ 1)"})
    experimentalStrategy = ma.fields.String(
        allow_none=True, metadata={"description": "'replacement' when the device must be replaced"}
    )


class PushResponseSchema(Schema):
    experimentalRejectedIds = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.List(ma.fields.String())
    )


class RejectionSchema(Schema):
    table_name = ma.fields.String()
    record_id = ma.fields.String()
    code = ma.fields.String()
    detail = ma.fields.String()
    at = ma.fields.AwareDateTime()


class ConflictSchema(Schema):
    table_name = ma.fields.String()
    record_id = ma.fields.String()
    column = ma.fields.String()
    client_value = ma.fields.Raw(allow_none=True)
    server_value = ma.fields.Raw(allow_none=True)
    winner = ma.fields.String()
    policy = ma.fields.String()
    at = ma.fields.AwareDateTime()
