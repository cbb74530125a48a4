"""Route-plan request and response shapes (times are HH:MM in the rep's time zone)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate

from app.schemas import PointSchema, Schema

HHMM = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$", error="HH:MM, local time")
STOP_ID = validate.Regexp(r"^[A-Za-z0-9_\-]{1,64}$", error="1-64 letters, digits, '_' or '-'")
MAX_STOPS_INPUT = 200


class WindowSchema(Schema):
    start = ma.fields.String(required=True, validate=HHMM)
    end = ma.fields.String(required=True, validate=HHMM)

    @ma.validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        if data["start"] >= data["end"]:
            raise ma.ValidationError("a window must end after it starts", "end")


class StopSchema(Schema):
    id = ma.fields.String(validate=STOP_ID, metadata={"description": "Default: the lead id"})
    lead_id = ma.fields.String(validate=STOP_ID)
    point = ma.fields.Nested(PointSchema, metadata={"description": "An ad-hoc place"})
    duration_min = ma.fields.Float(
        load_default=30, validate=validate.Range(min=0, max=720), allow_nan=False
    )
    windows = ma.fields.List(
        ma.fields.Nested(WindowSchema), load_default=list, validate=validate.Length(max=6)
    )
    must_visit = ma.fields.Boolean(load_default=False)
    prize = ma.fields.Integer(load_default=1, validate=validate.Range(min=0, max=10_000))

    @ma.validates_schema
    def _one_place(self, data: dict[str, Any], **_: Any) -> None:
        if ("lead_id" in data) == ("point" in data):
            raise ma.ValidationError("give exactly one of lead_id and point", "lead_id")


class LunchSchema(Schema):
    earliest = ma.fields.String(required=True, validate=HHMM)
    latest = ma.fields.String(required=True, validate=HHMM)
    duration_min = ma.fields.Float(
        required=True, validate=validate.Range(min=5, max=180), allow_nan=False
    )


class PlanCreateSchema(Schema):
    date = ma.fields.Date(metadata={"description": "Default: today in your time zone"})
    start = ma.fields.Nested(
        PointSchema, required=True, metadata={"description": "Home, office or current position"}
    )
    end = ma.fields.Nested(PointSchema, metadata={"description": "Default: the start"})
    shift_start = ma.fields.String(required=True, validate=HHMM)
    shift_end = ma.fields.String(required=True, validate=HHMM)
    lunch = ma.fields.Nested(LunchSchema)
    max_stops = ma.fields.Integer(validate=validate.Range(min=1, max=MAX_STOPS_INPUT))
    stops = ma.fields.List(
        ma.fields.Nested(StopSchema),
        load_default=list,
        validate=validate.Length(max=MAX_STOPS_INPUT),
    )
    locked = ma.fields.List(
        ma.fields.String(validate=STOP_ID),
        load_default=list,
        metadata={"description": "Stop ids already fixed, in order, first"},
    )
    objective = ma.fields.String(load_default="time", validate=validate.OneOf(["time", "distance"]))
    time_budget_s = ma.fields.Float(
        load_default=1.0, validate=validate.Range(min=0.05, max=10), allow_nan=False
    )

    @ma.validates_schema
    def _shift(self, data: dict[str, Any], **_: Any) -> None:
        if (
            "shift_start" in data
            and "shift_end" in data
            and data["shift_start"] >= data["shift_end"]
        ):
            raise ma.ValidationError("the shift must end after it starts", "shift_end")
        lunch = data.get("lunch")
        if lunch and lunch["earliest"] >= lunch["latest"]:
            raise ma.ValidationError("lunch latest must be after earliest", "lunch")


class ReoptimizeSchema(Schema):
    position = ma.fields.Nested(PointSchema, required=True)
    at = ma.fields.AwareDateTime(metadata={"description": "Default: now"})
    visited = ma.fields.List(
        ma.fields.String(validate=STOP_ID),
        load_default=list,
        metadata={"description": "Stops visited (those sent to earlier re-plans are kept)"},
    )
    en_route = ma.fields.String(
        validate=STOP_ID, metadata={"description": "The stop you are driving to"}
    )
    lunch_taken = ma.fields.Boolean(load_default=False)


class PlanListArgsSchema(Schema):
    date = ma.fields.Date()


class PlanSchema(Schema):
    id = ma.fields.String()
    staff_id = ma.fields.Integer()
    plan_date = ma.fields.Date()
    timezone = ma.fields.String()
    status = ma.fields.String(metadata={"description": "active, replaced or cancelled"})
    replaces_id = ma.fields.String(allow_none=True)
    plan = ma.fields.Dict(
        attribute="result",
        metadata={
            "description": "stops (arrival/wait/start/departure, legs), end_leg, lunch, totals, "
            "route (GeoJSON LineString), dropped (stop_id, reason), solver"
        },
    )
    created_at = ma.fields.AwareDateTime()
