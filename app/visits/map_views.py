"""HTTP face of the team-lead visit map data (routes on the visits Blueprint)."""

from __future__ import annotations

import math
from typing import Any

import marshmallow as ma
from flask import current_app, json
from flask.views import MethodView
from marshmallow import validate

from app.auth.guard import current_principal
from app.db import utcnow
from app.org.models import SALES_ROLES
from app.privacy import service as privacy
from app.schemas import DATUMS, MAX_ID, Schema
from app.visits import mapdata
from app.visits.views import blp
from app.web import db_session

GEOJSON = "application/geo+json"


class BBoxField(ma.fields.String):
    """`min_lon,min_lat,max_lon,max_lat` in degrees, parsed to a tuple of four floats."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        parts = super()._deserialize(value, attr, data, **kwargs).split(",")
        try:
            numbers = [float(part) for part in parts]
        except ValueError:
            numbers = []
        if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
            raise ma.ValidationError("Give four numbers: min_lon,min_lat,max_lon,max_lat.")
        min_lon, min_lat, max_lon, max_lat = numbers
        if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
            raise ma.ValidationError("Longitudes must lie in [-180, 180].")
        if not (-90 <= min_lat <= 90 and -90 <= max_lat <= 90):
            raise ma.ValidationError("Latitudes must lie in [-90, 90].")
        if min_lat > max_lat:
            raise ma.ValidationError("min_lat must not exceed max_lat.")
        if min_lon > max_lon:
            raise ma.ValidationError(
                "min_lon must not exceed max_lon (split a box across the antimeridian in two)."
            )
        return min_lon, min_lat, max_lon, max_lat


class MapArgsSchema(Schema):
    org_node_id = ma.fields.Integer(
        data_key="org_node",
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "Only this node's subtree (must be in your scope)"},
    )
    rep_id = ma.fields.Integer(
        data_key="rep",
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "Staff id"},
    )
    since = ma.fields.AwareDateTime(
        data_key="from", metadata={"description": "Window start (default: `to` minus 24 h)"}
    )
    until = ma.fields.AwareDateTime(
        data_key="to",
        load_default=utcnow,
        metadata={"description": "Window end, exclusive (default: now); at most 31 days"},
    )
    bbox = BBoxField(
        metadata={"description": "min_lon,min_lat,max_lon,max_lat, in the output `datum`"}
    )
    datum = ma.fields.String(
        load_default="wgs84",
        validate=validate.OneOf(DATUMS),
        metadata={"description": "Datum of the output coordinates (gcj02 for Amap-style tiles)"},
    )

    @ma.validates_schema
    def _window(self, data: dict[str, Any], **_: Any) -> None:
        since, until = data.get("since"), data["until"]
        if since is None:
            return
        if since >= until:
            raise ma.ValidationError("'from' must be before 'to'.", "from")
        if until - since > mapdata.MAX_WINDOW:
            raise ma.ValidationError(
                f"The window may span at most {mapdata.MAX_WINDOW.days} days.", "to"
            )

    @ma.post_load
    def _default_since(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data.setdefault("since", data["until"] - mapdata.DEFAULT_WINDOW)
        return data


class MapFeatureSchema(Schema):
    type = ma.fields.String(metadata={"example": "Feature"})
    id = ma.fields.Raw()
    geometry = ma.fields.Dict(metadata={"description": "Point, LineString or MultiPolygon"})
    properties = ma.fields.Dict(
        metadata={
            "description": "`kind` visit {id, verdict (final), auto_verdict, score, rep_id, "
            "rep_name, lead_id, lead_name, visited_at, fix_time, checked_out_at, findings "
            "(codes)}; `kind` track {rep_id, rep_name, day, visit_ids, started_at, ended_at}; "
            "`kind` territory {id, name, org_node_id}"
        }
    )


class VisitMapSchema(Schema):
    type = ma.fields.String(metadata={"example": "FeatureCollection"})
    features = ma.fields.List(ma.fields.Nested(MapFeatureSchema))
    datum = ma.fields.String()
    since = ma.fields.String(data_key="from")
    until = ma.fields.String(data_key="to")
    truncated = ma.fields.Boolean(
        metadata={"description": "More than 5,000 visits or 500 territories matched"}
    )


@blp.route("/map")
class VisitMap(MethodView):
    @blp.login_required(*SALES_ROLES)
    @blp.arguments(MapArgsSchema, location="query")
    @blp.response(
        200,
        VisitMapSchema,
        content_type=GEOJSON,
        description="A GeoJSON FeatureCollection, served as application/geo+json (plain JSON)",
    )
    @blp.problems(404, 422)
    def get(self, args: dict[str, Any]) -> Any:
        """Map data: visits you may see, each rep's day track in fix-time order, territories.

        Territories come first, then tracks, then visits (newest first). Visits without a
        collected location are left out. Reps see only their own visits.
        """
        session, principal = db_session(), current_principal()
        doc = mapdata.visit_map(session, principal, **args)
        shown = {f["properties"]["rep_id"] for f in doc["features"] if "rep_id" in f["properties"]}
        privacy.record_access(session, principal, subjects=shown, what="visit_map", filters=args)
        return current_app.response_class(json.dumps(doc), mimetype=GEOJSON)
