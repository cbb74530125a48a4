"""HTTP face of route plans."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView

from app.auth.guard import current_principal
from app.extensions import Blueprint
from app.org.models import SALES_ROLES
from app.planning import service
from app.planning.schemas import PlanCreateSchema, PlanListArgsSchema, PlanSchema, ReoptimizeSchema
from app.web import db_session
from geo.routing import MatrixProvider

blp = Blueprint("planning", __name__, url_prefix="/api/v1/route-plans", description="Route plans")


def route_provider() -> MatrixProvider:
    """The app's road matrix provider (built once by app.register_routing)."""
    provider: MatrixProvider = current_app.extensions["waypoint.route_provider"]
    return provider


@blp.route("")
class RoutePlans(MethodView):
    @blp.login_required(*SALES_ROLES)
    @blp.arguments(PlanListArgsSchema, location="query")
    @blp.response(200, PlanSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """Your plans (managers: plans of reps below them), newest first."""
        return service.list_plans(db_session(), current_principal(), plan_date=args.get("date"))

    @blp.login_required(*SALES_ROLES)
    @blp.arguments(PlanCreateSchema)
    @blp.response(201, PlanSchema)
    @blp.problems(403, 404, 422, 503)
    def post(self, plan_in: dict[str, Any]) -> Any:
        """Plan your day: must-visits in their windows, best-value leads in the gaps, lunch."""
        return service.create_plan(
            db_session(), current_principal(), plan_in=plan_in, provider=route_provider()
        )


@blp.route("/<string:plan_id>")
class RoutePlanById(MethodView):
    @blp.login_required(*SALES_ROLES)
    @blp.response(200, PlanSchema)
    @blp.problems(404)
    def get(self, plan_id: str) -> Any:
        """Read a plan."""
        return service.get_plan(db_session(), current_principal(), plan_id=plan_id)


@blp.route("/<string:plan_id>/reoptimize")
class RoutePlanReoptimize(MethodView):
    @blp.login_required(*SALES_ROLES)
    @blp.arguments(ReoptimizeSchema)
    @blp.response(201, PlanSchema)
    @blp.problems(404, 422, 503)
    def post(self, reopt_in: dict[str, Any], plan_id: str) -> Any:
        """Re-plan the rest of the day from where you are: visited stops go, en route first."""
        return service.reoptimize(
            db_session(),
            current_principal(),
            plan_id=plan_id,
            reopt_in=reopt_in,
            provider=route_provider(),
        )
