"""Health check and locally served API-docs assets."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask import Blueprint as FlaskBlueprint
from flask import abort, send_from_directory
from flask.views import MethodView

from app.config import PROJECT_ROOT
from app.extensions import Blueprint
from app.schemas import Schema
from app.web import db_session

blp = Blueprint("health", __name__, description="Service health")
assets_blp = FlaskBlueprint("assets", __name__)  # static files stay out of the API document
SWAGGER_UI = PROJECT_ROOT / "node_modules" / "swagger-ui-dist"


class HealthSchema(Schema):
    status = ma.fields.String(metadata={"example": "ok"})
    database = ma.fields.String(metadata={"example": "ok"})


@blp.route("/healthz")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    @blp.problems(503)
    def get(self) -> Any:
        """200 when the service and its database answer; 503 problem otherwise."""
        db_session().execute(sa.text("SELECT 1"))
        return {"status": "ok", "database": "ok"}


@assets_blp.get("/api/docs-assets/swagger-ui/<path:filename>")
def swagger_assets(filename: str) -> Any:
    """Swagger UI files, installed from the npm registry by script/bootstrap."""
    if not SWAGGER_UI.is_dir():
        abort(404)
    return send_from_directory(SWAGGER_UI, filename)
