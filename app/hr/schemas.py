"""Shapes of the HR admin API: SCIM tokens, department mappings, audit rows, alerts."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.schemas import MAX_ID, Schema

NODE_ID = validate.Range(min=1, max=MAX_ID)


class ScimTokenSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(dump_only=True)
    org_node_id = ma.fields.Integer(
        dump_only=True, attribute="root_node_id", metadata={"description": "Subtree it provisions"}
    )
    created_at = ma.fields.DateTime(dump_only=True)
    last_used_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    revoked_at = ma.fields.DateTime(dump_only=True, allow_none=True)


class ScimTokenCreatedSchema(ScimTokenSchema):
    token = ma.fields.String(
        dump_only=True, metadata={"description": "The bearer token; shown this once only"}
    )


class ScimTokenCreateSchema(Schema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=80))
    org_node_id = ma.fields.Integer(
        strict=True,
        validate=NODE_ID,
        metadata={"description": "Root of the subtree it provisions (default: your node)"},
    )


class DepartmentMappingSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    organization = ma.fields.String(dump_only=True, metadata={"description": "'' = any"})
    department = ma.fields.String(dump_only=True, metadata={"description": "'' = any"})
    org_node_id = ma.fields.Integer(dump_only=True)


class DepartmentMappingCreateSchema(Schema):
    organization = ma.fields.String(load_default=None, validate=validate.Length(max=200))
    department = ma.fields.String(load_default=None, validate=validate.Length(max=200))
    org_node_id = ma.fields.Integer(required=True, strict=True, validate=NODE_ID)


class AuditSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    at = ma.fields.DateTime(dump_only=True)
    actor = ma.fields.String(dump_only=True, metadata={"description": "Token name or admin"})
    action = ma.fields.String(dump_only=True)
    resource_type = ma.fields.String(dump_only=True)
    resource_id = ma.fields.String(dump_only=True, allow_none=True)
    staff_id = ma.fields.Integer(dump_only=True, allow_none=True)
    before = ma.fields.Dict(dump_only=True, allow_none=True)
    after = ma.fields.Dict(dump_only=True, allow_none=True)
    detail = ma.fields.Dict(dump_only=True)


class AuditQueryArgsSchema(Schema):
    staff_id = ma.fields.Integer(validate=NODE_ID)
    limit = ma.fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    offset = ma.fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000_000))


class AlertSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    at = ma.fields.DateTime(dump_only=True)
    kind = ma.fields.String(dump_only=True)
    staff_id = ma.fields.Integer(dump_only=True, allow_none=True)
    message = ma.fields.String(dump_only=True)
    detail = ma.fields.Dict(dump_only=True)
    resolved_at = ma.fields.DateTime(dump_only=True, allow_none=True)


class AlertQueryArgsSchema(Schema):
    include_resolved = ma.fields.Boolean(load_default=False)
