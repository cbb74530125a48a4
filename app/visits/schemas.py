"""Visit shapes: check-in/out with device evidence, reads, reviews."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.schemas import DATUMS, MAX_ID, PageArgsSchema, Schema
from app.visits.models import Verdict

CLIENT_ID = validate.Regexp(
    r"^[A-Za-z0-9_\-]{1,64}$", error="1-64 letters, digits, '_' or '-' (client-generated)"
)
VERDICTS = validate.OneOf([v.value for v in Verdict])
FINITE = {"allow_nan": False}


# What the columns hold (BIGINT milliseconds, INTEGER boot counts): a larger number is a 422.
ELAPSED_MS = validate.Range(min=0, max=2**63 - 1)
BOOT_COUNT = validate.Range(min=0, max=2**31 - 1)


class FixSchema(Schema):
    """One location fix exactly as the phone's location API reported it."""

    lat = ma.fields.Float(required=True, validate=validate.Range(min=-90, max=90), **FINITE)
    lon = ma.fields.Float(required=True, validate=validate.Range(min=-180, max=180), **FINITE)
    datum = ma.fields.String(load_default="wgs84", validate=validate.OneOf(DATUMS))
    accuracy_m = ma.fields.Float(allow_none=True, validate=validate.Range(min=0, max=1e6), **FINITE)
    altitude_m = ma.fields.Float(
        allow_none=True, validate=validate.Range(min=-1e4, max=1e5), **FINITE
    )
    vertical_accuracy_m = ma.fields.Float(
        allow_none=True, validate=validate.Range(min=0, max=1e5), **FINITE
    )
    speed_mps = ma.fields.Float(allow_none=True, validate=validate.Range(min=0, max=1e4), **FINITE)
    bearing_deg = ma.fields.Float(
        allow_none=True, validate=validate.Range(min=0, max=360), **FINITE
    )
    provider = ma.fields.String(allow_none=True, validate=validate.Length(max=20))
    fix_time = ma.fields.AwareDateTime(required=True)
    is_mock = ma.fields.Boolean(
        load_default=False, metadata={"description": "Android isMock / iOS isSimulatedBySoftware"}
    )
    satellites = ma.fields.Integer(allow_none=True, validate=validate.Range(min=0, max=200))
    elapsed_realtime_ms = ma.fields.Integer(allow_none=True, validate=ELAPSED_MS)
    boot_count = ma.fields.Integer(allow_none=True, validate=BOOT_COUNT)


class VisitNotesSchema(Schema):
    notes = ma.fields.String(allow_none=True, validate=validate.Length(max=5000))
    outcome = ma.fields.String(allow_none=True, validate=validate.Length(max=40))
    next_step = ma.fields.String(allow_none=True, validate=validate.Length(max=500))


class CheckInSchema(VisitNotesSchema):
    id = ma.fields.String(required=True, validate=CLIENT_ID)
    lead_id = ma.fields.String(required=True, validate=CLIENT_ID)
    device_id = ma.fields.String(
        validate=validate.Length(min=1, max=128),
        metadata={"description": "Capturing device (default: the token's device)"},
    )
    captured_at = ma.fields.AwareDateTime(
        required=True, metadata={"description": "Device clock at check-in"}
    )
    captured_offline = ma.fields.Boolean(load_default=False)
    capture_elapsed_ms = ma.fields.Integer(
        allow_none=True,
        validate=ELAPSED_MS,
        metadata={"description": "Monotonic clock at capture"},
    )
    capture_boot_count = ma.fields.Integer(allow_none=True, validate=BOOT_COUNT)
    upload_device_time = ma.fields.AwareDateTime(
        allow_none=True, metadata={"description": "Device clock when sending (measures its offset)"}
    )
    upload_elapsed_ms = ma.fields.Integer(allow_none=True, validate=ELAPSED_MS)
    upload_boot_count = ma.fields.Integer(allow_none=True, validate=BOOT_COUNT)
    fix = ma.fields.Nested(
        FixSchema, allow_none=True, metadata={"description": "null when the phone had no fix"}
    )
    series = ma.fields.List(ma.fields.Nested(FixSchema), validate=validate.Length(max=60))
    wifi_bssids = ma.fields.List(
        ma.fields.String(validate=validate.Length(max=64)), validate=validate.Length(max=50)
    )
    cell_ids = ma.fields.List(
        ma.fields.String(validate=validate.Length(max=64)), validate=validate.Length(max=20)
    )


class CheckOutSchema(VisitNotesSchema):
    captured_at = ma.fields.AwareDateTime(
        required=True, metadata={"description": "Device clock at check-out"}
    )
    fix = ma.fields.Nested(FixSchema, allow_none=True)


class FindingSchema(Schema):
    code = ma.fields.String()
    severity = ma.fields.String()
    message = ma.fields.String()
    data = ma.fields.Dict()


class VisitSchema(Schema):
    id = ma.fields.String()
    rep_id = ma.fields.Integer()
    lead_id = ma.fields.String()
    org_node_id = ma.fields.Integer(allow_none=True)
    territory_id = ma.fields.Integer(allow_none=True)
    device_id = ma.fields.String()
    visited_at = ma.fields.AwareDateTime()
    captured_at = ma.fields.AwareDateTime()
    received_at = ma.fields.AwareDateTime()
    captured_offline = ma.fields.Boolean()
    lat = ma.fields.Float(allow_none=True)
    lon = ma.fields.Float(allow_none=True)
    raw_lat = ma.fields.Float(allow_none=True)
    raw_lon = ma.fields.Float(allow_none=True)
    datum = ma.fields.String(allow_none=True)
    accuracy_m = ma.fields.Float(allow_none=True)
    checked_out_at = ma.fields.AwareDateTime(allow_none=True)
    notes = ma.fields.String(allow_none=True)
    outcome = ma.fields.String(allow_none=True)
    next_step = ma.fields.String(allow_none=True)
    location_collected = ma.fields.Boolean()
    location_not_collected = ma.fields.Method("_not_collected", allow_none=True)
    verdict = ma.fields.String(
        attribute="final_verdict",
        metadata={"description": "Review verdict if reviewed, else automatic"},
    )
    auto_verdict = ma.fields.String(attribute="verdict")
    score = ma.fields.Integer()
    findings = ma.fields.List(ma.fields.Nested(FindingSchema))
    review_verdict = ma.fields.String(allow_none=True)
    reviewed_by_id = ma.fields.Integer(allow_none=True)
    reviewed_at = ma.fields.AwareDateTime(allow_none=True)
    review_comment = ma.fields.String(allow_none=True)

    def _not_collected(self, visit: object) -> dict[str, str] | None:
        reason = getattr(visit, "location_not_collected_reason", None)
        return {"code": "location_not_collected", "reason": reason} if reason else None


class VisitListArgsSchema(PageArgsSchema):
    rep_id = ma.fields.Integer(validate=validate.Range(min=1, max=MAX_ID))
    lead_id = ma.fields.String(validate=CLIENT_ID)
    verdict = ma.fields.String(validate=VERDICTS)
    since = ma.fields.AwareDateTime(data_key="from")
    until = ma.fields.AwareDateTime(data_key="to")


class VisitPageSchema(Schema):
    items = ma.fields.List(ma.fields.Nested(VisitSchema))
    total = ma.fields.Integer()
    limit = ma.fields.Integer()
    offset = ma.fields.Integer()


class ReviewSchema(Schema):
    verdict = ma.fields.String(required=True, validate=VERDICTS)
    comment = ma.fields.String(required=True, validate=validate.Length(min=3, max=1000))


class ReviewRecordSchema(Schema):
    id = ma.fields.Integer()
    reviewer_id = ma.fields.Integer()
    from_verdict = ma.fields.String()
    to_verdict = ma.fields.String()
    comment = ma.fields.String()
    at = ma.fields.AwareDateTime()
