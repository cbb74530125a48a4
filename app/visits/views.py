"""HTTP face of visits: check-in/out, reads, review."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.auth.guard import current_principal
from app.extensions import Blueprint
from app.org.models import SALES_ROLES, Role
from app.visits import service
from app.visits.schemas import (
    CheckInSchema,
    CheckOutSchema,
    ReviewRecordSchema,
    ReviewSchema,
    VisitListArgsSchema,
    VisitPageSchema,
    VisitSchema,
)
from app.web import db_session

blp = Blueprint("visits", __name__, url_prefix="/api/v1/visits", description="Visits")


@blp.route("")
class Visits(MethodView):
    @blp.login_required(*SALES_ROLES)
    @blp.arguments(VisitListArgsSchema, location="query")
    @blp.response(200, VisitPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List visits you may see (reps: their own), newest first."""
        items, total = service.list_visits(db_session(), current_principal(), **args)
        return {"items": items, "total": total, "limit": args["limit"], "offset": args["offset"]}

    @blp.login_required(*SALES_ROLES)
    @blp.arguments(CheckInSchema)
    @blp.response(201, VisitSchema)
    @blp.alt_response(200, schema=VisitSchema, description="Already logged (retried request)")
    @blp.problems(403, 404, 409, 422)
    def post(self, visit_in: dict[str, Any]) -> Any:
        """Check in at a lead with a location fix and device evidence; assessed at once."""
        visit, created = service.check_in(db_session(), current_principal(), visit_in=visit_in)
        return visit, 201 if created else 200


@blp.route("/suspicious")
class SuspiciousVisits(MethodView):
    @blp.login_required(Role.TEAM_LEAD, Role.ADMIN)
    @blp.response(200, VisitSchema(many=True))
    def get(self) -> Any:
        """Suspicious or rejected visits in your subtree awaiting review."""
        return service.suspicious(db_session(), current_principal())


@blp.route("/<string:visit_id>")
class VisitById(MethodView):
    @blp.login_required(*SALES_ROLES)
    @blp.response(200, VisitSchema)
    @blp.problems(404)
    def get(self, visit_id: str) -> Any:
        """Read a visit with its verdict and findings."""
        return service.get_visit(db_session(), current_principal(), visit_id=visit_id)


@blp.route("/<string:visit_id>/checkout")
class VisitCheckout(MethodView):
    @blp.login_required(*SALES_ROLES)
    @blp.arguments(CheckOutSchema)
    @blp.response(200, VisitSchema)
    @blp.problems(403, 404, 409, 422)
    def post(self, checkout_in: dict[str, Any], visit_id: str) -> Any:
        """Check out of a visit (idempotent); the visit is re-assessed."""
        return service.check_out(
            db_session(), current_principal(), visit_id=visit_id, checkout_in=checkout_in
        )


@blp.route("/<string:visit_id>/review")
class VisitReviewView(MethodView):
    @blp.login_required(Role.TEAM_LEAD, Role.ADMIN)
    @blp.arguments(ReviewSchema)
    @blp.response(200, VisitSchema)
    @blp.problems(403, 404)
    def post(self, review_in: dict[str, Any], visit_id: str) -> Any:
        """Confirm or overturn a visit's verdict with a comment (audited)."""
        return service.review(db_session(), current_principal(), visit_id=visit_id, **review_in)

    @blp.login_required(*SALES_ROLES)
    @blp.response(200, ReviewRecordSchema(many=True))
    @blp.problems(404)
    def get(self, visit_id: str) -> Any:
        """The review trail of a visit."""
        return service.reviews(db_session(), current_principal(), visit_id=visit_id)


# Routes kept in their own modules, registered on the same Blueprint.
from app.visits import map_views, photo_views  # noqa: E402, F401
