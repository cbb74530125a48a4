"""Photo evidence for visits: checked, hashed, read for EXIF, stored by content hash.

Rules:
- Only the rep who checked in adds photos. The photo id is the client's: the same id with the
  same bytes returns the stored record; with other bytes (or on another visit) it is a 409.
- The bytes decide the type (JPEG or PNG), never the file name or Content-Type, and the
  stored name derives from a SHA-256 only, so no client text reaches the file system.
- Size, pixel count and decodability are checked before anything is written.
- Files are written atomically (temp file in the same directory, then `os.replace`) and
  shared by identical content; a failing disk is a 507 with no row and no temp file left.
- When the visit's location was not collected, the EXIF GPS is dropped and the stored copy
  keeps no Exif/XMP metadata (location is personal data). `sha256` is always the hash of the
  bytes the client sent (reuse and retries compare those); `storage_path` names the stored
  bytes by their own hash.
- Each new photo re-assesses the visit: reuse, album picks and EXIF disagreements become
  findings, and the lead's verified activity follows the new verdict.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import os
import re
import tempfile
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import imagehash
import sqlalchemy as sa
from PIL import ExifTags, Image
from sqlalchemy.orm import Session

from app.db import utcnow
from app.errors import Conflict, Forbidden, Problem
from app.leads.models import Lead
from app.org.models import Staff
from app.org.scope import Principal
from app.visits import assessment, service
from app.visits.models import Visit, VisitPhoto

log = logging.getLogger(__name__)

MAX_PIXELS = 40_000_000
_CHUNK = 64 * 1024
_OFFSET = re.compile(r"([+-])(\d{2}):(\d{2})")
_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError)


class PhotoTooLarge(Problem):
    status = 413
    code = "photo.too_large"
    title = "The photo is larger than the upload limit"


class UnsupportedPhotoType(Problem):
    status = 415
    code = "photo.unsupported_type"
    title = "Only JPEG and PNG photos are accepted"


class TooManyPixels(Problem):
    status = 422
    code = "photo.too_many_pixels"
    title = "The photo has more pixels than allowed"


class UnreadablePhoto(Problem):
    status = 422
    code = "photo.unreadable"
    title = "The photo is truncated or corrupt"


class PhotoIdTaken(Conflict):
    code = "photo.id_taken"
    title = "This photo id is already used for other content"


class PhotoStorageUnavailable(Problem):
    status = 507
    code = "photo.storage_unavailable"
    title = "The photo store cannot take the file now; retry later"


@dataclass(frozen=True, slots=True)
class PhotoPolicy:
    """Where photos go and how big they may be (from Settings)."""

    root: Path
    max_bytes: int = 8 * 1024 * 1024
    max_pixels: int = MAX_PIXELS


@dataclass(frozen=True, slots=True)
class ImageKind:
    name: str  # Pillow's format name
    ext: str
    content_type: str
    magic: bytes


JPEG = ImageKind("JPEG", "jpg", "image/jpeg", b"\xff\xd8\xff")
PNG = ImageKind("PNG", "png", "image/png", b"\x89PNG\r\n\x1a\n")


@dataclass(frozen=True, slots=True)
class ImageFacts:
    """What the server reads out of a decodable image."""

    width: int
    height: int
    phash: str
    taken_at: datetime | None
    gps: tuple[float, float] | None


def read_limited(stream: IO[bytes], max_bytes: int) -> bytes:
    """The whole upload, or PhotoTooLarge as soon as it passes `max_bytes`."""
    buffer = bytearray()
    while chunk := stream.read(_CHUNK):
        buffer += chunk
        if len(buffer) > max_bytes:
            raise PhotoTooLarge(f"Photos may be at most {max_bytes} bytes.", max_bytes=max_bytes)
    return bytes(buffer)


def sniff(data: bytes) -> ImageKind:
    """JPEG or PNG by the leading bytes; anything else is UnsupportedPhotoType."""
    for kind in (JPEG, PNG):
        if data.startswith(kind.magic):
            return kind
    raise UnsupportedPhotoType("The file is neither a JPEG nor a PNG image.")


def examine(data: bytes, kind: ImageKind, *, max_pixels: int, tz: tzinfo) -> ImageFacts:
    """Decode fully (bounded by pixel count) and read the hash, EXIF time and GPS.

    Raises TooManyPixels (decompression bombs) and UnreadablePhoto (truncated or corrupt).
    """
    try:
        with Image.open(io.BytesIO(data), formats=[kind.name]) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise TooManyPixels(
                    f"{width}x{height} exceeds {max_pixels} pixels.", max_pixels=max_pixels
                )
            image.load()
            phash = str(imagehash.phash(image))
            taken_at, gps = _exif(image, tz)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise TooManyPixels(
            f"The image declares more than {max_pixels} pixels.", max_pixels=max_pixels
        ) from None
    except _DECODE_ERRORS:
        raise UnreadablePhoto("The image could not be decoded completely.") from None
    return ImageFacts(width=width, height=height, phash=phash, taken_at=taken_at, gps=gps)


def _exif(image: Image.Image, tz: tzinfo) -> tuple[datetime | None, tuple[float, float] | None]:
    """EXIF DateTimeOriginal (aware) and GPS position; garbage reads as absent."""
    try:
        exif = image.getexif()
        times = exif.get_ifd(ExifTags.IFD.Exif)
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except (*_DECODE_ERRORS, UserWarning):  # Pillow warns on corrupt EXIF
        return None, None
    taken = exif_time(
        times.get(ExifTags.Base.DateTimeOriginal), times.get(ExifTags.Base.OffsetTimeOriginal), tz
    )
    return taken, exif_position(gps)


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value.strip("\x00 ") if isinstance(value, str) else None


def exif_time(value: Any, offset: Any, tz: tzinfo) -> datetime | None:
    """'YYYY:MM:DD HH:MM:SS' with its EXIF offset, else in `tz` (the rep's zone), as UTC."""
    text = _text(value)
    try:
        local = datetime.strptime((text or "")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    if not 1970 <= local.year <= 2200:
        return None
    zone = tz
    if (match := _OFFSET.fullmatch(_text(offset) or "")) is not None:
        sign, hours, minutes = match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        if delta <= timedelta(hours=14):
            zone = timezone(-delta if sign == "-" else delta)
    return local.replace(tzinfo=zone).astimezone(UTC)


def _degrees(value: Any, ref: Any, positive: str, negative: str, limit: float) -> float | None:
    """Degrees/minutes/seconds rationals and a hemisphere letter as signed decimal degrees."""
    hemisphere = (_text(ref) or "").upper()
    if hemisphere not in (positive, negative):
        return None
    try:
        parts = [float(part) for part in value]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not 1 <= len(parts) <= 3 or not all(math.isfinite(p) and p >= 0 for p in parts):
        return None
    if any(p > 60 for p in parts[1:]):  # 60.0 happens: writers round 59.99995 up
        return None
    degrees = sum(part / 60**i for i, part in enumerate(parts))
    if degrees > limit:
        return None
    return -degrees if hemisphere == negative else degrees


def exif_position(gps: Any) -> tuple[float, float] | None:
    """(lat, lon) from an EXIF GPS IFD, or None when missing or malformed."""
    lat = _degrees(
        gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "N", "S", 90
    )
    lon = _degrees(
        gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "E", "W", 180
    )
    return None if lat is None or lon is None else (lat, lon)


def strip_metadata(data: bytes, kind: ImageKind) -> bytes:
    """The image without Exif/XMP/text metadata (pixels untouched), or UnreadablePhoto."""
    try:
        return _strip_jpeg(data) if kind is JPEG else _strip_png(data)
    except ValueError:
        raise UnreadablePhoto("The image's metadata segments are malformed.") from None


# JPEG APPn segments kept: JFIF (APP0), the ICC colour profile (APP2), Adobe colour (APP14).
_KEEP_APP = {0xE0, 0xE2, 0xEE}


def _strip_jpeg(data: bytes) -> bytes:
    out, i = bytearray(data[:2]), 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise ValueError("expected a JPEG marker")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xDA, 0xD9):  # start of scan / end: the rest is image data
            break
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        end = i + 2 + length
        if length < 2 or end > len(data):
            raise ValueError("JPEG segment runs past the end")
        if not (0xE0 <= marker <= 0xEF) or marker in _KEEP_APP:
            out += data[i:end]
        i = end
    return bytes(out + data[i:])


def _strip_png(data: bytes) -> bytes:
    out, i = bytearray(data[:8]), 8
    while i + 12 <= len(data):
        length = int.from_bytes(data[i : i + 4], "big")
        chunk_type, end = data[i + 4 : i + 8], i + 12 + length
        if end > len(data):
            raise ValueError("PNG chunk runs past the end")
        if chunk_type not in (b"eXIf", b"tEXt", b"zTXt", b"iTXt"):
            out += data[i:end]
        i = end
        if chunk_type == b"IEND":
            break
    return bytes(out)


TEMP_PREFIX = ".upload-"  # a file being written; renamed to its SHA-256 name when complete


def store(root: Path, data: bytes, kind: ImageKind) -> str:
    """Write `data` once under its SHA-256 (`ab/abcd….jpg`); returns that relative path.

    A file already there is touched instead: the orphan sweep (app/privacy) removes only files
    untouched for a day, and this one is about to be referred to again.
    Raises PhotoStorageUnavailable on any OSError; no temp file is left behind.
    """
    digest = hashlib.sha256(data).hexdigest()
    relative = f"{digest[:2]}/{digest}.{kind.ext}"
    target = root / relative
    temp: str | None = None
    try:
        if target.is_file() and target.stat().st_size == len(data):
            os.utime(target)
            return relative
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX, suffix=".part")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
        temp = None
    except OSError as exc:
        log.warning("photo store failed for %s: %s", relative, exc)
        raise PhotoStorageUnavailable("The photo could not be stored; retry later.") from None
    finally:
        if temp is not None:
            with suppress(OSError):
                os.unlink(temp)
    return relative


def _zone(session: Session, staff_id: int) -> tzinfo:
    name = session.scalar(sa.select(Staff.timezone).where(Staff.id == staff_id))
    try:
        return ZoneInfo(name or "UTC")
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return UTC


def add_photo(
    session: Session,
    principal: Principal,
    *,
    visit_id: str,
    photo_in: dict[str, Any],
    file: IO[bytes],
    policy: PhotoPolicy,
    now: datetime | None = None,
) -> tuple[VisitPhoto, Visit, bool]:
    """Attach a photo to the caller's visit and re-assess it; returns (photo, visit, created).

    Raises NotFound (visit not visible), Forbidden (not the visit's rep), PhotoTooLarge,
    PhotoIdTaken, UnsupportedPhotoType, TooManyPixels, UnreadablePhoto, PhotoStorageUnavailable.
    """
    now = now or utcnow()
    visit = service.get_visit(session, principal, visit_id=visit_id)
    if visit.rep_id != principal.staff_id:
        raise Forbidden("Only the rep who checked in adds photos.")
    data = read_limited(file, policy.max_bytes)
    sha256 = hashlib.sha256(data).hexdigest()
    existing = session.get(VisitPhoto, photo_in["photo_id"])
    if existing is not None:
        if existing.visit_id == visit.id and existing.sha256 == sha256:
            return existing, visit, False
        raise PhotoIdTaken(f"Photo id {photo_in['photo_id']!r} is already used.")
    kind = sniff(data)
    seen = examine(data, kind, max_pixels=policy.max_pixels, tz=_zone(session, visit.rep_id))
    gps = seen.gps if visit.location_collected else None
    kept = data if visit.location_collected else strip_metadata(data, kind)
    photo = VisitPhoto(
        id=photo_in["photo_id"],
        visit_id=visit.id,
        rep_id=visit.rep_id,
        lead_id=visit.lead_id,
        sha256=sha256,
        phash=seen.phash,
        source=photo_in.get("source", "unknown"),
        content_type=kind.content_type,
        size_bytes=len(data),
        width=seen.width,
        height=seen.height,
        storage_path=store(policy.root, kept, kind),
        exif_taken_at=seen.taken_at,
        exif_lat=gps[0] if gps else None,
        exif_lon=gps[1] if gps else None,
        uploaded_at=now,
    )
    session.add(photo)
    session.flush()
    lead = session.get(Lead, visit.lead_id)
    assessment.assess(session, visit, lead, now=now)  # type: ignore[arg-type]
    service.refresh_lead_activity(session, lead)  # type: ignore[arg-type]
    visit.updated_at = now
    return photo, visit, True


def list_photos(session: Session, principal: Principal, *, visit_id: str) -> list[VisitPhoto]:
    """The photos of a visible visit, in upload order."""
    visit = service.get_visit(session, principal, visit_id=visit_id)
    stmt = sa.select(VisitPhoto).where(VisitPhoto.visit_id == visit.id)
    return list(session.scalars(stmt.order_by(VisitPhoto.uploaded_at, VisitPhoto.id)))
