"""Request plumbing: the request's database session and its commit-or-rollback rule."""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, g, request
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from app.db import WRITE_LOCK_FIRST
from app.errors import Conflict, ServiceUnavailable, problem_body, problem_response, render

log = logging.getLogger(__name__)
SESSIONS_KEY = "waypoint.sessions"


def db_session() -> Session:
    """The request's session, opened on first use.

    On SQLite the request's transaction begins with the write lock (BEGIN IMMEDIATE, waiting
    up to busy_timeout): a transaction that read first fails at once ("database is locked")
    when it later writes after another worker's commit, and most requests write (check-ins,
    pushes, but also pulls and map views). SQLite has one writer anyway; PostgreSQL is not
    affected.
    """
    if "db_session" not in g:
        factory: sessionmaker[Session] = current_app.extensions[SESSIONS_KEY]
        session = factory()
        if session.get_bind().dialect.name == "sqlite":
            session.connection(execution_options={WRITE_LOCK_FIRST: True})
        g.db_session = session
    return g.db_session


def keep_writes_despite_error() -> None:
    """Mark this request's writes to be committed although it answers with an error."""
    g.preserve_writes = True


def _finish(response: Response) -> Response:
    session: Session | None = g.get("db_session")
    if session is None:
        return response
    if response.status_code >= 400 and not g.get("preserve_writes"):
        session.rollback()
        return response
    try:
        session.commit()
    except (sa_exc.OperationalError, sa_exc.InterfaceError):
        session.rollback()
        log.warning("commit failed: database unavailable", exc_info=True)
        return render(ServiceUnavailable("The change was not saved; retry."))
    except sa_exc.IntegrityError:
        session.rollback()
        return render(Conflict("A concurrent change conflicts with this one."))
    return response


def _close(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()


BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _refuse_non_json_body() -> Response | None:
    """A body the API cannot read is a 415, never silently treated as empty."""
    if request.method not in BODY_METHODS or not request.path.startswith("/api/"):
        return None
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "")
    if not request.content_length and not chunked:
        return None
    mimetype = request.mimetype
    if mimetype in ("application/json", "multipart/form-data") or mimetype.endswith("+json"):
        return None
    return problem_response(
        problem_body(
            415,
            "request.unsupported_media_type",
            "Unsupported Media Type",
            "Send the body as JSON (Content-Type: application/json); "
            "photos as multipart/form-data.",
        )
    )


def register_request_session(app: Flask, factory: sessionmaker[Session]) -> None:
    """Each request gets one session; it commits only if the request ended well."""
    app.extensions[SESSIONS_KEY] = factory
    app.before_request(_refuse_non_json_body)
    app.after_request(_finish)
    app.teardown_appcontext(_close)
