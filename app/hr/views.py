"""HR admin API: SCIM tokens, department mappings, the HR audit trail and alerts (admins)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.auth.guard import current_principal
from app.extensions import Blueprint
from app.hr import audit, mappings, service, tokens
from app.hr.schemas import (
    AlertQueryArgsSchema,
    AlertSchema,
    AuditQueryArgsSchema,
    AuditSchema,
    DepartmentMappingCreateSchema,
    DepartmentMappingSchema,
    ScimTokenCreatedSchema,
    ScimTokenCreateSchema,
    ScimTokenSchema,
)
from app.org.models import Role
from app.schemas import MAX_ID
from app.web import db_session

blp = Blueprint(
    "hr",
    __name__,
    url_prefix="/api/v1/hr",
    description="HR provisioning: SCIM tokens, department mappings, audit, alerts. "
    "The SCIM 2.0 service itself is at /scim/v2 (see docs/hr.md).",
)


@blp.route("/scim-tokens")
class ScimTokens(MethodView):
    @blp.login_required(Role.ADMIN)
    @blp.response(200, ScimTokenSchema(many=True))
    def get(self) -> Any:
        """List SCIM tokens of subtrees in your scope (secrets are never shown again)."""
        return tokens.list_tokens(db_session(), current_principal())

    @blp.login_required(Role.ADMIN)
    @blp.arguments(ScimTokenCreateSchema)
    @blp.response(201, ScimTokenCreatedSchema)
    @blp.problems(422)
    def post(self, token_in: dict[str, Any]) -> Any:
        """Create a SCIM token for an HR connector; the response shows it once."""
        token, secret = service.create_token(
            db_session(),
            current_principal(),
            name=token_in["name"],
            org_node_id=token_in.get("org_node_id"),
        )
        fields = ("id", "name", "root_node_id", "created_at", "last_used_at", "revoked_at")
        return {**{f: getattr(token, f) for f in fields}, "token": secret}


@blp.route(f"/scim-tokens/<int(max={MAX_ID}):token_id>")
class ScimTokenById(MethodView):
    @blp.login_required(Role.ADMIN)
    @blp.response(204)
    @blp.problems(404)
    def delete(self, token_id: int) -> None:
        """Revoke a SCIM token at once (rotate: create the new token first)."""
        service.revoke_token(db_session(), current_principal(), token_id=token_id)


@blp.route("/department-mappings")
class DepartmentMappings(MethodView):
    @blp.login_required(Role.ADMIN)
    @blp.response(200, DepartmentMappingSchema(many=True))
    def get(self) -> Any:
        """List the department/organization mappings to org nodes in your scope."""
        return mappings.list_mappings(db_session(), current_principal())

    @blp.login_required(Role.ADMIN)
    @blp.arguments(DepartmentMappingCreateSchema)
    @blp.response(201, DepartmentMappingSchema)
    @blp.problems(422)
    def post(self, mapping_in: dict[str, Any]) -> Any:
        """Map an HR department (and/or organization) to an org node in your scope."""
        return service.set_mapping(db_session(), current_principal(), **mapping_in)


@blp.route(f"/department-mappings/<int(max={MAX_ID}):mapping_id>")
class DepartmentMappingById(MethodView):
    @blp.login_required(Role.ADMIN)
    @blp.response(204)
    @blp.problems(404)
    def delete(self, mapping_id: int) -> None:
        """Remove a mapping."""
        service.delete_mapping(db_session(), current_principal(), mapping_id=mapping_id)


@blp.route("/audit")
class Audit(MethodView):
    @blp.login_required(Role.ADMIN)
    @blp.arguments(AuditQueryArgsSchema, location="query")
    @blp.response(200, AuditSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """HR actions (provisioning, deprovisioning, tokens, mappings), newest first."""
        return audit.list_audit(db_session(), current_principal(), **args)


@blp.route("/alerts")
class Alerts(MethodView):
    @blp.login_required(Role.ADMIN)
    @blp.arguments(AlertQueryArgsSchema, location="query")
    @blp.response(200, AlertSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """Alerts to act on, e.g. people whose department maps to no org node."""
        return audit.list_alerts(db_session(), current_principal(), **args)


@blp.route(f"/alerts/<int(max={MAX_ID}):alert_id>/resolve")
class AlertResolve(MethodView):
    @blp.login_required(Role.ADMIN)
    @blp.response(200, AlertSchema)
    @blp.problems(404)
    def post(self, alert_id: int) -> Any:
        """Mark an alert handled."""
        return service.resolve_alert(db_session(), current_principal(), alert_id=alert_id)
