"""Every error leaves as application/problem+json with a stable code (flask-smorest's way)."""

import pytest
import werkzeug.exceptions as wexc
from flask import abort

from app.config import PROJECT_ROOT
from app.errors import PROBLEM_CONTENT_TYPE, REGISTRY, Problem, errors_markdown
from app.models import load_all

WERKZEUG_ERRORS = [
    cls
    for cls in vars(wexc).values()
    if isinstance(cls, type)
    and issubclass(cls, wexc.HTTPException)
    and cls.code is not None
    and cls.code >= 400
]
load_all()


@pytest.fixture
def raising_app(app):
    @app.route("/_raise/werkzeug/<int:status>")
    def raise_werkzeug(status):
        abort(status)

    @app.route("/_raise/problem/<code>")
    def raise_problem(code):
        raise REGISTRY[code]("detail for the test", extra_member=1)

    @app.route("/_raise/crash")
    def crash():
        raise RuntimeError("secret internals")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def assert_problem(response, status, code=None):
    assert response.status_code == status
    assert response.mimetype == PROBLEM_CONTENT_TYPE
    body = response.get_json()
    assert {"type", "title", "status", "detail", "code"} <= body.keys()
    assert body["status"] == status
    if code:
        assert body["code"] == code
    return body


@pytest.mark.parametrize("error", WERKZEUG_ERRORS, ids=lambda c: c.__name__)
def test_every_werkzeug_error_is_a_problem(raising_app, error):
    response = raising_app.test_client().get(f"/_raise/werkzeug/{error.code}")
    body = assert_problem(response, error.code)
    assert body["code"]


@pytest.mark.parametrize("code", sorted(REGISTRY))
def test_every_problem_class_renders_with_its_code(raising_app, code):
    response = raising_app.test_client().get(f"/_raise/problem/{code}")
    body = assert_problem(response, REGISTRY[code].status, code)
    assert body["detail"] == "detail for the test"
    assert body["extra_member"] == 1


def test_unexpected_exception_is_a_bare_500_without_internals(raising_app):
    response = raising_app.test_client().get("/_raise/crash")
    body = assert_problem(response, 500, "server.internal")
    assert "secret" not in response.get_data(as_text=True)
    assert "Traceback" not in body["detail"]


def test_unknown_route_and_wrong_method(client):
    assert_problem(client.get("/no/such/thing"), 404, "resource.not_found")
    response = client.delete("/healthz")
    assert_problem(response, 405, "request.method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_validation_errors_are_per_field(client):
    response = client.post("/api/v1/auth/login", json={"login": 5, "surprise": True})
    body = assert_problem(response, 422, "request.validation")
    fields = body["errors"]["json"]
    assert {"login", "surprise", "password", "device_id", "platform"} <= fields.keys()


def test_malformed_json_is_a_400_problem(client):
    response = client.post("/api/v1/auth/login", data="{not json", content_type="application/json")
    assert_problem(response, 400, "request.malformed")


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "text/plain", "application/xml"],
)
def test_a_body_that_is_not_json_is_a_415_problem(client, content_type):
    """Never read as an empty body: that would turn into misleading 'missing field' errors."""
    response = client.post(
        "/api/v1/auth/login", data="login=A001&password=x", content_type=content_type
    )
    assert_problem(response, 415, "request.unsupported_media_type")


def test_json_with_a_charset_and_bodyless_posts_are_accepted(client):
    response = client.post(
        "/api/v1/auth/login", data="{}", content_type="application/json; charset=utf-8"
    )
    assert_problem(response, 422, "request.validation")
    assert client.post("/api/v1/auth/logout").status_code == 401  # no body: not a 415


def test_body_too_large_is_413(client, app):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/api/v1/auth/login", data="x" * 4096, content_type="application/json")
    assert_problem(response, 413, "request.too_large")


# Issue 3 names these two codes verbatim; every other code is dotted (domain.condition).
UNDOTTED_BY_SPEC = {"out_of_territory", "already_claimed"}


def test_problem_codes_are_unique_and_dotted():
    for code, cls in REGISTRY.items():
        assert issubclass(cls, Problem)
        assert code == code.lower(), code
        assert code.count(".") >= 1 or code in UNDOTTED_BY_SPEC, code


def test_errors_doc_is_current(app):
    assert (PROJECT_ROOT / "docs" / "errors.md").read_text() == errors_markdown(), (
        "run: flask --app wsgi waypoint errors-doc"
    )


def test_openapi_advertises_problem_json(client):
    spec = client.get("/api/openapi.json").get_json()
    default = spec["components"]["responses"]["DEFAULT_ERROR"]
    assert PROBLEM_CONTENT_TYPE in default["content"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert operation.get("summary"), f"{method} {path} lacks a summary"
            assert "default" in operation["responses"], f"{method} {path}"
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert "$ref" in response or PROBLEM_CONTENT_TYPE in response["content"]


def test_openapi_marks_authenticated_operations(client):
    spec = client.get("/api/openapi.json").get_json()
    me = spec["paths"]["/api/v1/me"]["get"]
    assert me["security"] == [{"bearerAuth": []}]
    assert "401" in me["responses"]
    assert "security" not in spec["paths"]["/api/v1/auth/login"]["post"]


def test_a_commit_the_database_drops_is_a_503_with_retry_after(app, client):
    """The response was ready, but the commit failed: the client must retry, and knows when."""
    import sqlalchemy as sa
    from sqlalchemy import exc as sa_exc

    from app.web import db_session

    @app.route("/_raise/commit_lost", methods=["POST"])
    def commit_lost():
        session = db_session()

        def drop(_session):
            raise sa_exc.OperationalError("COMMIT", {}, ConnectionError("connection lost"))

        sa.event.listen(session, "before_commit", drop, once=True)
        return {"ok": True}, 201

    response = client.post("/_raise/commit_lost")
    body = assert_problem(response, 503, "server.unavailable")
    assert response.headers["Retry-After"] == "1"
    assert "connection lost" not in str(body)
