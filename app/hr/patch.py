"""SCIM PATCH (RFC 7644 §3.5.2) on a canonical document, as Okta and Entra send it.

Accepted beyond the letter of the RFC, because real IdPs send it: op names in any case
(`Replace`), no-path `add`/`replace` whose value keys are paths themselves (`name.givenName`,
full-URN enterprise keys), string booleans, a bare string for a complex attribute
(`manager`), `remove` with a value listing the members to remove, and a value filter that
matches nothing on `add`/`replace` (`emails[type eq "work"].value`): a new element is
created from the filter's equalities. Attributes of the RFC schemas we do not serve (title,
locale, ...) are ignored; unknown attribute names are a 400 invalidPath.
"""

from __future__ import annotations

import copy
from typing import Any

from app.hr.errors import InvalidPath, InvalidSyntax, InvalidValue, Mutability, NoTarget
from app.hr.filters import ENTERPRISE_USER, PatchPath, matches, parse_path, simple_equalities
from app.hr.schema import ENTERPRISE_ATTRIBUTES, GROUP_ATTRIBUTES, USER_ATTRIBUTES, coerce

PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
MAX_OPERATIONS = 1000
EXTERNAL_ID = {
    "name": "externalId",
    "type": "string",
    "multiValued": False,
    "mutability": "readWrite",
}
ALWAYS_IGNORED = frozenset({"id", "schemas", "meta"})
# RFC 7643 attributes of the User schemas that we accept and do not store.
UNSERVED = frozenset(
    {
        "nickname",
        "profileurl",
        "title",
        "usertype",
        "preferredlanguage",
        "locale",
        "timezone",
        "password",
        "ims",
        "photos",
        "addresses",
        "entitlements",
        "roles",
        "x509certificates",
        "costcenter",
        "division",
    }
)


def _definitions(kind: str, urn: str | None) -> dict[str, dict[str, Any]]:
    if kind == "Group":
        defs = GROUP_ATTRIBUTES
    else:
        defs = ENTERPRISE_ATTRIBUTES if urn == ENTERPRISE_USER else USER_ATTRIBUTES
    known = {d["name"].lower(): d for d in defs}
    if urn != ENTERPRISE_USER:
        known["externalid"] = EXTERNAL_ID
    return known


def _clean(document: dict[str, Any]) -> None:
    for key in list(document):
        value = document[key]
        if isinstance(value, dict):
            _clean(value)
        if isinstance(value, list):
            value[:] = [v for v in value if v not in (None, "", {})]
        if value in (None, "", [], {}):
            del document[key]


def _merge_into_list(current: list[Any], new: list[Any]) -> list[Any]:
    result = list(current)
    for item in new:
        if item not in result:
            result.append(item)
    return result


def _without(current: list[Any], removed: Any) -> list[Any]:
    """Entra's legacy removal: `remove members` with a value listing what to remove."""
    targets = removed if isinstance(removed, list) else [removed]
    keys = {str(t.get("value") if isinstance(t, dict) else t) for t in targets}
    return [c for c in current if str(c.get("value") if isinstance(c, dict) else c) not in keys]


def _apply_whole(op: str, container: dict[str, Any], d: dict[str, Any], value: Any) -> None:
    name = d["name"]
    current = container.get(name)
    if op == "remove":
        if value is not None and d["multiValued"] and isinstance(current, list):
            container[name] = _without(current, value)
        else:
            container.pop(name, None)
        return
    new = coerce(d, value, name)
    if new is None:
        if op == "replace":
            container.pop(name, None)
        return
    if d["multiValued"] and op == "add" and isinstance(current, list):
        container[name] = _merge_into_list(current, new)
    elif d["type"] == "complex" and not d["multiValued"] and isinstance(current, dict):
        container[name] = {**current, **new}
    else:
        container[name] = new


def _sub_definition(d: dict[str, Any], sub: str) -> dict[str, Any]:
    for candidate in d.get("subAttributes", []):
        if candidate["name"].lower() == sub.lower():
            return candidate
    raise InvalidPath(f"{d['name']} has no sub-attribute {sub!r}.")


def _set_sub(op: str, element: dict[str, Any], sub_def: dict[str, Any], value: Any) -> None:
    if op == "remove":
        element.pop(sub_def["name"], None)
        return
    new = coerce(sub_def, value, sub_def["name"])
    if new is None:
        element.pop(sub_def["name"], None)
    else:
        element[sub_def["name"]] = new


def _apply_filtered(
    op: str, container: dict[str, Any], d: dict[str, Any], path: PatchPath, value: Any
) -> None:
    name = d["name"]
    elements = [e for e in container.get(name) or [] if isinstance(e, dict)]
    hits = [e for e in elements if path.where is None or matches(e, path.where)]
    sub_def = _sub_definition(d, path.sub) if path.sub else None
    if op == "remove":
        if sub_def is None:
            container[name] = [e for e in elements if e not in hits]
        for element in hits if sub_def is not None else []:
            _set_sub(op, element, sub_def, value)
        return
    if not hits:
        seed = {} if path.where is None else simple_equalities(path.where)
        if seed is None:
            raise NoTarget(f"No value of {name} matches the filter.")
        element = coerce({**d, "multiValued": False}, seed, name) or {}
        elements.append(element)
        hits = [element]
    for element in hits:
        if sub_def is not None:
            _set_sub(op, element, sub_def, value)
        else:
            new = coerce({**d, "multiValued": False}, value, name) or {}
            if op == "replace":
                element.clear()
            element.update(new)
    container[name] = elements


def _apply_path(kind: str, document: dict[str, Any], op: str, raw: str, value: Any) -> None:
    path = parse_path(raw)
    if path.urn == ENTERPRISE_USER and kind == "Group":
        raise InvalidPath(f"{raw!r} is not a Group attribute.")
    if not path.attr:
        if not isinstance(value, dict) or op == "remove":
            if op == "remove":
                document.pop(ENTERPRISE_USER, None)
                return
            raise InvalidValue(f"The value for {raw!r} must be an object.")
        for key, inner in value.items():
            if key.lower() not in ALWAYS_IGNORED:
                _apply_path(kind, document, op, f"{path.urn}:{key}", inner)
        return
    if path.attr.lower() in ALWAYS_IGNORED or path.attr.lower() == "groups":
        raise Mutability(f"{path.attr} is read-only.")
    urn = path.urn
    d = _definitions(kind, urn).get(path.attr.lower())
    if d is None and kind == "User" and urn is None:
        urn = ENTERPRISE_USER  # `department` without its URN: still the extension's
        d = _definitions(kind, urn).get(path.attr.lower())
    if d is None:
        if path.attr.lower() in UNSERVED:
            return
        raise InvalidPath(f"{raw!r} is not an attribute of {kind}.")
    container = document.setdefault(ENTERPRISE_USER, {}) if urn else document
    if path.where is not None or (path.sub and d["multiValued"]):
        _apply_filtered(op, container, d, path, value)
    elif path.sub:
        if d["type"] != "complex":
            raise InvalidPath(f"{d['name']} has no sub-attributes.")
        element = container.get(d["name"])
        element = element if isinstance(element, dict) else {}
        _set_sub(op, element, _sub_definition(d, path.sub), value)
        container[d["name"]] = element
    else:
        _apply_whole(op, container, d, value)


def _apply_no_path(kind: str, document: dict[str, Any], op: str, value: Any) -> None:
    if op == "remove":
        raise NoTarget("A remove operation needs a path.")
    if not isinstance(value, dict):
        raise InvalidValue("Without a path, the value must be an object of attributes.")
    for key, inner in value.items():
        if key.lower() in ALWAYS_IGNORED or key.lower() == "groups":
            continue  # Okta echoes id and schemas: read-only, ignored
        _apply_path(kind, document, op, key, inner)


def operations(body: Any) -> list[tuple[str, str | None, Any]]:
    """Validate a PatchOp message: [(op, path, value)] with op lower-cased."""
    if not isinstance(body, dict):
        raise InvalidSyntax("The body must be a PatchOp object.")
    ops = next((v for k, v in body.items() if k.lower() == "operations"), None)
    if not isinstance(ops, list) or not ops:
        raise InvalidSyntax("A PatchOp needs a non-empty 'Operations' list.")
    if len(ops) > MAX_OPERATIONS:
        raise InvalidSyntax(f"At most {MAX_OPERATIONS} operations per request.")
    result = []
    for raw in ops:
        if not isinstance(raw, dict):
            raise InvalidSyntax("Each operation must be an object.")
        fields = {k.lower(): v for k, v in raw.items()}
        op = fields.get("op")
        if not isinstance(op, str) or op.lower() not in ("add", "replace", "remove"):
            raise InvalidSyntax(f"Unknown operation {op!r}; use add, replace or remove.")
        path = fields.get("path")
        if path is not None and (not isinstance(path, str) or not path.strip()):
            raise InvalidSyntax("'path' must be a non-empty string.")
        if op.lower() != "remove" and "value" not in fields:
            raise InvalidSyntax(f"The {op} operation needs a value.")
        result.append((op.lower(), path, fields.get("value")))
    return result


def apply(kind: str, document: dict[str, Any], body: Any) -> dict[str, Any]:
    """The document after every operation of the PatchOp `body` (the input is not changed)."""
    result = copy.deepcopy(document)
    for op, path, value in operations(body):
        if path is None:
            _apply_no_path(kind, result, op, value)
        else:
            _apply_path(kind, result, op, path, value)
        _clean(result)
    return result
