"""HTTP face of leads and the pools."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView

from app.auth.guard import current_principal
from app.extensions import Blueprint, limiter, principal_key
from app.leads import collusion, nearby, pool, service
from app.leads.schemas import (
    CollusionFlagSchema,
    LeadCreateArgsSchema,
    LeadCreateSchema,
    LeadListArgsSchema,
    LeadPageSchema,
    LeadSchema,
    LeadUpdateSchema,
    NearbyArgsSchema,
    NearbyLeadSchema,
    NoteSchema,
    OwnerEventSchema,
    TransferSchema,
)
from app.org.models import SALES_ROLES, Role
from app.web import db_session

blp = Blueprint("leads", __name__, url_prefix="/api/v1/leads", description="Leads and pools")
LEAD_FIELDS = tuple(LeadSchema().fields)


@blp.route("")
class Leads(MethodView):
    @blp.login_required(*SALES_ROLES)
    @blp.arguments(LeadListArgsSchema, location="query")
    @blp.response(200, LeadPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List the leads you may see (reps: the public pool in your territories and your own)."""
        items, total = service.list_leads(db_session(), current_principal(), **args)
        return {"items": items, "total": total, "limit": args["limit"], "offset": args["offset"]}

    @blp.login_required(*SALES_ROLES)
    @blp.arguments(LeadCreateSchema)
    @blp.arguments(LeadCreateArgsSchema, location="query")
    @blp.response(201, LeadSchema)
    @blp.alt_response(200, schema=LeadSchema, description="Already created (retried request)")
    @blp.problems(403, 409, 422)
    def post(self, lead_in: dict[str, Any], args: dict[str, Any]) -> Any:
        """Create a lead in your territories (client id; duplicates → 409 unless force)."""
        lead, created = service.create_lead(
            db_session(), current_principal(), lead_in=lead_in, **args
        )
        return lead, 201 if created else 200


@blp.route("/nearby")
class NearbyLeads(MethodView):
    @blp.login_required(*SALES_ROLES)
    @limiter.limit(lambda: current_app.config["WAYPOINT"].nearby_rate_limit, key_func=principal_key)
    @blp.arguments(NearbyArgsSchema, location="query")
    @blp.response(200, NearbyLeadSchema(many=True))
    @blp.problems(422, 429)
    def get(self, args: dict[str, Any]) -> Any:
        """Public-pool leads in your territories near a point, nearest first, with claimability."""
        loc = service.to_location(args["lat"], args["lon"], args["datum"])
        found = nearby.nearby(
            db_session(),
            current_principal(),
            lat=loc.lat,
            lon=loc.lon,
            radius_m=args["radius_m"],
            limit=args["limit"],
        )
        return [
            {
                **{name: getattr(item.lead, name) for name in LEAD_FIELDS},
                "distance_m": item.distance_m,
                "claimable": item.claimable,
                "reason": item.reason,
                "message": item.message,
            }
            for item in found
        ]


@blp.route("/collusion-flags")
class CollusionFlags(MethodView):
    @blp.login_required(Role.TEAM_LEAD, Role.ADMIN)
    @blp.response(200, CollusionFlagSchema(many=True))
    def get(self) -> Any:
        """Suspicious hand-offs involving reps in your subtree, newest first."""
        return collusion.list_flags(db_session(), current_principal())


@blp.route("/<string:lead_id>")
class LeadById(MethodView):
    @blp.login_required(*SALES_ROLES)
    @blp.response(200, LeadSchema)
    @blp.problems(404)
    def get(self, lead_id: str) -> Any:
        """Read a lead you may see."""
        return service.get_lead(db_session(), current_principal(), lead_id=lead_id)

    @blp.login_required(*SALES_ROLES)
    @blp.arguments(LeadUpdateSchema)
    @blp.response(200, LeadSchema)
    @blp.problems(403, 404, 422)
    def patch(self, lead_in: dict[str, Any], lead_id: str) -> Any:
        """Edit a lead (reps: their own, inside their territories)."""
        return service.update_lead(
            db_session(), current_principal(), lead_id=lead_id, lead_in=lead_in
        )


@blp.route("/<string:lead_id>/claim")
class LeadClaim(MethodView):
    @blp.login_required(Role.REP)
    @blp.response(200, LeadSchema)
    @blp.problems(403, 404, 409)
    def post(self, lead_id: str) -> Any:
        """Claim a public-pool lead into your private pool (409 already_claimed if beaten)."""
        session, principal = db_session(), current_principal()
        lead = service.get_lead_to_claim(session, principal, lead_id=lead_id)
        return pool.claim(session, principal, lead=lead)


@blp.route("/<string:lead_id>/release")
class LeadRelease(MethodView):
    @blp.login_required(*SALES_ROLES)
    @blp.arguments(NoteSchema)
    @blp.response(200, LeadSchema)
    @blp.problems(403, 404, 409)
    def post(self, note_in: dict[str, Any], lead_id: str) -> Any:
        """Return a lead to the public pool (its owner, or a team lead above them)."""
        session, principal = db_session(), current_principal()
        lead = service.get_lead(session, principal, lead_id=lead_id)
        return pool.release(session, principal, lead=lead, **note_in)


@blp.route("/<string:lead_id>/transfer")
class LeadTransfer(MethodView):
    @blp.login_required(Role.TEAM_LEAD, Role.ADMIN)
    @blp.arguments(TransferSchema)
    @blp.response(200, LeadSchema)
    @blp.problems(403, 404, 409, 422)
    def post(self, transfer_in: dict[str, Any], lead_id: str) -> Any:
        """Assign or transfer a lead to a rep whose territories contain it."""
        session, principal = db_session(), current_principal()
        lead = service.get_lead(session, principal, lead_id=lead_id)
        return pool.transfer(session, principal, lead=lead, **transfer_in)


@blp.route("/<string:lead_id>/history")
class LeadHistory(MethodView):
    @blp.login_required(*SALES_ROLES)
    @blp.response(200, OwnerEventSchema(many=True))
    @blp.problems(404)
    def get(self, lead_id: str) -> Any:
        """Owner history of a lead: who, from whom, to whom, why, when."""
        return service.history(db_session(), current_principal(), lead_id=lead_id)
