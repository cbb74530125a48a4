"""Helpers shared by SCIM Users and Groups: meta, versions, preconditions, paging."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.hr.errors import PreconditionFailed

LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
MAX_RESULTS = 200


def iso(moment: datetime) -> str:
    """xsd:dateTime in UTC, e.g. 2026-11-23T08:00:00Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def version_of(document: dict[str, Any]) -> str:
    """A weak ETag derived from the representation (changes made outside SCIM count too)."""
    body = {k: v for k, v in document.items() if k != "meta"}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
    return f'W/"{digest[:20]}"'


def finish_meta(
    document: dict[str, Any],
    *,
    resource_type: str,
    created: datetime,
    modified: datetime,
    location: str,
) -> dict[str, Any]:
    """Add `meta` (with its version) as the last member."""
    document["meta"] = {
        "resourceType": resource_type,
        "created": iso(created),
        "lastModified": iso(max(created, modified)),
        "location": location,
    }
    document["meta"]["version"] = version_of(document)
    return document


def check_if_match(document: dict[str, Any], if_match: str | None) -> None:
    """Raise PreconditionFailed (412) when If-Match names another version."""
    if not if_match or if_match.strip() == "*":
        return
    current = document["meta"]["version"]
    tags = [tag.strip() for tag in if_match.split(",")]
    weak = current.removeprefix("W/")
    if not any(tag == current or tag.removeprefix("W/") == weak for tag in tags):
        raise PreconditionFailed(f"The resource is at version {current}, not {if_match}.")


@dataclass(frozen=True)
class Page:
    """startIndex/count as the RFC defines them (1-based; count capped at MAX_RESULTS)."""

    start_index: int = 1
    count: int = MAX_RESULTS

    @classmethod
    def from_args(cls, start_index: Any, count: Any) -> Page:
        """Lenient parsing: startIndex < 1 is 1, negative count is 0 (RFC 7644 §3.4.2.4)."""

        def number(raw: Any, default: int) -> int:
            try:
                return int(raw) if raw not in (None, "") else default
            except (TypeError, ValueError):
                from app.hr.errors import InvalidValue

                raise InvalidValue(f"{raw!r} is not an integer.") from None

        start = max(1, number(start_index, 1))
        size = min(max(0, number(count, MAX_RESULTS)), MAX_RESULTS)
        return cls(start, size)


def list_response(total: int, page: Page, resources: list[dict[str, Any]]) -> dict[str, Any]:
    """A ListResponse message."""
    return {
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": page.start_index,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }
