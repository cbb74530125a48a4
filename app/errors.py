"""RFC 7807 problem details: one exception type for services, one renderer for everything.

Every `Problem` subclass registers its stable `code`; `flask waypoint errors-doc` writes the
registry to docs/errors.md and a test keeps that file current.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any, ClassVar

import marshmallow as ma
from flask import Flask, Response, g, json
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://waypoint.dev/problems/"
log = logging.getLogger(__name__)

REGISTRY: dict[str, type[Problem]] = {}


class Problem(Exception):
    """A failed use case: status, stable code, human title and detail, extra members."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "request.invalid"
    title: ClassVar[str] = "The request is invalid"
    # A few refusals must keep what the service wrote (e.g. revoking a token family when a
    # used refresh token comes back); every other Problem rolls the request back.
    preserve_writes: ClassVar[bool] = False
    headers: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" in cls.__dict__:
            other = REGISTRY.get(cls.code)
            if other is not None and other.__qualname__ != cls.__qualname__:
                raise TypeError(f"problem code {cls.code!r} reused by {cls.__name__}")
            REGISTRY[cls.code] = cls

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        """The problem document as sent to the client."""
        return problem_body(self.status, self.code, self.title, self.detail, **self.extra)


class NotFound(Problem):
    status = 404
    code = "resource.not_found"
    title = "No such resource, or it is outside your scope"


class Forbidden(Problem):
    status = 403
    code = "auth.forbidden"
    title = "Your role or scope does not allow this"


class Conflict(Problem):
    status = 409
    code = "resource.conflict"
    title = "The request conflicts with the current state"


class ServiceUnavailable(Problem):
    status = 503
    code = "server.unavailable"
    title = "The service is briefly unavailable; retry shortly"


# Codes for werkzeug's HTTP errors, so clients never parse titles.
HTTP_CODES = {
    400: "request.malformed",
    401: "auth.unauthenticated",
    403: "auth.forbidden",
    404: "resource.not_found",
    405: "request.method_not_allowed",
    406: "request.not_acceptable",
    409: "resource.conflict",
    412: "request.precondition_failed",
    413: "request.too_large",
    415: "request.unsupported_media_type",
    422: "request.validation",
    428: "request.precondition_required",
    429: "request.rate_limited",
    500: "server.internal",
    501: "request.not_implemented",
    503: "server.unavailable",
}


def problem_body(status: int, code: str, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    """Assemble a problem document; `type` is a stable URI derived from the code."""
    return {
        "type": TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    """Render a problem document as application/problem+json."""
    response = Response(json.dumps(body), status=body["status"], mimetype=PROBLEM_CONTENT_TYPE)
    response.headers.update(headers or {})
    return response


def render_http_exception(error: HTTPException) -> Response:
    """Werkzeug errors and webargs validation failures as problems (flask-smorest hook)."""
    status = error.code or 500
    code = HTTP_CODES.get(status, f"http.{status}")
    extra: dict[str, Any] = {}
    data = getattr(error, "data", None) or {}
    messages = data.get("errors") or data.get("messages")
    if messages:
        extra["errors"] = messages
    if status == 422:
        detail = "Some fields are missing or invalid; see errors."
    elif status == 400 and messages:
        detail = "The request could not be parsed; see errors."
    elif status >= 500:
        detail = "An unexpected error occurred; it has been logged."
    else:
        detail = data.get("message") or error.description or HTTPStatus(status).phrase
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    headers = dict(data.get("headers") or {})
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods or ())
    return problem_response(problem_body(status, code, title, detail, **extra), headers)


def render(problem: Problem) -> Response:
    """The problem as a response, with the headers its status calls for (503: Retry-After)."""
    headers = dict(problem.headers)
    if problem.status == 503:
        headers["Retry-After"] = "1"
    return problem_response(problem.to_dict(), headers)


def _render_problem(problem: Problem) -> Response:
    if problem.preserve_writes:
        g.preserve_writes = True  # app.web commits what the service wrote before refusing
    return render(problem)


def _render_db_error(error: sa_exc.DBAPIError) -> Response:
    """Lost connections and lock time-outs are the client's cue to retry, not a 500."""
    log.warning("database unavailable: %s", error.orig)
    return _render_problem(ServiceUnavailable("The database did not answer in time; retry."))


def _render_integrity_error(error: sa_exc.IntegrityError) -> Response:
    """A uniqueness race lost to a concurrent writer: the request may be retried."""
    log.info("integrity conflict: %s", error.orig)
    return _render_problem(Conflict("A concurrent change conflicts with this request."))


def register_error_handlers(app: Flask) -> None:
    """Route Problems and database failures through the problem renderer."""
    app.register_error_handler(Problem, _render_problem)
    app.register_error_handler(sa_exc.IntegrityError, _render_integrity_error)
    app.register_error_handler(sa_exc.OperationalError, _render_db_error)
    app.register_error_handler(sa_exc.InterfaceError, _render_db_error)


class ProblemSchema(ma.Schema):
    """RFC 7807 problem details, with Waypoint's stable `code` and per-field `errors`."""

    type = ma.fields.String(required=True, metadata={"description": "URI naming the problem"})
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String(required=True)
    code = ma.fields.String(required=True, metadata={"description": "Stable dotted code"})
    errors = ma.fields.Dict(metadata={"description": "Per-location, per-field messages"})

    class Meta:
        unknown = ma.INCLUDE


def errors_markdown() -> str:
    """The registry of problem codes as a Markdown table (docs/errors.md)."""
    lines = [
        "# Error codes",
        "",
        "Every error is `application/problem+json` (RFC 7807) with a stable `code`.",
        "Generated by `flask --app wsgi waypoint errors-doc`; do not edit by hand.",
        "",
        "| code | status | title |",
        "|---|---|---|",
    ]
    rows = {code: (status, HTTPStatus(status).phrase) for status, code in HTTP_CODES.items()}
    rows.update({code: (cls.status, cls.title) for code, cls in REGISTRY.items()})
    lines += [
        f"| `{code}` | {status} | {title} |" for code, (status, title) in sorted(rows.items())
    ]
    return "\n".join(lines) + "\n"
