"""The SCIM 2.0 endpoints at /scim/v2 (a plain Flask Blueprint: SCIM is not in the OpenAPI).

Every route accepts every method and answers the unsupported ones itself, and a catch-all
answers unknown paths, so that each error under /scim/v2 is a SCIM Error
(application/scim+json), never the API's problem+json. Requests may be sent as
application/scim+json or application/json.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, g, request
from flask_limiter.util import get_remote_address
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from app.errors import Problem
from app.extensions import _has_unstorable_text, limiter
from app.hr import discovery, groups, tokens, users
from app.hr.errors import (
    ERROR_SCHEMA,
    InvalidSyntax,
    InvalidValue,
    MethodNotAllowed,
    NotFound,
    ScimError,
    ServerError,
    Unauthorized,
    Uniqueness,
    error_response,
    scim_response,
)
from app.hr.resources import Page, list_response
from app.hr.schema import project
from app.web import db_session

log = logging.getLogger(__name__)
bp = Blueprint("scim", __name__, url_prefix="/scim/v2")
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
JSON_TYPES = ("application/scim+json", "application/json", "")
SEARCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
Handler = Callable[[], Response]


def _token_key() -> str:
    """Rate-limit key: the bearer token presented (by its hash), else the caller's address.

    The limit is checked before authentication, so a flood of requests with one wrong token
    is limited too; the 429 is a SCIM Error (the HTTPException handler below).
    """
    secret = request.headers.get("Authorization", "").partition(" ")[2].strip()
    return f"scim:{tokens.hash_token(secret)}" if secret else f"scim-ip:{get_remote_address()}"


limiter.limit(
    lambda: current_app.config["WAYPOINT"].scim_rate_limit,
    key_func=_token_key,
    error_message="Too many requests for this SCIM token; retry after the Retry-After delay.",
)(bp)


class UnsupportedMediaType(ScimError):
    status = 415


@bp.before_request
def authenticate() -> None:
    """Only a live SCIM token opens /scim (access tokens of the API do not)."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="waypoint-scim"'}
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized(
            "Send the SCIM token as 'Authorization: Bearer <token>'.", headers=challenge
        )
    ctx = tokens.authenticate(db_session(), secret=secret.strip())
    if ctx is None:
        raise Unauthorized("The SCIM token is unknown or revoked.", headers=challenge)
    g.hr = ctx


def base_url() -> str:
    """Absolute URL of /scim/v2 as the client reached it (for locations and $ref)."""
    return request.url_root.rstrip("/") + "/scim/v2"


def body() -> Any:
    """The JSON body (scim+json or json); a SCIM invalidSyntax error otherwise."""
    if request.mimetype not in JSON_TYPES:
        raise UnsupportedMediaType(f"Send application/scim+json, not {request.mimetype}.")
    try:
        document = json.loads(request.get_data(cache=True) or b"null")
    except (ValueError, RecursionError):
        raise InvalidSyntax("The body is not valid JSON.") from None
    if not isinstance(document, dict):
        raise InvalidSyntax("The body must be a JSON object.")
    if _has_unstorable_text(document):
        raise InvalidSyntax("Strings must not hold NUL or lone surrogates.")
    return document


def _csv(name: str, source: dict[str, Any] | None = None) -> list[str] | None:
    raw = (source or request.args).get(name)
    if raw is None:
        return None
    items = raw if isinstance(raw, list) else str(raw).split(",")
    return [str(i).strip() for i in items if str(i).strip()] or None


def _shaped(document: dict[str, Any], source: dict[str, Any] | None = None) -> dict[str, Any]:
    return project(document, _csv("attributes", source), _csv("excludedAttributes", source))


def resource(document: dict[str, Any], status: int = 200) -> Response:
    """One resource, with ETag (and Location when created)."""
    headers = {"ETag": document["meta"]["version"]}
    if status == 201:
        headers["Location"] = document["meta"]["location"]
    return scim_response(_shaped(document), status, headers)


def dispatch(handlers: dict[str, Handler]) -> Response:
    """Call the handler of the request's method, or answer 405."""
    method = "GET" if request.method == "HEAD" else request.method
    handler = handlers.get(method)
    if handler is None:
        raise MethodNotAllowed(
            f"{request.method} is not supported here.", headers={"Allow": ", ".join(handlers)}
        )
    return handler()


def _listing(lister: Any, source: dict[str, Any]) -> Response:
    page = Page.from_args(source.get("startIndex"), source.get("count"))
    if source.get("sortBy"):
        log.info("sortBy ignored: sorting is not supported")
    filter_text = source.get("filter")
    if filter_text is not None and not isinstance(filter_text, str):
        raise InvalidValue("filter must be a string.")
    total, found = lister(db_session(), g.hr, filter_text=filter_text, page=page, base=base_url())
    return scim_response(list_response(total, page, [_shaped(r, source) for r in found]))


def _search_body() -> dict[str, Any]:
    document = body()
    return {k: v for k, v in document.items() if k != "schemas"}


@bp.route("/ServiceProviderConfig", methods=METHODS)
def service_provider_config() -> Response:
    return dispatch({"GET": lambda: scim_response(discovery.service_provider_config(base_url()))})


def _collection(items: list[dict[str, Any]]) -> Response:
    return scim_response(list_response(len(items), Page(1, len(items)), items))


def _one(items: list[dict[str, Any]], item_id: str, kind: str) -> Response:
    for item in items:
        if item["id"] == item_id or item["id"].lower() == item_id.lower():
            return scim_response(item)
    raise NotFound(f"No {kind} {item_id!r}.")


@bp.route("/ResourceTypes", methods=METHODS)
def resource_types() -> Response:
    return dispatch({"GET": lambda: _collection(discovery.resource_types(base_url()))})


@bp.route("/ResourceTypes/<item_id>", methods=METHODS)
def resource_type(item_id: str) -> Response:
    return dispatch(
        {"GET": lambda: _one(discovery.resource_types(base_url()), item_id, "resource type")}
    )


@bp.route("/Schemas", methods=METHODS)
def schemas() -> Response:
    return dispatch({"GET": lambda: _collection(discovery.schemas(base_url()))})


@bp.route("/Schemas/<path:item_id>", methods=METHODS)
def schema(item_id: str) -> Response:
    return dispatch({"GET": lambda: _one(discovery.schemas(base_url()), item_id, "schema")})


@bp.route("/Users", methods=METHODS)
def users_collection() -> Response:
    return dispatch(
        {
            "GET": lambda: _listing(users.list_users, request.args),
            "POST": lambda: resource(
                users.create_user(db_session(), g.hr, body=body(), base=base_url()), 201
            ),
        }
    )


@bp.route("/Users/.search", methods=METHODS)
def users_search() -> Response:
    return dispatch({"POST": lambda: _listing(users.list_users, _search_body())})


@bp.route("/Users/<user_id>", methods=METHODS)
def user(user_id: str) -> Response:
    session, ctx, base = db_session(), g.hr, base_url()
    if_match = request.headers.get("If-Match")

    def delete() -> Response:
        users.delete_user(session, ctx, user_id=user_id, if_match=if_match, base=base)
        return Response(status=204)

    return dispatch(
        {
            "GET": lambda: resource(users.get_user(session, ctx, user_id=user_id, base=base)),
            "PUT": lambda: resource(
                users.replace_user(
                    session, ctx, user_id=user_id, body=body(), if_match=if_match, base=base
                )
            ),
            "PATCH": lambda: resource(
                users.patch_user(
                    session, ctx, user_id=user_id, body=body(), if_match=if_match, base=base
                )
            ),
            "DELETE": delete,
        }
    )


@bp.route("/Groups", methods=METHODS)
def groups_collection() -> Response:
    return dispatch(
        {
            "GET": lambda: _listing(groups.list_groups, request.args),
            "POST": lambda: resource(
                groups.create_group(db_session(), g.hr, body=body(), base=base_url()), 201
            ),
        }
    )


@bp.route("/Groups/.search", methods=METHODS)
def groups_search() -> Response:
    return dispatch({"POST": lambda: _listing(groups.list_groups, _search_body())})


@bp.route("/Groups/<group_id>", methods=METHODS)
def group(group_id: str) -> Response:
    session, ctx, base = db_session(), g.hr, base_url()
    if_match = request.headers.get("If-Match")

    def delete() -> Response:
        groups.delete_group(session, ctx, group_id=group_id, if_match=if_match, base=base)
        return Response(status=204)

    return dispatch(
        {
            "GET": lambda: resource(groups.get_group(session, ctx, group_id=group_id, base=base)),
            "PUT": lambda: resource(
                groups.replace_group(
                    session, ctx, group_id=group_id, body=body(), if_match=if_match, base=base
                )
            ),
            "PATCH": lambda: resource(
                groups.patch_group(
                    session, ctx, group_id=group_id, body=body(), if_match=if_match, base=base
                )
            ),
            "DELETE": delete,
        }
    )


def _root_search() -> Response:
    """POST /.search: Users, then Groups, paged as one list."""
    source = _search_body()
    page = Page.from_args(source.get("startIndex"), source.get("count"))
    filter_text = source.get("filter")
    found: list[dict[str, Any]] = []
    total = 0
    offset = page.start_index - 1
    for lister in (users.list_users, groups.list_groups):
        count, _ = lister(db_session(), g.hr, filter_text=filter_text, page=Page(1, 0), base="")
        wanted = page.count - len(found)
        if wanted > 0 and offset < count:
            _, items = lister(
                db_session(),
                g.hr,
                filter_text=filter_text,
                page=Page(offset + 1, wanted),
                base=base_url(),
            )
            found += items
        offset = max(0, offset - count)
        total += count
    return scim_response(list_response(total, page, [_shaped(r, source) for r in found]))


@bp.route("/.search", methods=METHODS)
def root_search() -> Response:
    return dispatch({"POST": _root_search})


@bp.route("", methods=METHODS)
@bp.route("/", methods=METHODS)
@bp.route("/<path:_rest>", methods=METHODS)
def unknown(_rest: str = "") -> Response:
    raise NotFound(f"No SCIM endpoint at {request.path}.")


@bp.errorhandler(ScimError)
def _scim_error(error: ScimError) -> Response:
    return error_response(error)


@bp.errorhandler(Problem)
def _problem(problem: Problem) -> Response:
    body = {"schemas": [ERROR_SCHEMA], "status": str(problem.status), "detail": problem.detail}
    return scim_response(body, problem.status)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    detail = error.description or "HTTP error"
    return scim_response(
        {"schemas": [ERROR_SCHEMA], "status": str(status), "detail": detail}, status
    )


@bp.errorhandler(sa_exc.IntegrityError)
def _integrity(error: sa_exc.IntegrityError) -> Response:
    log.info("SCIM uniqueness conflict: %s", error.orig)
    return error_response(Uniqueness("A concurrent change took one of these unique values."))


@bp.errorhandler(sa_exc.OperationalError)
@bp.errorhandler(sa_exc.InterfaceError)
def _database(error: sa_exc.DBAPIError) -> Response:
    log.warning("SCIM: database unavailable: %s", error.orig)
    unavailable = ServerError("The database did not answer in time; retry.")
    return scim_response({**unavailable.to_dict(), "status": "503"}, 503, {"Retry-After": "1"})


@bp.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    log.exception("SCIM request failed", exc_info=error)
    return error_response(ServerError("An unexpected error occurred; it has been logged."))
