"""/scim/v2 beyond the checker: auth, filters, paging, projection, ETags, SCIM error bodies."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from app.hr import tokens
from app.hr.filters import ENTERPRISE_USER
from tests.app.auth.helpers import assert_problem
from tests.app.hr.conftest import SCIM_JSON, Scim, assert_scim_error, fixture, ok
from tests.factories import login


def _user(n: int, **extra: object) -> dict:
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": f"User{n:02d}@Acme.example",
        "externalId": f"ext-{n:02d}",
        "emails": [{"value": f"user{n:02d}@acme.example", "type": "work", "primary": True}],
        "active": True,
    }
    return body | extra


@pytest.fixture
def five(scim: Scim) -> list[str]:
    return [ok(scim.post("/Users", _user(n)), 201)["id"] for n in range(1, 6)]


def _ids(scim: Scim, query: str) -> list[str]:
    return [r["id"] for r in ok(scim.get("/Users?" + query))["Resources"]]


def test_no_token_wrong_token_and_access_tokens_are_refused(client, scim, admin):
    for headers in ({}, {"Authorization": "Bearer wpscim_not-a-token"}, {"Authorization": "x"}):
        response = client.get("/scim/v2/Users", headers=headers)
        assert_scim_error(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    access = login(client, admin)["access_token"]
    assert_scim_error(
        client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {access}"}), 401
    )
    # ...and the SCIM token opens nothing in the normal API.
    response = client.get("/api/v1/me", headers=scim.headers)
    assert_problem(response, 401, "auth.unauthenticated")


def test_revoked_token_is_refused_at_once(db, client, scim, company):
    assert ok(scim.get("/Users"))["schemas"]
    token = db.scalars(__import__("sqlalchemy").select(tokens.ScimToken)).first()
    tokens.revoke_token(db, None, token_id=token.id)
    assert_scim_error(scim.get("/Users"), 401)


@pytest.mark.usefixtures("five")
def test_filters(scim, five):
    assert _ids(scim, "filter=" + quote('userName eq "USER02@acme.EXAMPLE"')) == [five[1]]
    assert _ids(scim, "filter=" + quote('externalId eq "ext-03"')) == [five[2]]
    assert _ids(scim, "filter=" + quote('emails.value eq "USER04@acme.example"')) == [five[3]]
    assert _ids(scim, "filter=" + quote('emails[value eq "user05@acme.example"]')) == [five[4]]
    either = 'userName eq "user01@acme.example" or externalId eq "ext-05"'
    assert _ids(scim, "filter=" + quote(either)) == [five[0], five[4]]
    grouped = '(userName sw "user0" and active eq true) and not (externalId eq "ext-01")'
    assert _ids(scim, "filter=" + quote(grouped)) == five[1:]
    assert _ids(scim, "filter=" + quote('userName co "R03"')) == [five[2]]
    assert _ids(scim, "filter=" + quote('USERNAME EQ "user01@acme.example"')) == [five[0]]
    assert _ids(scim, "filter=" + quote("externalId pr and active eq false")) == []
    enterprise = f'{ENTERPRISE_USER}:employeeNumber eq "nobody"'
    assert _ids(scim, "filter=" + quote(enterprise)) == []


@pytest.mark.parametrize(
    "expression",
    [
        'userName eq "a" and',
        "userName eq unquoted",
        'userName xx "a"',
        '(userName eq "a"',
        'title eq "boss"',
        'active eq "yes"',
        'userName eq "a" ]',
        'emails[type eq "work"',
        'meta.created gt "yesterday"',
    ],
)
def test_bad_filters_are_invalid_filter(scim, expression):
    response = scim.get("/Users?filter=" + quote(expression))
    assert_scim_error(response, 400, "invalidFilter")


def test_paging_is_stable_and_one_based(scim, five):
    first = ok(scim.get("/Users?filter=" + quote('userName sw "user"') + "&startIndex=1&count=2"))
    assert first["totalResults"] == 5 and first["itemsPerPage"] == 2 and first["startIndex"] == 1
    users = "filter=" + quote('userName sw "user"')
    pages = [_ids(scim, f"{users}&startIndex={s}&count=2") for s in (1, 3, 5)]
    assert [i for page in pages for i in page] == five
    assert _ids(scim, f"{users}&startIndex=0&count=1") == five[:1]
    counted = ok(scim.get("/Users?count=0"))
    assert counted["Resources"] == [] and counted["totalResults"] >= 5
    assert_scim_error(scim.get("/Users?count=many"), 400, "invalidValue")


def test_attributes_and_excluded_attributes(scim, five):
    user_id = five[0]
    only = ok(scim.get(f"/Users/{user_id}?attributes=userName,emails.value"))
    assert set(only) == {"schemas", "id", "userName", "emails"}
    assert only["emails"] == [{"value": "user01@acme.example"}]
    without = ok(scim.get(f"/Users/{user_id}?excludedAttributes=emails,meta"))
    assert "emails" not in without and "meta" not in without and without["id"] == user_id
    listed = ok(scim.get("/Users?attributes=externalId&filter=" + quote('externalId eq "ext-01"')))
    assert listed["Resources"] == [
        {"schemas": listed["Resources"][0]["schemas"], "id": user_id, "externalId": "ext-01"}
    ]
    searched = ok(
        scim.post("/Users/.search", {"filter": 'externalId eq "ext-02"', "attributes": ["id"]})
    )
    assert [r["id"] for r in searched["Resources"]] == [five[1]]


def test_etags_and_if_match(scim, five):
    user_id = five[0]
    response = scim.get(f"/Users/{user_id}")
    etag = response.headers["ETag"]
    assert etag.startswith('W/"') and ok(response)["meta"]["version"] == etag
    patch = {"Operations": [{"op": "replace", "path": "displayName", "value": "New"}]}
    assert_scim_error(
        scim.patch(f"/Users/{user_id}", patch, headers={"If-Match": 'W/"stale"'}), 412
    )
    changed = scim.patch(f"/Users/{user_id}", patch, headers={"If-Match": etag})
    assert ok(changed)["displayName"] == "New" and changed.headers["ETag"] != etag
    assert_scim_error(scim.delete(f"/Users/{user_id}", headers={"If-Match": etag}), 412)


@pytest.mark.parametrize(
    ("body", "status", "scim_type"),
    [
        (
            {"Operations": [{"op": "explode", "path": "active", "value": True}]},
            400,
            "invalidSyntax",
        ),
        ({"Operations": []}, 400, "invalidSyntax"),
        ({"Operations": [{"op": "remove"}]}, 400, "noTarget"),
        (
            {"Operations": [{"op": "replace", "path": "active", "value": "maybe"}]},
            400,
            "invalidValue",
        ),
        ({"Operations": [{"op": "replace", "path": "id", "value": "7"}]}, 400, "mutability"),
        ({"Operations": [{"op": "replace", "path": "groups", "value": []}]}, 400, "mutability"),
        ({"Operations": [{"op": "add", "path": "shoeSize", "value": "42"}]}, 400, "invalidPath"),
        (
            {"Operations": [{"op": "add", "path": "emails[type eq", "value": "x"}]},
            400,
            "invalidPath",
        ),
        (
            {
                "Operations": [
                    {
                        "op": "replace",
                        "path": 'emails[type eq "x" or type eq "y"].value',
                        "value": "a",
                    }
                ]
            },
            400,
            "noTarget",
        ),
        (
            {"Operations": [{"op": "replace", "path": "userName", "value": None}]},
            400,
            "invalidValue",
        ),
    ],
)
def test_bad_patches_are_scim_errors(scim, five, body, status, scim_type):
    response = scim.patch(f"/Users/{five[1]}", {"schemas": [], **body})
    assert_scim_error(response, status, scim_type)


def test_bad_bodies_and_unknown_things(client, scim, five):
    raw = client.post(
        "/scim/v2/Users", data="{not json", content_type=SCIM_JSON, headers=scim.headers
    )
    assert_scim_error(raw, 400, "invalidSyntax")
    assert_scim_error(scim.post("/Users", ["a list"]), 400, "invalidSyntax")
    assert_scim_error(scim.post("/Users", {"emails": []}), 400, "invalidValue")
    assert_scim_error(scim.post("/Users", _user(9, active="perhaps")), 400, "invalidValue")
    assert_scim_error(scim.post("/Users", _user(9, userName="x" * 300)), 400, "invalidValue")
    assert_scim_error(scim.post("/Users", _user(1)), 409, "uniqueness")
    taken = _user(9, externalId="ext-02")
    assert_scim_error(scim.post("/Users", taken), 409, "uniqueness")
    text = client.post("/scim/v2/Users", data="a", content_type="text/plain", headers=scim.headers)
    assert_scim_error(text, 415)
    assert_scim_error(scim.get("/Users/999999"), 404)
    assert_scim_error(scim.get("/Users/not-a-number"), 404)
    assert_scim_error(scim.get("/Nope"), 404)
    assert_scim_error(scim.get("/Schemas/urn:nope"), 404)
    assert_scim_error(scim.call("DELETE", "/ServiceProviderConfig"), 405)
    assert_scim_error(scim.post("/Users/" + five[0], {}), 405)


def test_discovery_says_what_is_supported(scim):
    config = ok(scim.get("/ServiceProviderConfig"))
    assert config["patch"]["supported"] and config["etag"]["supported"]
    assert config["filter"] == {"supported": True, "maxResults": 200}
    assert not config["bulk"]["supported"] and not config["sort"]["supported"]
    assert not config["changePassword"]["supported"]
    types = ok(scim.get("/ResourceTypes"))["Resources"]
    assert {t["name"] for t in types} == {"User", "Group"}
    assert ok(scim.get("/ResourceTypes/User"))["schemaExtensions"][0]["schema"] == ENTERPRISE_USER
    user_schema = ok(scim.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User"))
    assert {a["name"] for a in user_schema["attributes"]} >= {"userName", "active", "emails"}


def test_deleted_users_are_404_but_deactivated_ones_are_served(scim, five):
    off = {"Operations": [{"op": "replace", "value": {"active": False}}]}
    ok(scim.patch(f"/Users/{five[0]}", off))
    ok(scim.delete(f"/Users/{five[1]}"), 204)
    assert ok(scim.get(f"/Users/{five[0]}"))["active"] is False
    assert_scim_error(scim.get(f"/Users/{five[1]}"), 404)
    assert_scim_error(scim.delete(f"/Users/{five[1]}"), 404)
    assert _ids(scim, "filter=" + quote("active eq false")) == [five[0]]
    assert five[1] not in _ids(scim, "count=200")


def test_patch_quirks_of_real_idps(db, scim, mapped):
    user_id = ok(scim.post("/Users", fixture("entra_create_user.json")), 201)["id"]
    body = {
        "Operations": [
            {"op": "Add", "value": {'emails[type eq "home"].value': "min@home.example"}},
            {"op": "Replace", "path": "name.givenName", "value": "Minnie"},
            {"op": "Remove", "path": f"{ENTERPRISE_USER}:employeeNumber"},
            {"op": "replace", "path": "manager", "value": "42"},
            {"op": "Add", "path": "locale", "value": "zh-CN"},
        ]
    }
    user = ok(scim.patch(f"/Users/{user_id}", body))
    assert {"type": "home", "value": "min@home.example"} in user["emails"]
    assert user["name"]["givenName"] == "Minnie"
    assert user[ENTERPRISE_USER]["manager"]["value"] == "42"
    assert "employeeNumber" not in user[ENTERPRISE_USER]
    removal = {"Operations": [{"op": "remove", "path": 'emails[type eq "home"]'}]}
    assert [e["type"] for e in ok(scim.patch(f"/Users/{user_id}", removal))["emails"]] == ["work"]


@pytest.mark.parametrize("bad_id", ["99999999999", "2147483648", "²", "٣", "-1", "1e3"])
def test_ids_no_user_or_group_can_have_are_404_not_errors(scim, bad_id):
    """Integer keys are 32-bit on PostgreSQL; binding a larger one must never reach it."""
    assert_scim_error(scim.get(f"/Users/{quote(bad_id)}"), 404)
    assert_scim_error(scim.get(f"/Groups/node-{quote(bad_id)}"), 404)
    listed = ok(scim.get("/Users?filter=" + quote(f'id eq "{bad_id}"')))
    assert listed["totalResults"] == 0


@pytest.mark.parametrize("path", ["scim-tokens/2147483648", "department-mappings/99999999999"])
def test_admin_ids_beyond_32_bits_are_404(client, admin, path):
    headers = {"Authorization": f"Bearer {login(client, admin)['access_token']}"}
    assert client.delete(f"/api/v1/hr/{path}", headers=headers).status_code == 404
