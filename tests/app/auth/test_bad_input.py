"""Bad input on the auth endpoints: always a 4xx problem, never a 500, never a row written."""

from __future__ import annotations

import json

import pytest

from app import create_app
from tests.app.auth.helpers import (
    LOGIN_URL,
    LOGOUT_URL,
    REFRESH_URL,
    assert_problem,
    auth_row_counts,
    get_me,
    post_login,
)
from tests.conftest import make_settings
from tests.factories import PASSWORD

HUGE = "x" * 100_000
JSON = "application/json"


@pytest.fixture
def app(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash must show up as a 500, not raise
    return app


@pytest.fixture
def good_login(rep) -> dict[str, object]:
    """A body that would log the rep in; each case spoils one thing about it."""
    return {
        "login": rep.employee_number,
        "password": PASSWORD,
        "device_id": "device-0001",
        "platform": "android",
    }


RAW_BODIES = [
    pytest.param(body, content_type, id=label)
    for label, body, content_type in [
        ("empty", b"", JSON),
        ("malformed", b'{"login": ', JSON),
        ("single-quotes", b"{'login': 'E1'}", JSON),
        ("trailing-comma", b'{"login": "E1",}', JSON),
        ("not-utf8", b'{"login": "\xff\xfe"}', JSON),
        ("null", b"null", JSON),
        ("array", b"[]", JSON),
        ("array-of-object", b'[{"login": "E1"}]', JSON),
        ("number", b"42", JSON),
        ("string", b'"login"', JSON),
        ("true", b"true", JSON),
        ("nan", b'{"refresh_token": NaN, "login": Infinity}', JSON),
        ("deeply-nested-array", b"[" * 100_000 + b"]" * 100_000, JSON),
        ("deeply-nested-object", b'{"a":' * 100_000 + b"1" + b"}" * 100_000, JSON),
        ("5000-digit-integer", b'{"login": 1' + b"0" * 5000 + b"}", JSON),
        ("escaped-nul", b'{"login": "E\\u0000", "refresh_token": "\\u0000"}', JSON),
        ("escaped-upper-surrogate", b'{"login": "E1", "password": "\\uDC00x"}', JSON),
        ("utf8-encoded-surrogate", b'{"login": "E1", "password": "\xed\xa0\x80"}', JSON),
        ("text-plain", b'{"login": "E1"}', "text/plain"),
        ("form", b"login=E1&password=x", "application/x-www-form-urlencoded"),
        ("no-content-type", b'{"login": "E1"}', None),
    ]
]


def spoil(good: dict[str, object], **changes: object) -> bytes:
    return json.dumps({**good, **changes}).encode()


LOGIN_SPOILERS = {
    "unknown-field": {"admin": True},
    "login-int": {"login": 12345},
    "login-list": {"login": ["E1"]},
    "login-object": {"login": {"$ne": None}},
    "login-null": {"login": None},
    "login-empty": {"login": ""},
    "login-huge": {"login": HUGE},
    "login-nul": {"login": "E0\u00001"},
    "login-lone-surrogate": {"login": "\ud800"},
    "password-int": {"password": 123456},
    "password-bool": {"password": True},
    "password-huge": {"password": HUGE},
    "password-lone-surrogate": {"password": "\udfff" * 10},
    "device-bool": {"device_id": False},
    "device-short": {"device_id": "abc"},
    "device-huge": {"device_id": "d" * 100_000},
    "device-slash": {"device_id": "../../etc"},
    "device-space": {"device_id": "my phone"},
    "platform-unknown": {"platform": "windows-phone"},
    "platform-list": {"platform": ["ios"]},
}


def send(client, url: str, body: bytes, content_type: str | None, headers=None):
    headers = dict(headers or {})
    if content_type is not None:
        headers["Content-Type"] = content_type
    return client.post(url, data=body, headers=headers)


def assert_refused_and_nothing_written(response, sessions, before) -> None:
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:300]
    assert_problem(response, response.status_code)
    assert auth_row_counts(sessions) == before


@pytest.mark.parametrize("url", [LOGIN_URL, REFRESH_URL])
@pytest.mark.parametrize(("body", "content_type"), RAW_BODIES)
def test_raw_bad_bodies(client, sessions, rep, url, body, content_type):
    before = auth_row_counts(sessions)

    response = send(client, url, body, content_type)

    assert_refused_and_nothing_written(response, sessions, before)


@pytest.mark.parametrize("label", list(LOGIN_SPOILERS))
def test_spoiled_login_bodies(client, sessions, good_login, label):
    before = auth_row_counts(sessions)

    response = send(client, LOGIN_URL, spoil(good_login, **LOGIN_SPOILERS[label]), JSON)

    assert_refused_and_nothing_written(response, sessions, before)


@pytest.mark.parametrize("missing", ["login", "password", "device_id", "platform"])
def test_login_missing_a_field_is_422_naming_it(client, sessions, good_login, missing):
    before = auth_row_counts(sessions)
    del good_login[missing]

    response = client.post(LOGIN_URL, json=good_login)

    body = assert_problem(response, 422, "request.validation")
    assert list(body["errors"]["json"]) == [missing]
    assert auth_row_counts(sessions) == before


def test_unknown_fields_are_named(client, good_login):
    response = client.post(LOGIN_URL, json={**good_login, "role": "admin"})

    body = assert_problem(response, 422, "request.validation")
    assert body["errors"]["json"] == {"role": ["Unknown field."]}


@pytest.mark.parametrize(
    "refresh_body",
    [
        {"refresh_token": "r" * 20, "session_id": "x"},
        {"refresh_token": HUGE},
        {"refresh_token": 10**30},
        {"refresh_token": {"$gt": ""}},
        {"refresh_token": "\ud800" * 20},
        {"refresh_token": "\u0000" * 20},
        {"token": "r" * 20},
        {},
    ],
    ids=["unknown-field", "huge", "big-int", "object", "surrogates", "nul", "renamed", "empty"],
)
def test_spoiled_refresh_bodies(client, sessions, rep, refresh_body):
    post_login(client, rep.employee_number)
    before = auth_row_counts(sessions)

    response = send(client, REFRESH_URL, json.dumps(refresh_body).encode(), JSON)

    assert_refused_and_nothing_written(response, sessions, before)


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="none"),
        pytest.param("", id="empty"),
        pytest.param("Bearer", id="no-token"),
        pytest.param("Bearer " + HUGE, id="huge"),
        pytest.param("Bearer " + "a." * 50_000, id="many-dots"),
        pytest.param("Basic Zm9vOmJhcg==", id="basic"),
        pytest.param("Bearer eyJhbGciOiJub25lIn0.e30.", id="alg-none"),
        pytest.param("Bearer \u00e9\u00e9.\u00e9.\u00e9", id="latin1"),
    ],
)
def test_logout_without_a_valid_token_changes_nothing(client, sessions, rep, authorization):
    live = post_login(client, rep.employee_number).get_json()
    before = auth_row_counts(sessions)
    headers = {} if authorization is None else {"Authorization": authorization}

    for body, content_type in [(b"", None), (b"{", JSON), (b"[1]", JSON), (b"[" * 10_000, JSON)]:
        response = send(client, LOGOUT_URL, body, content_type, headers=headers)
        assert_refused_and_nothing_written(response, sessions, before)
        assert response.status_code == 401
    assert get_me(client, live["access_token"]).status_code == 200


@pytest.mark.parametrize(("body", "content_type"), RAW_BODIES)
def test_raw_bad_bodies_with_rate_limits_on(settings, sessions, rep, body, content_type):
    # The per-account limit reads the login from the body before the view parses it.
    limited = make_settings(settings.instance_path, settings.database_url, ratelimit_enabled=True)
    app = create_app(limited, sessions=sessions)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    before = auth_row_counts(sessions)

    response = send(app.test_client(), LOGIN_URL, body, content_type)

    assert_refused_and_nothing_written(response, sessions, before)


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
@pytest.mark.parametrize("url", [LOGIN_URL, REFRESH_URL, LOGOUT_URL])
def test_other_methods_are_405_problems(client, url, method):
    response = getattr(client, method)(url, json={})

    assert_problem(response, 405, "request.method_not_allowed")
    assert "POST" in response.headers["Allow"]


def test_a_body_above_the_request_size_limit_is_413(client, settings):
    body = b'{"login": "' + b"x" * (settings.max_request_bytes + 1) + b'"}'

    assert_problem(send(client, LOGIN_URL, body, JSON), 413, "request.too_large")
