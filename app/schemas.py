"""The project's marshmallow base schema: unknown fields are an error, never silently dropped."""

from __future__ import annotations

import marshmallow as ma
import marshmallow.validate


class Schema(ma.Schema):
    """Base schema for request and response bodies."""

    class Meta:
        unknown = ma.RAISE


DATUMS = ("wgs84", "gcj02", "bd09")
# Integer keys are 32-bit on PostgreSQL: a larger id names nothing, and binding it fails.
MAX_ID = 2**31 - 1


def parse_id(text: object) -> int | None:
    """The integer key written in `text`, or None: ASCII digits only, at most MAX_ID.

    `str.isdigit()` alone admits "²" (which int() refuses) and ids no column can hold.
    """
    value = str(text)
    if not (value.isascii() and value.isdigit()) or len(value) > 10:
        return None
    number = int(value)
    return number if number <= MAX_ID else None


class PointSchema(Schema):
    """A coordinate with the datum it was measured in (stored as WGS-84)."""

    lat = ma.fields.Float(
        required=True, allow_nan=False, validate=ma.validate.Range(min=-90, max=90)
    )
    lon = ma.fields.Float(
        required=True, allow_nan=False, validate=ma.validate.Range(min=-180, max=180)
    )
    datum = ma.fields.String(
        load_default="wgs84",
        validate=ma.validate.OneOf(DATUMS),
        metadata={"description": "wgs84 (GPS), gcj02 (Amap/Tencent), bd09 (Baidu)"},
    )


class PageArgsSchema(Schema):
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=500))
    offset = ma.fields.Integer(load_default=0, validate=ma.validate.Range(min=0, max=10_000_000))
