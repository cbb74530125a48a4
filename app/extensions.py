"""Shared extension objects and the thin flask-smorest subclasses that speak problem+json."""

from __future__ import annotations

import http
import re
from typing import Any

import flask_smorest
from flask import Flask, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_smorest.utils import prepare_response
from webargs.flaskparser import FlaskParser
from webargs.flaskparser import abort as parser_abort

from app.errors import PROBLEM_CONTENT_TYPE, ProblemSchema, render_http_exception


class Api(flask_smorest.Api):
    """flask-smorest's Api whose error responses are documented and sent as problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error: Any) -> Any:
        return render_http_exception(error)

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "Error (problem details)", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, PROBLEM_CONTENT_TYPE)
        self.spec.components.response("DEFAULT_ERROR", default, lazy=True)


# No text column or hash takes these: PostgreSQL refuses NUL, UTF-8 refuses lone surrogates.
_UNSTORABLE_TEXT = re.compile(r"[\x00\ud800-\udfff]")


def _may_hold_unstorable_text(body: bytes) -> bool:
    """False when the raw JSON cannot decode to such text: in a JSON body NUL and surrogates
    can only be written as \\u escapes (raw control characters and unencodable bytes do not
    parse), so a body without `\\u0000` and `\\ud…` needs no walk (a push's 1 MB: 17 ms)."""
    return b"\\u0000" in body or b"\\ud" in body or b"\\uD" in body


def _has_unstorable_text(document: Any) -> bool:
    """True when any string in the parsed JSON holds NUL or an unpaired surrogate."""
    stack = [document]
    while stack:  # iterative: a document nested ~1,000 deep must not recurse here
        item = stack.pop()
        if isinstance(item, str):
            if _UNSTORABLE_TEXT.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class Parser(FlaskParser):
    """webargs' parser; JSON that parses but cannot be used is a 400 too, never a 500.

    The stdlib decoder raises RecursionError on deep nesting and ValueError on integers
    over 4,300 digits, which webargs does not catch; NUL and lone surrogates parse fine
    but fail later in the database driver or in `str.encode()`.
    """

    def load_json(self, req: Any, schema: Any) -> Any:
        try:
            document = super().load_json(req, schema)
        except (RecursionError, ValueError) as exc:
            parser_abort(400, exc=exc, messages={"json": ["Invalid JSON body."]})
        if _may_hold_unstorable_text(req.get_data(cache=True)) and _has_unstorable_text(document):
            parser_abort(400, messages={"json": ["Strings must not hold NUL or lone surrogates."]})
        return document


class Blueprint(flask_smorest.Blueprint):
    """One Blueprint per domain; `problems()` documents the error statuses a view may return."""

    ARGUMENTS_PARSER = Parser()

    def problems(self, *statuses: int) -> Any:
        """Document each status as a problem+json response (by its shared component)."""

        def decorator(func: Any) -> Any:
            for status in statuses:
                func = self.alt_response(status, response=http.HTTPStatus(status).name)(func)
            return func

        return decorator

    def login_required(self, *roles: Any) -> Any:
        """Require a valid access token (and one of `roles`); documents security and errors."""
        from app.auth.guard import require

        def decorator(func: Any) -> Any:
            func = require(*roles)(func)
            func = self.problems(401, 403)(func) if roles else self.problems(401)(func)
            return self.doc(security=[{"bearerAuth": []}])(func)

        return decorator


def _rate_limit_key() -> str:
    """The caller's address; behind a proxy, ProxyFix sets remote_addr from X-Forwarded-For."""
    return get_remote_address()


def account_key() -> str:
    """Rate-limit key for the account a login names (whatever the IP)."""
    try:
        body = request.get_json(silent=True) or {}
    except RecursionError:  # absurdly nested JSON: the view's parser answers it with a 400
        body = {}
    name = body.get("login") if isinstance(body, dict) else None
    return f"login:{str(name)[:128].lower()}" if name else f"login-ip:{get_remote_address()}"


def principal_key() -> str:
    """Rate-limit key for an authenticated principal (falls back to the address)."""
    principal = g.get("principal")
    return f"staff:{principal.staff_id}" if principal else _rate_limit_key()


api = Api()
limiter = Limiter(key_func=_rate_limit_key, headers_enabled=True)


def init_extensions(app: Flask) -> None:
    """Bind the extension objects to one app."""
    api.init_app(app)
    limiter.init_app(app)
