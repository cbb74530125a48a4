"""What the server knows around a visit: the customer, the rep's day, other reps, seen hashes."""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from geo.spoof.evidence import VisitEvidence, require_aware


@dataclass(frozen=True, slots=True, kw_only=True)
class Pin:
    """The customer's stored location (WGS-84), usually geocoded from its address."""

    lat: float
    lon: float


@dataclass(frozen=True, slots=True, kw_only=True)
class VisitSummary:
    """Another visit's check-in as stored: used for the rep's day, history and other reps."""

    visit_id: str
    rep_id: str
    lat: float  # WGS-84 check-in latitude
    lon: float  # WGS-84 check-in longitude
    fix_time: datetime  # the check-in fix time on that device's wall clock
    checked_in_at: datetime  # that visit's `captured_at`
    accuracy_m: float | None = None
    checked_out_at: datetime | None = None  # that visit's check-out time, if it checked out
    fix_t: float = field(init=False, repr=False, compare=False)  # fix_time in POSIX seconds

    def __post_init__(self) -> None:
        require_aware(
            "VisitSummary",
            fix_time=self.fix_time,
            checked_in_at=self.checked_in_at,
            checked_out_at=self.checked_out_at,
        )
        object.__setattr__(self, "fix_t", self.fix_time.timestamp())


@dataclass(frozen=True, slots=True, kw_only=True)
class KnownPhoto:
    """A photo already stored for another visit."""

    visit_id: str
    rep_id: str
    sha256: str
    phash: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceUpload:
    """The device's previous accepted upload, as the server recorded it."""

    elapsed_ms: int  # the device's monotonic uptime clock in that upload
    boot_count: int  # the boot counter in that upload
    received_at: datetime  # server clock when it arrived

    def __post_init__(self) -> None:
        require_aware("DeviceUpload", received_at=self.received_at)


@dataclass(frozen=True, slots=True, kw_only=True)
class AssessmentContext:
    """One visit's evidence and everything the visits service loaded to judge it.

    The loader may fetch more than needed: every check applies its own time window and skips
    entries that belong to this visit, so an idempotent retry never counts against itself.
    """

    evidence: VisitEvidence
    pin: Pin | None = None  # None when the lead has no location: presence cannot be checked
    day_visits: tuple[VisitSummary, ...] = ()  # the rep's other visits that day, any order
    recent_visits: tuple[VisitSummary, ...] = ()  # the rep's check-ins over the last weeks
    peer_visits: tuple[VisitSummary, ...] = ()  # other reps' check-ins within a day of this one
    known_photos: tuple[KnownPhoto, ...] = ()  # photos of other visits (same customer or rep)
    seen_payloads: Mapping[str, str] = field(default_factory=dict)  # payload hash -> visit id
    device_last_upload: DeviceUpload | None = None  # the device's previous upload, if any
    # day_visits ordered by fix time (ties keep their order): the motion checks look up a
    # visit's neighbours in it by bisection instead of walking the whole day.
    timeline: tuple[VisitSummary, ...] = field(init=False, repr=False, compare=False)
    # What several checks derive alike from this context (the motion track), computed once.
    derived: dict[object, object] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "timeline", tuple(sorted(self.day_visits, key=FIX_T)))


FIX_T = operator.attrgetter("fix_t")
