"""The SCIM attributes Waypoint serves (published on /Schemas) and documents built from them.

One definition per attribute, in RFC 7643 §7 form, drives three things: discovery, turning
what an IdP sent into a canonical document (attribute names fixed, Entra's string booleans
and bare manager ids coerced, unknown and read-only attributes dropped), and
`attributes`/`excludedAttributes` projection.
"""

from __future__ import annotations

import copy
from typing import Any

from app.hr.errors import InvalidValue
from app.hr.filters import CORE_GROUP, CORE_USER, ENTERPRISE_USER, strip_urn


def attr(
    name: str,
    kind: str = "string",
    *,
    multi: bool = False,
    required: bool = False,
    mutability: str = "readWrite",
    returned: str = "default",
    uniqueness: str = "none",
    case_exact: bool = False,
    sub: list[dict[str, Any]] | None = None,
    canonical: list[str] | None = None,
    references: list[str] | None = None,
    description: str = "",
) -> dict[str, Any]:
    """An attribute definition as /Schemas publishes it."""
    definition: dict[str, Any] = {
        "name": name,
        "type": kind,
        "multiValued": multi,
        "description": description or name,
        "required": required,
        "caseExact": case_exact,
        "mutability": mutability,
        "returned": returned,
        "uniqueness": uniqueness,
    }
    if sub is not None:
        definition["subAttributes"] = sub
    if canonical:
        definition["canonicalValues"] = canonical
    if references:
        definition["referenceTypes"] = references
    return definition


def _multi(name: str, types: list[str], description: str) -> dict[str, Any]:
    return attr(
        name,
        "complex",
        multi=True,
        description=description,
        sub=[
            attr("value", description=f"The {name} value"),
            attr("type", canonical=types, description="A label: " + ", ".join(types)),
            attr("primary", "boolean", description="The primary value"),
        ],
    )


USER_ATTRIBUTES = [
    attr(
        "userName",
        required=True,
        uniqueness="server",
        description="Unique login name from HR; case-insensitive",
    ),
    attr(
        "name",
        "complex",
        description="The person's name",
        sub=[attr("formatted"), attr("familyName"), attr("givenName")],
    ),
    attr("displayName", description="Shown in Waypoint; defaults to given and family name"),
    # Required here because "no value" means nothing for an account's state; a request
    # without it is still accepted (POST: active, PUT/PATCH: unchanged).
    attr(
        "active",
        "boolean",
        required=True,
        description="False deprovisions: sessions end, leads leave; true restores login",
    ),
    _multi("emails", ["work", "home", "other"], "Email addresses; the primary is stored"),
    _multi(
        "phoneNumbers",
        ["work", "mobile", "home", "other"],
        "Phone numbers; the primary is stored and is a login",
    ),
    attr(
        "groups",
        "complex",
        multi=True,
        mutability="readOnly",
        description="The org node (Group) the person belongs to",
        sub=[
            attr("value", mutability="readOnly"),
            attr("$ref", "reference", mutability="readOnly", references=["Group"]),
            attr("display", mutability="readOnly"),
        ],
    ),
]

ENTERPRISE_ATTRIBUTES = [
    attr("employeeNumber", uniqueness="server", description="Employee number; a login"),
    attr("organization", description="Company; with department, picks the org node"),
    attr("department", description="Department; mapped to an org node"),
    attr(
        "manager",
        "complex",
        description="The person's manager (receives leads when the node says so)",
        sub=[
            attr("value", description="The manager's SCIM id"),
            attr("$ref", "reference", references=["User"]),
        ],
    ),
]

GROUP_ATTRIBUTES = [
    attr("displayName", required=True, description="The org node's name"),
    attr(
        "members",
        "complex",
        multi=True,
        description="Staff whose org node this is",
        sub=[
            attr("value", mutability="immutable"),
            attr("$ref", "reference", mutability="immutable", references=["User", "Group"]),
            attr("type", mutability="immutable", canonical=["User", "Group"]),
        ],
    ),
]

SCHEMA_ATTRIBUTES = {
    CORE_USER: USER_ATTRIBUTES,
    ENTERPRISE_USER: ENTERPRISE_ATTRIBUTES,
    CORE_GROUP: GROUP_ATTRIBUTES,
}


def _by_name(definitions: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["name"].lower(): d for d in definitions}


def _coerce_scalar(definition: dict[str, Any], value: Any, where: str) -> Any:
    kind = definition["type"]
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"  # Entra sends "True"/"False"
        raise InvalidValue(f"{where} must be a boolean.")
    if isinstance(value, (bool, dict, list)):
        raise InvalidValue(f"{where} must be a string.")
    if isinstance(value, (int, float)):
        return str(value)
    if not isinstance(value, str):
        raise InvalidValue(f"{where} must be a string.")
    return value


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def coerce(definition: dict[str, Any], value: Any, where: str) -> Any:
    """One attribute's value in canonical form (None when unassigned)."""
    if _is_empty(value):
        return None
    if definition["multiValued"]:
        items = value if isinstance(value, list) else [value]
        single = {**definition, "multiValued": False}
        coerced = [coerce(single, item, f"{where}[]") for item in items]
        return [item for item in coerced if item is not None] or None
    if definition["type"] != "complex":
        return _coerce_scalar(definition, value, where)
    if not isinstance(value, dict):
        if "value" not in _by_name(definition["subAttributes"]):
            raise InvalidValue(f"{where} must be an object.")
        value = {"value": value}  # Entra sends manager as a bare id
    return canonical_attributes(definition["subAttributes"], value, where) or None


def canonical_attributes(
    definitions: list[dict[str, Any]], document: dict[str, Any], where: str = ""
) -> dict[str, Any]:
    """Known, writable attributes with canonical names and coerced values."""
    known = _by_name(definitions)
    result: dict[str, Any] = {}
    for key, value in document.items():
        definition = known.get(key.lower())
        if definition is None or definition["mutability"] == "readOnly":
            continue  # unknown (e.g. title, locale) or read-only (groups): ignored
        coerced = coerce(definition, value, f"{where}{definition['name']}")
        if coerced is not None:
            result[definition["name"]] = coerced
    return result


def canonical_user(body: dict[str, Any]) -> dict[str, Any]:
    """A User document as stored: core attributes, externalId, the enterprise extension."""
    flat: dict[str, Any] = {}
    extension: dict[str, Any] = {}
    for key, value in body.items():
        urn, rest = strip_urn(key)
        if urn == ENTERPRISE_USER and not rest:
            if not isinstance(value, dict):
                raise InvalidValue(f"{ENTERPRISE_USER} must be an object.")
            extension.update(value)
        elif urn == ENTERPRISE_USER:
            extension[rest] = value
        else:
            flat[rest if urn else key] = value
    document = canonical_attributes(USER_ATTRIBUTES, flat)
    external = _external_id(flat)
    if external is not None:
        document["externalId"] = external
    enterprise = canonical_attributes(ENTERPRISE_ATTRIBUTES, extension, "enterprise:")
    if enterprise:
        document[ENTERPRISE_USER] = enterprise
    return document


def canonical_group(body: dict[str, Any]) -> dict[str, Any]:
    """A Group document: displayName, members, externalId."""
    flat = {strip_urn(key)[1] or key: value for key, value in body.items()}
    document = canonical_attributes(GROUP_ATTRIBUTES, flat)
    external = _external_id(flat)
    if external is not None:
        document["externalId"] = external
    return document


def _external_id(flat: dict[str, Any]) -> str | None:
    value = next((v for k, v in flat.items() if k.lower() == "externalid"), None)
    if _is_empty(value):
        return None
    return str(_coerce_scalar({"type": "string"}, value, "externalId"))


def primary(values: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    """The element marked primary, else the first one."""
    if not values:
        return None
    return next((v for v in values if v.get("primary") is True), values[0])


def _split(path: str) -> tuple[str, str, str | None]:
    urn, rest = strip_urn(path.strip())
    if urn == ENTERPRISE_USER and not rest:
        return ENTERPRISE_USER, "", None
    name, _, sub = rest.partition(".")
    return urn or "", name.lower(), sub.lower() or None


def _pick(document: dict[str, Any], wanted: list[tuple[str, str, str | None]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in document.items():
        if key in ("id", "schemas"):
            result[key] = value
            continue
        if key == ENTERPRISE_USER:
            inner = [(ENTERPRISE_USER, n, s) for u, n, s in wanted if u == ENTERPRISE_USER and n]
            if any(u == ENTERPRISE_USER and not n for u, n, _ in wanted):
                result[key] = value
            elif inner:
                picked = _pick(value, [("", n, s) for _, n, s in inner])
                if picked:
                    result[key] = picked
            continue
        subs = [s for u, n, s in wanted if u != ENTERPRISE_USER and n == key.lower()]
        if not subs:
            continue
        if None in subs or not isinstance(value, (dict, list)):
            result[key] = value
        elif isinstance(value, dict):
            result[key] = {k: v for k, v in value.items() if k.lower() in subs}
        else:
            result[key] = [{k: v for k, v in i.items() if k.lower() in subs} for i in value]
    return result


def _drop(document: dict[str, Any], unwanted: list[tuple[str, str, str | None]]) -> None:
    for urn, name, sub in unwanted:
        target = document.get(ENTERPRISE_USER, {}) if urn == ENTERPRISE_USER else document
        if urn == ENTERPRISE_USER and not name:
            document.pop(ENTERPRISE_USER, None)
            continue
        key = next((k for k in target if k.lower() == name), None)
        if key is None or key in ("id", "schemas"):
            continue
        if sub is None:
            target.pop(key)
        elif isinstance(target[key], dict):
            target[key] = {k: v for k, v in target[key].items() if k.lower() != sub}
        elif isinstance(target[key], list):
            target[key] = [{k: v for k, v in i.items() if k.lower() != sub} for i in target[key]]
    if document.get(ENTERPRISE_USER) == {}:
        document.pop(ENTERPRISE_USER)


def project(
    document: dict[str, Any], attributes: list[str] | None, excluded: list[str] | None
) -> dict[str, Any]:
    """Apply `attributes` (only these, plus id and schemas) or `excludedAttributes`."""
    if attributes:
        return _pick(document, [_split(a) for a in attributes])
    result = copy.deepcopy(document)
    if excluded:
        _drop(result, [_split(a) for a in excluded])
    return result
