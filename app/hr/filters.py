"""SCIM filter expressions (RFC 7644 §3.4.2.2) and attribute paths: parse, and match dicts.

`parse_filter('userName eq "a" and (active eq true or emails[type eq "work"])')` gives a small
tree of frozen dataclasses. Attribute names come back lower-cased and without a schema URN
prefix (`emails.value`, `employeenumber`), so callers map them with one dictionary. Operator
and attribute names are case-insensitive, as the RFC says.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from app.hr.errors import InvalidFilter, InvalidPath

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
SCHEMA_URNS = (ENTERPRISE_USER, CORE_USER, CORE_GROUP)

COMPARE_OPS = frozenset({"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"})
MAX_FILTER_LENGTH = 2000
MAX_TERMS = 50

_TOKEN = re.compile(
    r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<punct>[()\[\]])|(?P<word>[^\s()\[\]"]+))'
)
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?$")
_ATTR = re.compile(r"[A-Za-z$][\w$-]*(\.[A-Za-z$][\w$-]*)?$")


@dataclass(frozen=True)
class Compare:
    attr: str
    op: str
    value: Any


@dataclass(frozen=True)
class Present:
    attr: str


@dataclass(frozen=True)
class And:
    left: Node
    right: Node


@dataclass(frozen=True)
class Or:
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    inner: Node


Node = Compare | Present | And | Or | Not


def strip_urn(name: str) -> tuple[str | None, str]:
    """Split a known schema URN prefix off an attribute path: (urn or None, rest)."""
    lowered = name.lower()
    for urn in SCHEMA_URNS:
        if lowered == urn.lower():
            return urn, ""
        if lowered.startswith(urn.lower() + ":"):
            return urn, name[len(urn) + 1 :]
    return None, name


def attr_key(name: str) -> str:
    """Lower-cased attribute path without schema URN, e.g. `emails.value`."""
    _urn, rest = strip_urn(name)
    if not _ATTR.match(rest):
        raise InvalidFilter(f"{name!r} is not an attribute path.")
    return rest.lower()


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise InvalidFilter(f"Cannot read the filter at position {position}.")
        kind = match.lastgroup or "word"
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        if len(text) > MAX_FILTER_LENGTH:
            raise InvalidFilter("The filter is too long.")
        self.tokens = _tokens(text)
        self.position = 0
        self.terms = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise InvalidFilter("The filter ends too early.")
        self.position += 1
        return token

    def keyword(self, *words: str) -> bool:
        token = self.peek()
        if token and token[0] == "word" and token[1].lower() in words:
            self.position += 1
            return True
        return False

    def expect(self, punct: str) -> None:
        kind, text = self.take()
        if kind != "punct" or text != punct:
            raise InvalidFilter(f"Expected {punct!r}, found {text!r}.")

    def parse(self) -> Node:
        node = self.or_expr(prefix="")
        if self.peek() is not None:
            raise InvalidFilter(f"Unexpected {self.peek()[1]!r} in the filter.")  # type: ignore[index]
        return node

    def or_expr(self, prefix: str) -> Node:
        node = self.and_expr(prefix)
        while self.keyword("or"):
            node = Or(node, self.and_expr(prefix))
        return node

    def and_expr(self, prefix: str) -> Node:
        node = self.unary(prefix)
        while self.keyword("and"):
            node = And(node, self.unary(prefix))
        return node

    def unary(self, prefix: str) -> Node:
        if self.keyword("not"):
            self.expect("(")
            inner = self.or_expr(prefix)
            self.expect(")")
            return Not(inner)
        token = self.peek()
        if token == ("punct", "("):
            self.take()
            inner = self.or_expr(prefix)
            self.expect(")")
            return inner
        return self.attr_expr(prefix)

    def attr_expr(self, prefix: str) -> Node:
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise InvalidFilter("The filter has too many terms.")
        kind, text = self.take()
        if kind != "word":
            raise InvalidFilter(f"Expected an attribute name, found {text!r}.")
        attr = prefix + attr_key(text)
        if self.peek() == ("punct", "["):
            if prefix:
                raise InvalidFilter("Value filters cannot nest.")
            self.take()
            inner = self.or_expr(prefix=attr + ".")
            self.expect("]")
            return inner
        kind, op = self.take()
        op = op.lower()
        if kind != "word" or (op != "pr" and op not in COMPARE_OPS):
            raise InvalidFilter(f"{op!r} is not a filter operator.")
        if op == "pr":
            return Present(attr)
        return Compare(attr, op, self.value())

    def value(self) -> Any:
        kind, text = self.take()
        if kind == "string":
            try:
                return json.loads(text)
            except ValueError:
                raise InvalidFilter(f"Bad string {text!r} in the filter.") from None
        lowered = text.lower()
        if kind == "word" and lowered in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[lowered]
        if kind == "word" and _NUMBER.match(text):
            return float(text) if any(c in text for c in ".eE") else int(text)
        raise InvalidFilter(f"{text!r} is not a filter value (strings need double quotes).")


def parse_filter(text: str) -> Node:
    """Parse a filter expression; raises InvalidFilter (400 invalidFilter)."""
    if not text or not text.strip():
        raise InvalidFilter("The filter is empty.")
    return _Parser(text).parse()


@dataclass(frozen=True)
class PatchPath:
    """A PATCH target: `attr[.sub]`, or `attr[filter][.sub]`, with its schema URN if given."""

    urn: str | None
    attr: str
    sub: str | None = None
    where: Node | None = None


def parse_path(text: str) -> PatchPath:
    """Parse a PATCH `path`; raises InvalidPath (400 invalidPath)."""
    urn, rest = strip_urn(text.strip())
    where: Node | None = None
    sub: str | None = None
    bracket = rest.find("[")
    if bracket >= 0:
        close = rest.rfind("]")
        if close < bracket:
            raise InvalidPath(f"{text!r} has an unclosed '['.")
        head, inner, tail = rest[:bracket], rest[bracket + 1 : close], rest[close + 1 :]
        try:
            where = _Parser(inner).parse()
        except InvalidFilter as exc:
            raise InvalidPath(f"Bad value filter in {text!r}: {exc.detail}") from None
        if tail and not tail.startswith("."):
            raise InvalidPath(f"{text!r}: expected '.subAttribute' after ']'.")
        sub = tail[1:] or None
        rest = head
    elif "." in rest:
        rest, sub = rest.split(".", 1)
    if urn is not None and not rest:
        return PatchPath(urn, "")
    if not _ATTR.match(rest) or (sub is not None and not _ATTR.match(sub)) or "." in rest:
        raise InvalidPath(f"{text!r} is not an attribute path.")
    return PatchPath(urn, rest, sub, where)


def _compare(actual: Any, op: str, expected: Any) -> bool:
    if isinstance(actual, str) and isinstance(expected, str):
        actual, expected = actual.lower(), expected.lower()
    if op == "eq":
        return bool(actual == expected)
    if op == "ne":
        return bool(actual != expected)
    if actual is None or expected is None:
        return False
    if op in ("co", "sw", "ew"):
        if not isinstance(actual, str) or not isinstance(expected, str):
            return False
        return {"co": expected in actual, "sw": actual.startswith(expected)}.get(
            op, actual.endswith(expected)
        )
    try:
        return bool(
            {
                "gt": actual > expected,
                "ge": actual >= expected,
                "lt": actual < expected,
                "le": actual <= expected,
            }[op]
        )
    except TypeError:
        return False


def _lookup(element: dict[str, Any], attr: str) -> Any:
    value: Any = element
    for part in attr.split("."):
        if not isinstance(value, dict):
            return None
        value = next((v for k, v in value.items() if k.lower() == part), None)
    return value


def matches(element: dict[str, Any], node: Node, prefix: str = "") -> bool:
    """Evaluate a parsed filter on one dict (sub-attributes relative to `prefix.`)."""
    if isinstance(node, And):
        return matches(element, node.left, prefix) and matches(element, node.right, prefix)
    if isinstance(node, Or):
        return matches(element, node.left, prefix) or matches(element, node.right, prefix)
    if isinstance(node, Not):
        return not matches(element, node.inner, prefix)
    attr = node.attr.removeprefix(prefix)
    value = _lookup(element, attr)
    if isinstance(node, Present):
        return value not in (None, "", [], {})
    return _compare(value, node.op, node.value)


def simple_equalities(node: Node, prefix: str = "") -> dict[str, Any] | None:
    """`type eq "work" and primary eq true` as {"type": "work", ...}; None if not that shape."""
    if isinstance(node, Compare) and node.op == "eq":
        return {node.attr.removeprefix(prefix): node.value}
    if isinstance(node, And):
        left = simple_equalities(node.left, prefix)
        right = simple_equalities(node.right, prefix)
        if left is not None and right is not None:
            return {**left, **right}
    return None
