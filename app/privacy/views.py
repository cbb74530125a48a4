"""HTTP face of privacy: your own location export and who viewed your location data."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from marshmallow import validate

from app.auth.guard import current_principal
from app.extensions import Blueprint
from app.privacy import service
from app.schemas import Schema
from app.web import db_session

blp = Blueprint("privacy", __name__, url_prefix="/api/v1/me", description="Your location data")


class ExportArgsSchema(Schema):
    format = ma.fields.String(load_default="json", validate=validate.OneOf(["json", "geojson"]))


class ExportSchema(Schema):
    class Meta:
        unknown = ma.INCLUDE

    staff_id = ma.fields.Integer()
    exported_at = ma.fields.String()
    visits = ma.fields.List(ma.fields.Dict())
    type = ma.fields.String()
    features = ma.fields.List(ma.fields.Dict())


class AccessSchema(Schema):
    viewer_id = ma.fields.Integer()
    what = ma.fields.String()
    filter = ma.fields.Dict()
    at = ma.fields.AwareDateTime()


@blp.route("/location-export")
class LocationExport(MethodView):
    @blp.login_required()
    @blp.arguments(ExportArgsSchema, location="query")
    @blp.response(200, ExportSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Download everything held about your location (JSON, or GeoJSON with format=geojson)."""
        return service.export_own(
            db_session(), current_principal(), geojson=args["format"] == "geojson"
        )


@blp.route("/location-access")
class LocationAccessLog(MethodView):
    @blp.login_required()
    @blp.response(200, AccessSchema(many=True))
    def get(self) -> Any:
        """Who viewed your visits and tracks on the map, when, with which filter."""
        principal = current_principal()
        return service.access_log(db_session(), subject_id=principal.staff_id)
