"""Territory shapes: GeoJSON in and out."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from geoalchemy2.shape import to_shape
from marshmallow import validate

from app.schemas import MAX_ID, PointSchema, Schema
from geo import polygons


def _geojson(territory: Any) -> dict[str, Any]:
    return polygons.to_geojson(to_shape(territory.geom))


GEOMETRY = {"description": "GeoJSON Polygon or MultiPolygon in WGS-84 (lon, lat)"}


class TerritorySchema(Schema):
    id = ma.fields.Integer()
    org_node_id = ma.fields.Integer()
    name = ma.fields.String()
    geometry = ma.fields.Function(_geojson, metadata=GEOMETRY)
    vertex_count = ma.fields.Integer()
    area_m2 = ma.fields.Float()
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()


class TerritoryUpdateSchema(Schema):
    org_node_id = ma.fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID))
    name = ma.fields.String(validate=validate.Length(min=1, max=200))
    geometry = ma.fields.Dict(metadata=GEOMETRY)


class TerritoryCreateSchema(TerritoryUpdateSchema):
    org_node_id = ma.fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID)
    )
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    geometry = ma.fields.Dict(required=True, metadata=GEOMETRY)


class RepairArgsSchema(Schema):
    repair = ma.fields.Boolean(
        load_default=False, metadata={"description": "Repair invalid rings instead of refusing"}
    )


class TerritoryListArgsSchema(Schema):
    org_node_id = ma.fields.Integer(validate=validate.Range(min=1, max=MAX_ID))


class TerritoryWriteSchema(Schema):
    territory = ma.fields.Nested(TerritorySchema)
    leads_moved = ma.fields.Integer(metadata={"description": "Leads whose territory changed"})
    leads_orphaned = ma.fields.Integer(metadata={"description": "Leads now in no territory"})


class ReassignmentSchema(Schema):
    leads_moved = ma.fields.Integer()
    leads_orphaned = ma.fields.Integer()


class LocateArgsSchema(PointSchema):
    pass


class LocatedNodeSchema(Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    path = ma.fields.String()


class TerritoryRefSchema(Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    org_node_id = ma.fields.Integer()


class LocateSchema(Schema):
    territory = ma.fields.Nested(TerritoryRefSchema)
    org_node = ma.fields.Nested(LocatedNodeSchema)
    lat = ma.fields.Float(metadata={"description": "WGS-84 latitude used"})
    lon = ma.fields.Float(metadata={"description": "WGS-84 longitude used"})


class FeatureCollectionSchema(Schema):
    class Meta:
        unknown = ma.INCLUDE

    type = ma.fields.String(required=True, validate=validate.Equal("FeatureCollection"))
    features = ma.fields.List(
        ma.fields.Dict(),
        required=True,
        validate=validate.Length(min=1, max=5_000),
        metadata={"description": "Features with properties {name, org_node_id}"},
    )


class ImportResultSchema(Schema):
    created = ma.fields.Integer()
    leads_moved = ma.fields.Integer()
    territory_ids = ma.fields.List(ma.fields.Integer())
