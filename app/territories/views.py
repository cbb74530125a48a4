"""HTTP face of territories: CRUD, GeoJSON import/export, point location."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView

from app.auth.guard import current_principal
from app.errors import NotFound
from app.extensions import Blueprint
from app.leads.service import to_location
from app.org.models import OrgNode, Role
from app.schemas import MAX_ID
from app.territories import service
from app.territories.schemas import (
    FeatureCollectionSchema,
    ImportResultSchema,
    LocateArgsSchema,
    LocateSchema,
    ReassignmentSchema,
    RepairArgsSchema,
    TerritoryCreateSchema,
    TerritoryListArgsSchema,
    TerritorySchema,
    TerritoryUpdateSchema,
    TerritoryWriteSchema,
)
from app.web import db_session

blp = Blueprint(
    "territories", __name__, url_prefix="/api/v1/territories", description="Territories"
)
MANAGERS = (Role.ADMIN, Role.TEAM_LEAD)


def policy() -> service.TerritoryPolicy:
    return current_app.extensions["waypoint.territory_policy"]


@blp.route("")
class Territories(MethodView):
    @blp.login_required()
    @blp.arguments(TerritoryListArgsSchema, location="query")
    @blp.response(200, TerritorySchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """List the territories of the nodes in your scope."""
        return service.list_territories(db_session(), current_principal(), **args)

    @blp.login_required(*MANAGERS)
    @blp.arguments(TerritoryCreateSchema)
    @blp.arguments(RepairArgsSchema, location="query")
    @blp.response(201, TerritoryWriteSchema)
    @blp.problems(409, 422)
    def post(self, territory_in: dict[str, Any], args: dict[str, Any]) -> Any:
        """Create a territory for a node in your scope; leads inside it move to it."""
        territory, moved = service.create_territory(
            db_session(), current_principal(), territory_in=territory_in, policy=policy(), **args
        )
        return {"territory": territory, **vars(moved)}


@blp.route(f"/<int(max={MAX_ID}):territory_id>")
class TerritoryById(MethodView):
    @blp.login_required()
    @blp.response(200, TerritorySchema)
    @blp.problems(404)
    def get(self, territory_id: int) -> Any:
        """Read one territory in your scope."""
        return service.get_territory(db_session(), current_principal(), territory_id=territory_id)

    @blp.login_required(*MANAGERS)
    @blp.arguments(TerritoryUpdateSchema)
    @blp.arguments(RepairArgsSchema, location="query")
    @blp.response(200, TerritoryWriteSchema)
    @blp.problems(404, 409, 422)
    def patch(self, territory_in: dict[str, Any], args: dict[str, Any], territory_id: int) -> Any:
        """Rename, re-shape or re-assign a territory; reports how many leads moved."""
        territory, moved = service.update_territory(
            db_session(),
            current_principal(),
            territory_id=territory_id,
            territory_in=territory_in,
            policy=policy(),
            **args,
        )
        return {"territory": territory, **vars(moved)}

    @blp.login_required(*MANAGERS)
    @blp.response(200, ReassignmentSchema)
    @blp.problems(404)
    def delete(self, territory_id: int) -> Any:
        """Delete a territory; its leads fall to the next covering territory, if any."""
        return service.delete_territory(
            db_session(), current_principal(), territory_id=territory_id
        )


@blp.route("/locate")
class TerritoryLocate(MethodView):
    @blp.login_required()
    @blp.arguments(LocateArgsSchema, location="query")
    @blp.response(200, LocateSchema)
    @blp.problems(404, 422)
    def get(self, args: dict[str, Any]) -> Any:
        """The territory and org node a point belongs to (border points: exactly one)."""
        session, principal = db_session(), current_principal()
        loc = to_location(args["lat"], args["lon"], args["datum"])
        territory = service.locate(session, lat=loc.lat, lon=loc.lon)
        if territory is None or not principal.sees_path(territory.path):
            raise NotFound("No territory in your scope covers this point.")
        node = session.get(OrgNode, territory.org_node_id)
        return {"territory": territory, "org_node": node, "lat": loc.lat, "lon": loc.lon}


@blp.route("/import")
class TerritoryImport(MethodView):
    @blp.login_required(*MANAGERS)
    @blp.arguments(FeatureCollectionSchema)
    @blp.arguments(RepairArgsSchema, location="query")
    @blp.response(201, ImportResultSchema)
    @blp.problems(409, 422)
    def post(self, doc: dict[str, Any], args: dict[str, Any]) -> Any:
        """Import a GeoJSON FeatureCollection (properties: name, org_node_id), all or nothing."""
        ids, moved = service.import_features(
            db_session(), current_principal(), doc=doc, policy=policy(), **args
        )
        return {"created": len(ids), "leads_moved": moved, "territory_ids": ids}


@blp.route("/export")
class TerritoryExport(MethodView):
    @blp.login_required()
    @blp.response(200, FeatureCollectionSchema)
    def get(self) -> Any:
        """The territories in your scope as a GeoJSON FeatureCollection."""
        return service.export_features(db_session(), current_principal())
