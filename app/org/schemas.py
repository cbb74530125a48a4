"""Shapes of org nodes, staff and consent records; validation of fields only."""

from __future__ import annotations

import re
import zoneinfo
from typing import Any

import marshmallow as ma
from marshmallow import validate

from app.org.models import Role
from app.schemas import MAX_ID, Schema

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
NAME = validate.Length(min=1, max=200)
ID = validate.Range(min=1, max=MAX_ID)


class OrgNodeSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    parent_id = ma.fields.Integer(allow_none=True, dump_only=True)
    name = ma.fields.String(dump_only=True)
    kind = ma.fields.String(dump_only=True)
    path = ma.fields.String(dump_only=True, metadata={"description": "Ids from the root, '/1/4/'"})
    depth = ma.fields.Integer(dump_only=True)


class OrgNodeCreateSchema(Schema):
    parent_id = ma.fields.Integer(required=True, strict=True, validate=ID)
    name = ma.fields.String(required=True, validate=NAME)
    kind = ma.fields.String(load_default="team", validate=validate.Length(min=1, max=40))


class OrgNodeUpdateSchema(Schema):
    name = ma.fields.String(validate=NAME)
    kind = ma.fields.String(validate=validate.Length(min=1, max=40))


class OrgNodeMoveSchema(Schema):
    new_parent_id = ma.fields.Integer(required=True, strict=True, validate=ID)


def _validate_hours(value: dict[str, Any]) -> None:
    for day, spans in value.items():
        if day not in DAYS:
            raise ma.ValidationError(f"unknown day {day!r}; use {', '.join(DAYS)}")
        if not isinstance(spans, list) or len(spans) > 6:
            raise ma.ValidationError(f"{day}: a list of at most 6 [start, end] spans")
        for span in spans:
            ok = (
                isinstance(span, list)
                and len(span) == 2
                and all(isinstance(t, str) and _HHMM.match(t) for t in span)
            )
            if not ok or span[0] >= span[1]:
                raise ma.ValidationError(f"{day}: each span is ['HH:MM', 'HH:MM'] with start < end")


def _validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ma.ValidationError(f"unknown IANA time zone {value!r}") from None


WORKING_HOURS = {
    "description": "Weekly schedule in local time: {'mon': [['09:00', '18:00']], ...}",
    "example": {"mon": [["09:00", "12:00"], ["13:00", "18:00"]]},
}


class StaffSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    employee_number = ma.fields.String()
    name = ma.fields.String()
    phone = ma.fields.String(allow_none=True)
    email = ma.fields.String(allow_none=True)
    org_node_id = ma.fields.Integer(allow_none=True)
    role = ma.fields.String(validate=validate.OneOf([r.value for r in Role]))
    active = ma.fields.Boolean()
    external_hr_id = ma.fields.String(allow_none=True)
    timezone = ma.fields.String()
    working_hours = ma.fields.Dict(metadata=WORKING_HOURS)
    created_at = ma.fields.AwareDateTime()
    deactivated_at = ma.fields.AwareDateTime(allow_none=True)


EMPLOYEE_NUMBER = [validate.Length(min=1, max=64), validate.Regexp(r"^[\w.\-]+$")]
PHONE = validate.Regexp(r"^\+?[0-9 \-]{5,31}$", error="not a phone number")
ROLE = validate.OneOf([r.value for r in Role])
PASSWORD = validate.Length(min=10, max=256)


class StaffUpdateSchema(Schema):
    """Only the fields sent change; nothing has a default."""

    employee_number = ma.fields.String(validate=EMPLOYEE_NUMBER)
    name = ma.fields.String(validate=NAME)
    phone = ma.fields.String(allow_none=True, validate=PHONE)
    email = ma.fields.Email(allow_none=True, validate=validate.Length(max=254))
    org_node_id = ma.fields.Integer(strict=True, validate=ID)
    role = ma.fields.String(validate=ROLE)
    password = ma.fields.String(load_only=True, validate=PASSWORD)
    timezone = ma.fields.String(validate=_validate_timezone)
    working_hours = ma.fields.Dict(validate=_validate_hours, metadata=WORKING_HOURS)
    external_hr_id = ma.fields.String(allow_none=True, validate=validate.Length(min=1, max=128))


class StaffCreateSchema(StaffUpdateSchema):
    employee_number = ma.fields.String(required=True, validate=EMPLOYEE_NUMBER)
    name = ma.fields.String(required=True, validate=NAME)
    org_node_id = ma.fields.Integer(required=True, strict=True, validate=ID)
    role = ma.fields.String(load_default=Role.REP.value, validate=ROLE)
    password = ma.fields.String(required=True, load_only=True, validate=PASSWORD)
    timezone = ma.fields.String(load_default="UTC", validate=_validate_timezone)


class StaffQueryArgsSchema(Schema):
    org_node_id = ma.fields.Integer(validate=ID)
    subtree = ma.fields.Boolean(load_default=True, metadata={"description": "Include sub-nodes"})
    role = ma.fields.String(validate=validate.OneOf([r.value for r in Role]))
    active = ma.fields.Boolean()
    q = ma.fields.String(
        validate=validate.Length(min=1, max=100), metadata={"description": "Name or number"}
    )
    limit = ma.fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = ma.fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000_000))


class StaffPageSchema(Schema):
    items = ma.fields.List(ma.fields.Nested(StaffSchema))
    total = ma.fields.Integer()
    limit = ma.fields.Integer()
    offset = ma.fields.Integer()


class DeviceSchema(Schema):
    device_id = ma.fields.String()
    platform = ma.fields.String()
    bound_at = ma.fields.AwareDateTime()
    last_seen_at = ma.fields.AwareDateTime()


class ConsentCreateSchema(Schema):
    document_version = ma.fields.String(required=True, validate=validate.Length(min=1, max=40))


class ConsentSchema(Schema):
    id = ma.fields.Integer()
    staff_id = ma.fields.Integer()
    document_version = ma.fields.String()
    consented_at = ma.fields.AwareDateTime()
    recorded_by_id = ma.fields.Integer()
    withdrawn_at = ma.fields.AwareDateTime(allow_none=True)


class MeSchema(StaffSchema):
    location_consent = ma.fields.Nested(ConsentSchema, allow_none=True)
    managed_node_ids = ma.fields.List(ma.fields.Integer())


class PoolRulesSchema(Schema):
    overrides = ma.fields.Dict(
        metadata={"description": "This node's own overrides (rule name → value)"}
    )
    effective = ma.fields.Dict(
        metadata={"description": "Rules in force here: defaults, then ancestors' overrides"}
    )


class PoolRulesUpdateSchema(Schema):
    overrides = ma.fields.Dict(
        required=True,
        keys=ma.fields.String(validate=validate.Length(max=64)),
        metadata={
            "description": "capacity, daily_claim_cap, recycle_after_days, reminder_days, "
            "protection_days, protection_extension_days, protection_max_days, "
            "previous_owner_lockout_days, release_cooldown_days (integers), "
            "leaver_leads ('release' or 'transfer_to_manager')"
        },
    )
