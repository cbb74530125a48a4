"""What the phone sent for one visit: location fixes, clocks, photos and device identity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from geo.datums import Datum


def require_aware(owner: str, **values: datetime | None) -> None:
    """Raise ValueError when any given datetime is naive: every time in the contract is aware."""
    for name, value in values.items():
        if value is not None and value.utcoffset() is None:
            raise ValueError(f"{owner}.{name} must be a timezone-aware datetime")


@dataclass(frozen=True, slots=True, kw_only=True)
class Fix:
    """One location fix as the phone's location API reported it."""

    lat: float  # WGS-84 latitude in degrees, after the service converted `raw_lat` from `datum`
    lon: float  # WGS-84 longitude in degrees, likewise
    fix_time: datetime  # when the receiver computed the fix, on the device's wall clock
    accuracy_m: float | None = None  # horizontal accuracy radius (68 %); None = platform gave none
    raw_lat: float | None = None  # latitude exactly as sent, in `datum`; None = same as `lat`
    raw_lon: float | None = None  # longitude exactly as sent, in `datum`; None = same as `lon`
    datum: Datum = Datum.WGS84  # the datum the app declared for `raw_lat`/`raw_lon`
    altitude_m: float | None = None  # metres above the WGS-84 ellipsoid
    vertical_accuracy_m: float | None = None
    speed_mps: float | None = None  # ground speed the receiver reported
    bearing_deg: float | None = None  # 0 <= bearing < 360
    provider: str | None = None  # "gps", "network", "fused", "passive", ... as the OS names it
    is_mock: bool = False  # Android Location.isMock() / iOS sourceInformation.isSimulatedBySoftware
    satellites: int | None = None  # satellites used in the fix; None where the OS does not say
    elapsed_realtime_ms: int | None = None  # monotonic uptime clock at the fix (Android only)
    boot_count: int | None = None  # boot counter the monotonic reading belongs to

    def __post_init__(self) -> None:
        require_aware("Fix", fix_time=self.fix_time)

    @property
    def raw(self) -> tuple[float, float]:
        """The coordinates exactly as the app sent them, in `datum`."""
        lat = self.lat if self.raw_lat is None else self.raw_lat
        lon = self.lon if self.raw_lon is None else self.raw_lon
        return lat, lon


class PhotoSource(StrEnum):
    """Where the app says a photo came from."""

    CAMERA = "camera"  # taken in the app's own camera screen during the visit
    ALBUM = "album"  # picked from the phone's gallery: may be old or someone else's
    UNKNOWN = "unknown"  # an older app version that does not say


@dataclass(frozen=True, slots=True, kw_only=True)
class Photo:
    """One photo attached to the visit, with the hashes and EXIF the photo service extracted."""

    photo_id: str
    sha256: str  # hex SHA-256 of the stored file bytes
    phash: str | None = None  # hex perceptual hash (imagehash.phash, 64 bits = 16 hex digits)
    source: PhotoSource = PhotoSource.UNKNOWN
    taken_at: datetime | None = None  # EXIF DateTimeOriginal, made aware by the loader (see docs)
    exif_lat: float | None = None  # EXIF GPS latitude, WGS-84 degrees
    exif_lon: float | None = None  # EXIF GPS longitude, WGS-84 degrees

    def __post_init__(self) -> None:
        require_aware("Photo", taken_at=self.taken_at)


@dataclass(frozen=True, slots=True, kw_only=True)
class VisitEvidence:
    """Everything the phone sent for one visit, plus the server's receive time."""

    visit_id: str  # client-generated id
    rep_id: str  # the rep the visit is logged for
    device_id: str  # the device that sent it
    captured_at: datetime  # device wall clock when the rep tapped check-in
    received_at: datetime  # server clock when the check-in upload arrived
    checkin: Fix | None = None  # the check-in fix; None when the phone had none (basement)
    series: tuple[Fix, ...] = ()  # extra fixes the app recorded around check-in, any order
    rep_device_ids: frozenset[str] = frozenset()  # devices bound to this rep (auth)
    device_rep_ids: frozenset[str] = frozenset()  # reps that `device_id` is bound to (auth)
    capture_elapsed_ms: int | None = None  # monotonic uptime clock at capture
    capture_boot_count: int | None = None  # boot counter at capture
    upload_device_time: datetime | None = None  # device wall clock when it sent the upload
    upload_elapsed_ms: int | None = None  # monotonic uptime clock when it sent the upload
    upload_boot_count: int | None = None  # boot counter when it sent the upload
    captured_offline: bool = False  # the app stored the visit while it had no connection
    payload_hash: str | None = None  # hash of the location evidence, excluding the visit id
    checkout: Fix | None = None  # the check-out fix, when the rep checked out with a fix
    checked_out_at: datetime | None = None  # device wall clock at check-out
    photos: tuple[Photo, ...] = ()
    wifi_bssids: tuple[str, ...] = ()  # Wi-Fi access points seen at check-in (no check yet)
    cell_ids: tuple[str, ...] = ()  # serving and neighbour cell ids at check-in (no check yet)

    def __post_init__(self) -> None:
        require_aware(
            "VisitEvidence",
            captured_at=self.captured_at,
            received_at=self.received_at,
            upload_device_time=self.upload_device_time,
            checked_out_at=self.checked_out_at,
        )
