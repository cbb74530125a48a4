"""HTTP face of the org tree, staff accounts and the caller's own record."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.auth.guard import current_principal
from app.extensions import Blueprint
from app.org import service, staff
from app.org.models import Role
from app.org.schemas import (
    ConsentCreateSchema,
    ConsentSchema,
    DeviceSchema,
    MeSchema,
    OrgNodeCreateSchema,
    OrgNodeMoveSchema,
    OrgNodeSchema,
    OrgNodeUpdateSchema,
    PoolRulesSchema,
    PoolRulesUpdateSchema,
    StaffCreateSchema,
    StaffPageSchema,
    StaffQueryArgsSchema,
    StaffSchema,
    StaffUpdateSchema,
)
from app.schemas import MAX_ID
from app.web import db_session

blp = Blueprint("org", __name__, url_prefix="/api/v1/org", description="The org tree")
staff_blp = Blueprint("staff", __name__, url_prefix="/api/v1", description="Staff accounts")


@blp.route("/nodes")
class OrgNodes(MethodView):
    @blp.login_required()
    @blp.response(200, OrgNodeSchema(many=True))
    def get(self) -> Any:
        """List the org nodes you may see (your node and everything below), in tree order."""
        return service.list_nodes(db_session(), current_principal())

    @blp.login_required(Role.ADMIN)
    @blp.arguments(OrgNodeCreateSchema)
    @blp.response(201, OrgNodeSchema)
    @blp.problems(422)
    def post(self, node_in: dict[str, Any]) -> Any:
        """Create a node under a parent in your scope (admins)."""
        return service.create_node(db_session(), current_principal(), **node_in)


@blp.route(f"/nodes/<int(max={MAX_ID}):node_id>")
class OrgNodeById(MethodView):
    @blp.login_required()
    @blp.response(200, OrgNodeSchema)
    @blp.problems(404)
    def get(self, node_id: int) -> Any:
        """Read one node in your scope."""
        return service.get_node(db_session(), current_principal(), node_id=node_id)

    @blp.login_required(Role.ADMIN)
    @blp.arguments(OrgNodeUpdateSchema)
    @blp.response(200, OrgNodeSchema)
    @blp.problems(404)
    def patch(self, node_in: dict[str, Any], node_id: int) -> Any:
        """Rename a node or change its kind (admins)."""
        return service.update_node(
            db_session(),
            current_principal(),
            node_id=node_id,
            name=node_in.get("name"),
            kind=node_in.get("kind"),
        )

    @blp.login_required(Role.ADMIN)
    @blp.response(204)
    @blp.problems(404, 409)
    def delete(self, node_id: int) -> None:
        """Delete an empty node (no staff, no children) (admins)."""
        service.delete_node(db_session(), current_principal(), node_id=node_id)


@blp.route(f"/nodes/<int(max={MAX_ID}):node_id>/move")
class OrgNodeMove(MethodView):
    @blp.login_required(Role.ADMIN)
    @blp.arguments(OrgNodeMoveSchema)
    @blp.response(200, OrgNodeSchema)
    @blp.problems(404, 409, 422)
    def post(self, move_in: dict[str, Any], node_id: int) -> Any:
        """Move a subtree under a new parent; takes effect on everyone's next request."""
        return service.move_node(db_session(), current_principal(), node_id=node_id, **move_in)


@blp.route(f"/nodes/<int(max={MAX_ID}):node_id>/pool-rules")
class OrgNodePoolRules(MethodView):
    @blp.login_required(Role.ADMIN, Role.TEAM_LEAD)
    @blp.response(200, PoolRulesSchema)
    @blp.problems(404)
    def get(self, node_id: int) -> Any:
        """Pool rules in force at a node, and the node's own overrides."""
        return service.pool_rules(db_session(), current_principal(), node_id=node_id)

    @blp.login_required(Role.ADMIN)
    @blp.arguments(PoolRulesUpdateSchema)
    @blp.response(200, PoolRulesSchema)
    @blp.problems(404, 422)
    def put(self, rules_in: dict[str, Any], node_id: int) -> Any:
        """Replace a node's pool-rule overrides; they apply to its whole subtree."""
        return service.set_pool_rules(
            db_session(), current_principal(), node_id=node_id, **rules_in
        )


@staff_blp.route("/staff")
class StaffList(MethodView):
    @staff_blp.login_required(Role.ADMIN, Role.HR, Role.TEAM_LEAD)
    @staff_blp.arguments(StaffQueryArgsSchema, location="query")
    @staff_blp.response(200, StaffPageSchema)
    @staff_blp.problems(404)
    def get(self, args: dict[str, Any]) -> Any:
        """List staff in your subtree, filtered and paged."""
        items, total = staff.list_staff(db_session(), current_principal(), **args)
        return {"items": items, "total": total, "limit": args["limit"], "offset": args["offset"]}

    @staff_blp.login_required(Role.ADMIN, Role.HR, Role.TEAM_LEAD)
    @staff_blp.arguments(StaffCreateSchema)
    @staff_blp.response(201, StaffSchema)
    @staff_blp.problems(409)
    def post(self, staff_in: dict[str, Any]) -> Any:
        """Create a staff account in your subtree (team leads create reps only)."""
        return staff.create_staff(db_session(), current_principal(), staff_in=staff_in)


@staff_blp.route(f"/staff/<int(max={MAX_ID}):staff_id>")
class StaffById(MethodView):
    @staff_blp.login_required()
    @staff_blp.response(200, StaffSchema)
    @staff_blp.problems(404)
    def get(self, staff_id: int) -> Any:
        """Read an account in your subtree (or your own)."""
        return staff.get_staff(db_session(), current_principal(), staff_id=staff_id)

    @staff_blp.login_required(Role.ADMIN, Role.HR, Role.TEAM_LEAD)
    @staff_blp.arguments(StaffUpdateSchema)
    @staff_blp.response(200, StaffSchema)
    @staff_blp.problems(404, 409)
    def patch(self, staff_in: dict[str, Any], staff_id: int) -> Any:
        """Change an account; a new password or role ends its sessions."""
        return staff.update_staff(
            db_session(), current_principal(), staff_id=staff_id, staff_in=staff_in
        )


@staff_blp.route(f"/staff/<int(max={MAX_ID}):staff_id>/deactivate")
class StaffDeactivate(MethodView):
    @staff_blp.login_required(Role.ADMIN, Role.HR, Role.TEAM_LEAD)
    @staff_blp.response(200, StaffSchema)
    @staff_blp.problems(404, 409)
    def post(self, staff_id: int) -> Any:
        """Deactivate an account: its access ends on the very next request."""
        return staff.deactivate_staff(db_session(), current_principal(), staff_id=staff_id)


@staff_blp.route(f"/staff/<int(max={MAX_ID}):staff_id>/reactivate")
class StaffReactivate(MethodView):
    @staff_blp.login_required(Role.ADMIN, Role.HR, Role.TEAM_LEAD)
    @staff_blp.response(200, StaffSchema)
    @staff_blp.problems(404)
    def post(self, staff_id: int) -> Any:
        """Allow a deactivated account to log in again."""
        return staff.reactivate_staff(db_session(), current_principal(), staff_id=staff_id)


@staff_blp.route(f"/staff/<int(max={MAX_ID}):staff_id>/devices")
class StaffDevices(MethodView):
    @staff_blp.login_required()
    @staff_blp.response(200, DeviceSchema(many=True))
    @staff_blp.problems(404)
    def get(self, staff_id: int) -> Any:
        """Devices bound to an account you can see."""
        return staff.list_devices(db_session(), current_principal(), staff_id=staff_id)


@staff_blp.route(f"/staff/<int(max={MAX_ID}):staff_id>/devices/<string:device_id>")
class StaffDeviceById(MethodView):
    @staff_blp.login_required(Role.ADMIN, Role.HR, Role.TEAM_LEAD)
    @staff_blp.response(204)
    @staff_blp.problems(404)
    def delete(self, staff_id: int, device_id: str) -> None:
        """Unbind a device: its sessions end and a device slot is freed."""
        staff.unbind_device(
            db_session(), current_principal(), staff_id=staff_id, device_id=device_id
        )


@staff_blp.route("/me")
class Me(MethodView):
    @staff_blp.login_required()
    @staff_blp.response(200, MeSchema)
    def get(self) -> Any:
        """Your own account, consent record and managed nodes."""
        session, principal = db_session(), current_principal()
        me = staff.get_staff(session, principal, staff_id=principal.staff_id)
        return {
            **{name: getattr(me, name) for name in StaffSchema().fields},
            "location_consent": staff.current_consent(session, staff_id=me.id),
            "managed_node_ids": staff.managed_node_ids(session, staff_id=me.id),
        }


@staff_blp.route("/me/location-consent")
class MyLocationConsent(MethodView):
    @staff_blp.login_required()
    @staff_blp.arguments(ConsentCreateSchema)
    @staff_blp.response(201, ConsentSchema)
    def post(self, consent_in: dict[str, Any]) -> Any:
        """Consent to location collection under a privacy-notice version."""
        return staff.give_consent(db_session(), current_principal(), **consent_in)

    @staff_blp.login_required()
    @staff_blp.response(204)
    def delete(self) -> None:
        """Withdraw location consent: no location is stored for you from now on."""
        staff.withdraw_consent(db_session(), current_principal())
