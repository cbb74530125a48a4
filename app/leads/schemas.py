"""Lead shapes: create/update/read, nearby results, ownership actions, history, flags."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.leads.models import Stage
from app.schemas import DATUMS, MAX_ID, PageArgsSchema, PointSchema, Schema

LEAD_ID = validate.Regexp(
    r"^[A-Za-z0-9_\-]{1,64}$", error="1-64 letters, digits, '_' or '-' (client-generated)"
)
STAGES = validate.OneOf([s.value for s in Stage])
PHONE = validate.Regexp(r"^\+?[0-9 ()\-]{5,31}$", error="not a phone number")


class LeadSchema(Schema):
    id = ma.fields.String()
    name = ma.fields.String()
    contact_person = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    address = ma.fields.String(allow_none=True)
    lat = ma.fields.Float(metadata={"description": "WGS-84"})
    lon = ma.fields.Float(metadata={"description": "WGS-84"})
    raw_lat = ma.fields.Float(metadata={"description": "As received, in `datum`"})
    raw_lon = ma.fields.Float(metadata={"description": "As received, in `datum`"})
    datum = ma.fields.String()
    territory_id = ma.fields.Integer(allow_none=True)
    org_node_id = ma.fields.Integer(allow_none=True)
    owner_id = ma.fields.Integer(allow_none=True, metadata={"description": "null: public pool"})
    stage = ma.fields.String()
    claimed_at = ma.fields.AwareDateTime(allow_none=True)
    protected_until = ma.fields.AwareDateTime(allow_none=True)
    last_verified_at = ma.fields.AwareDateTime(allow_none=True)
    released_at = ma.fields.AwareDateTime(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()


class LeadUpdateSchema(Schema):
    name = ma.fields.String(validate=validate.Length(min=1, max=200))
    contact_person = ma.fields.String(allow_none=True, validate=validate.Length(max=100))
    phone = ma.fields.String(allow_none=True, validate=PHONE)
    address = ma.fields.String(allow_none=True, validate=validate.Length(max=500))
    stage = ma.fields.String(validate=STAGES)
    lat = ma.fields.Float(allow_nan=False, validate=validate.Range(min=-90, max=90))
    lon = ma.fields.Float(allow_nan=False, validate=validate.Range(min=-180, max=180))
    datum = ma.fields.String(validate=validate.OneOf(DATUMS))

    @ma.validates_schema
    def _location_together(self, data: dict[str, object], **_: object) -> None:
        if ("lat" in data) != ("lon" in data) or ("datum" in data and "lat" not in data):
            raise ma.ValidationError("lat and lon (and datum) change together", "lat")


class LeadCreateSchema(PointSchema):
    id = ma.fields.String(required=True, validate=LEAD_ID)
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    contact_person = ma.fields.String(allow_none=True, validate=validate.Length(max=100))
    phone = ma.fields.String(allow_none=True, validate=PHONE)
    address = ma.fields.String(allow_none=True, validate=validate.Length(max=500))
    stage = ma.fields.String(load_default=Stage.NEW.value, validate=STAGES)


class LeadCreateArgsSchema(Schema):
    force = ma.fields.Boolean(
        load_default=False, metadata={"description": "Create even if duplicates are found"}
    )


class LeadListArgsSchema(PageArgsSchema):
    owner = ma.fields.String(
        validate=validate.Regexp(r"^(me|public|\d{1,9})$"),
        metadata={"description": "'me', 'public' or a staff id"},
    )
    stage = ma.fields.String(validate=STAGES)
    org_node_id = ma.fields.Integer(validate=validate.Range(min=1, max=MAX_ID))
    q = ma.fields.String(validate=validate.Length(min=1, max=100))


class LeadPageSchema(Schema):
    items = ma.fields.List(ma.fields.Nested(LeadSchema))
    total = ma.fields.Integer()
    limit = ma.fields.Integer()
    offset = ma.fields.Integer()


class NearbyArgsSchema(PointSchema):
    radius_m = ma.fields.Float(
        load_default=2000, allow_nan=False, validate=validate.Range(min=1, max=50_000)
    )
    limit = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class NearbyLeadSchema(LeadSchema):
    distance_m = ma.fields.Float(metadata={"description": "Great-circle distance, metres"})
    claimable = ma.fields.Boolean(metadata={"description": "Whether you may claim it now"})
    reason = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "Why not: previous_owner_lockout, release_cooldown, "
            "capacity_reached, daily_cap_reached, not_a_rep"
        },
    )
    message = ma.fields.String(allow_none=True)


class NoteSchema(Schema):
    note = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class TransferSchema(NoteSchema):
    to_staff_id = ma.fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID)
    )


class OwnerEventSchema(Schema):
    id = ma.fields.Integer()
    from_owner_id = ma.fields.Integer(allow_none=True)
    to_owner_id = ma.fields.Integer(allow_none=True)
    actor_id = ma.fields.Integer(allow_none=True)
    reason = ma.fields.String()
    note = ma.fields.String(allow_none=True)
    at = ma.fields.AwareDateTime()


class CollusionFlagSchema(Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    lead_id = ma.fields.String()
    from_staff_id = ma.fields.Integer(allow_none=True)
    to_staff_id = ma.fields.Integer(allow_none=True)
    detail = ma.fields.Dict()
    detected_at = ma.fields.AwareDateTime()
