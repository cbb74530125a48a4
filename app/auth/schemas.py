"""Login, refresh and token shapes."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.schemas import Schema

PLATFORMS = ("android", "ios", "web", "other")


class LoginSchema(Schema):
    login = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "Employee number or phone number"},
    )
    password = ma.fields.String(required=True, load_only=True, validate=validate.Length(max=256))
    device_id = ma.fields.String(
        required=True,
        validate=[validate.Length(min=4, max=128), validate.Regexp(r"^[\w.:\-]+$")],
        metadata={"description": "Stable id of the phone or browser (app-generated)"},
    )
    platform = ma.fields.String(required=True, validate=validate.OneOf(PLATFORMS))


class RefreshSchema(Schema):
    refresh_token = ma.fields.String(required=True, validate=validate.Length(min=16, max=256))


class TokenPairSchema(Schema):
    access_token = ma.fields.String()
    refresh_token = ma.fields.String()
    token_type = ma.fields.String(metadata={"example": "Bearer"})
    expires_in = ma.fields.Integer(metadata={"description": "Access token lifetime, seconds"})
    session_id = ma.fields.String()


class JwksSchema(Schema):
    keys = ma.fields.List(ma.fields.Dict())
