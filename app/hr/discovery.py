"""SCIM discovery documents (RFC 7644 §4): what this service provider supports, truthfully."""

from __future__ import annotations

from typing import Any

from app.hr.filters import CORE_GROUP, CORE_USER, ENTERPRISE_USER
from app.hr.resources import MAX_RESULTS
from app.hr.schema import SCHEMA_ATTRIBUTES, attr

SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"


def _supported(flag: bool) -> dict[str, Any]:
    return {"supported": flag}


def service_provider_config(base: str) -> dict[str, Any]:
    """PATCH, filter (maxResults) and ETags yes; bulk, sort and changePassword no."""
    return {
        "schemas": [SPC_SCHEMA],
        "documentationUri": "https://waypoint.dev/docs/hr",
        "patch": _supported(True),
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_RESULTS},
        "changePassword": _supported(False),
        "sort": _supported(False),
        "etag": _supported(True),
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "A SCIM token created by a Waypoint admin "
                "(POST /api/v1/hr/scim-tokens or `flask hr create-token`).",
                "primary": True,
            }
        ],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": f"{base}/ServiceProviderConfig",
        },
    }


def resource_types(base: str) -> list[dict[str, Any]]:
    """User (with the enterprise extension) and Group."""
    types = [
        ("User", "/Users", CORE_USER, "Staff accounts", [ENTERPRISE_USER]),
        ("Group", "/Groups", CORE_GROUP, "Org nodes; members are their staff", []),
    ]
    return [
        {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": name,
            "name": name,
            "endpoint": endpoint,
            "description": description,
            "schema": schema,
            "schemaExtensions": [{"schema": e, "required": False} for e in extensions],
            "meta": {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/{name}"},
        }
        for name, endpoint, schema, description, extensions in types
    ]


def _meta_schema_attributes() -> dict[str, list[dict[str, Any]]]:
    read = {"mutability": "readOnly"}
    scheme_subs = [attr(n, **read) for n in ("type", "name", "description", "specUri")]
    scheme_subs.append(attr("documentationUri", "reference", references=["external"], **read))
    spc = [
        attr("documentationUri", "reference", references=["external"], **read),
        *[
            attr(n, "complex", required=True, sub=[attr("supported", "boolean", **read)], **read)
            for n in ("patch", "changePassword", "sort", "etag")
        ],
        attr(
            "bulk",
            "complex",
            required=True,
            sub=[
                attr("supported", "boolean", **read),
                attr("maxOperations", "integer", **read),
                attr("maxPayloadSize", "integer", **read),
            ],
            **read,
        ),
        attr(
            "filter",
            "complex",
            required=True,
            sub=[attr("supported", "boolean", **read), attr("maxResults", "integer", **read)],
            **read,
        ),
        attr("authenticationSchemes", "complex", multi=True, sub=scheme_subs, **read),
    ]
    resource_type = [
        attr("name", required=True, **read),
        attr("description", **read),
        attr("endpoint", "reference", required=True, references=["uri"], **read),
        attr("schema", "reference", required=True, references=["uri"], case_exact=True, **read),
        attr(
            "schemaExtensions",
            "complex",
            multi=True,
            sub=[
                attr("schema", "reference", required=True, references=["uri"], **read),
                attr("required", "boolean", required=True, **read),
            ],
            **read,
        ),
    ]
    attribute_subs = [
        attr("name", required=True, **read),
        attr("type", required=True, **read),
        attr("multiValued", "boolean", required=True, **read),
        attr("description", **read),
        attr("required", "boolean", **read),
        attr("canonicalValues", multi=True, **read),
        attr("caseExact", "boolean", **read),
        attr("mutability", **read),
        attr("returned", **read),
        attr("uniqueness", **read),
        attr("referenceTypes", multi=True, **read),
    ]
    schema = [
        attr("name", **read),
        attr("description", **read),
        attr(
            "attributes",
            "complex",
            multi=True,
            required=True,
            sub=[
                *attribute_subs,
                attr("subAttributes", "complex", multi=True, sub=list(attribute_subs), **read),
            ],
            **read,
        ),
    ]
    return {SPC_SCHEMA: spc, RESOURCE_TYPE_SCHEMA: resource_type, SCHEMA_SCHEMA: schema}


_NAMES = {
    CORE_USER: ("User", "Staff account"),
    ENTERPRISE_USER: ("EnterpriseUser", "Enterprise user (employee number, department, manager)"),
    CORE_GROUP: ("Group", "Org node"),
    SPC_SCHEMA: ("ServiceProviderConfig", "Service provider configuration"),
    RESOURCE_TYPE_SCHEMA: ("ResourceType", "Resource type"),
    SCHEMA_SCHEMA: ("Schema", "Schema"),
}


def schemas(base: str) -> list[dict[str, Any]]:
    """Every schema served, with the attributes Waypoint actually stores."""
    definitions = {**SCHEMA_ATTRIBUTES, **_meta_schema_attributes()}
    return [
        {
            "schemas": [SCHEMA_SCHEMA],
            "id": urn,
            "name": _NAMES[urn][0],
            "description": _NAMES[urn][1],
            "attributes": attributes,
            "meta": {"resourceType": "Schema", "location": f"{base}/Schemas/{urn}"},
        }
        for urn, attributes in definitions.items()
    ]
