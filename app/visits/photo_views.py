"""HTTP face of visit photos (routes on the visits Blueprint)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from flask_smorest.fields import Upload
from marshmallow import validate

from app.auth.guard import current_principal
from app.org.models import SALES_ROLES
from app.schemas import Schema
from app.visits import photos
from app.visits.schemas import CLIENT_ID, FindingSchema
from app.visits.views import blp
from app.web import db_session
from geo.spoof import PhotoSource


class PhotoFormSchema(Schema):
    photo_id = ma.fields.String(
        required=True,
        validate=CLIENT_ID,
        metadata={"description": "Client-generated id; a retry with the same bytes is a 200"},
    )
    source = ma.fields.String(
        load_default=PhotoSource.UNKNOWN.value,
        validate=validate.OneOf([s.value for s in PhotoSource]),
        metadata={"description": "camera (the app's camera screen), album (gallery), unknown"},
    )
    taken_at = ma.fields.AwareDateTime(
        metadata={
            "description": "The app's own capture time; informational, not stored "
            "(the EXIF time in the file is the evidence)"
        }
    )


class PhotoFileSchema(Schema):
    file = Upload(
        required=True,
        metadata={"description": "JPEG or PNG; the type is read from the content"},
    )


class PhotoUploadFormSchema(PhotoFormSchema, PhotoFileSchema):
    """The multipart body as documented: form fields and the file in one request body."""


# flask-smorest documents only one body location per view (its issue #46), so the form and
# file parts are parsed by webargs directly and the combined body is documented by hand.
MULTIPART_BODY = {
    "required": True,
    "content": {"multipart/form-data": {"schema": PhotoUploadFormSchema}},
}


class PhotoSchema(Schema):
    id = ma.fields.String()
    visit_id = ma.fields.String()
    rep_id = ma.fields.Integer()
    sha256 = ma.fields.String(metadata={"description": "SHA-256 of the uploaded bytes"})
    phash = ma.fields.String(
        allow_none=True, metadata={"description": "Perceptual hash (16 hex digits)"}
    )
    source = ma.fields.String()
    content_type = ma.fields.String()
    size_bytes = ma.fields.Integer()
    width = ma.fields.Integer()
    height = ma.fields.Integer()
    exif_taken_at = ma.fields.AwareDateTime(allow_none=True)
    exif_lat = ma.fields.Float(
        allow_none=True,
        metadata={"description": "null when the visit's location was not collected"},
    )
    exif_lon = ma.fields.Float(allow_none=True)
    uploaded_at = ma.fields.AwareDateTime()


class VisitVerdictSchema(Schema):
    id = ma.fields.String()
    verdict = ma.fields.String(attribute="final_verdict")
    auto_verdict = ma.fields.String(attribute="verdict")
    score = ma.fields.Integer()
    findings = ma.fields.List(ma.fields.Nested(FindingSchema))


class PhotoUploadSchema(Schema):
    photo = ma.fields.Nested(PhotoSchema)
    visit = ma.fields.Nested(VisitVerdictSchema, metadata={"description": "After re-assessment"})


def policy() -> photos.PhotoPolicy:
    settings = current_app.config["WAYPOINT"]
    return photos.PhotoPolicy(root=settings.photo_dir, max_bytes=settings.photo_max_bytes)


@blp.route("/<string:visit_id>/photos")
class VisitPhotos(MethodView):
    @blp.login_required(*SALES_ROLES)
    @blp.response(200, PhotoSchema(many=True))
    @blp.problems(404)
    def get(self, visit_id: str) -> Any:
        """The photos of a visit, in upload order."""
        return photos.list_photos(db_session(), current_principal(), visit_id=visit_id)

    @blp.login_required(*SALES_ROLES)
    @blp.doc(requestBody=MULTIPART_BODY)
    @blp.ARGUMENTS_PARSER.use_args(PhotoFormSchema, location="form")
    @blp.ARGUMENTS_PARSER.use_args(PhotoFileSchema, location="files")
    @blp.response(201, PhotoUploadSchema)
    @blp.alt_response(200, schema=PhotoUploadSchema, description="Already stored (retried)")
    @blp.problems(403, 404, 409, 413, 415, 422, 507)
    def post(self, photo_in: dict[str, Any], files: dict[str, Any], visit_id: str) -> Any:
        """Add a photo (multipart/form-data) to your visit; the visit is re-assessed."""
        photo, visit, created = photos.add_photo(
            db_session(),
            current_principal(),
            visit_id=visit_id,
            photo_in=photo_in,
            file=files["file"].stream,
            policy=policy(),
        )
        return {"photo": photo, "visit": visit}, 201 if created else 200
