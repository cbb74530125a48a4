"""Every number the spoof checks use, with its default; docs/spoof-checks.md gives the reasons."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Thresholds:
    """Configuration of the spoof checks; org-level overrides build one with `replace()`."""

    # where the rep was
    radius_m: float = 200.0  # distance minus accuracy allowed between fix and customer pin
    max_verifying_accuracy_m: float = 100.0  # a coarser fix cannot prove presence
    unknown_accuracy_m: float = 100.0  # assumed accuracy when a fix carries none
    on_pin_m: float = 0.15  # "exactly on the pin": closer than 6-decimal rounding
    precise_accuracy_m: float = 20.0  # satellite-grade: such coordinates never repeat exactly
    frozen_decimals: int = 7  # coordinates equal to this many decimals count as identical
    frozen_min_fixes: int = 3  # identical fixes in the series before it counts as frozen
    repeat_min_gap_s: float = 1800.0  # an identical fix this much later is a replay, not a cache
    shared_window_s: float = 86_400.0  # other reps' check-ins compared for identical coordinates
    shared_min_other_reps: int = 1  # other reps at identical coordinates before it counts
    # how the rep moved
    max_ground_speed_mps: float = 100.0  # high-speed rail runs at up to 97 m/s (350 km/h)
    max_flight_speed_mps: float = 300.0  # jets cruise near 250 m/s (900 km/h), plus tailwind
    flight_min_distance_m: float = 100_000.0  # shorter hops cannot be flown
    speed_min_jump_m: float = 1_000.0  # smaller jumps are multipath glitches, not travel
    teleport_min_distance_m: float = 2_000.0  # how far "there" must be from "here"
    teleport_return_m: float = 500.0  # back within this distance counts as back
    teleport_window_s: float = 900.0  # there and back within this time
    teleport_max_speed_mps: float = 30.0  # round-trip average by road; faster is a teleport
    day_max_ground_speed_mps: float = 50.0  # door-to-door average between visits
    # clocks and uploads
    future_tolerance_s: float = 120.0  # after correcting the measured device clock offset
    unmeasured_clock_skew_s: float = 900.0  # device clock error assumed when none was measured
    stale_fix_s: float = 300.0  # fix older than this at check-in: cannot prove presence
    stale_fix_high_s: float = 1_800.0  # fix older than this at check-in: an old, saved fix
    late_upload_s: float = 900.0  # capture to receive delay for an online visit
    backdate_tolerance_s: float = 120.0  # wall clock vs monotonic clock disagreement allowed
    # photos
    phash_max_distance: int = 6  # Hamming distance (of 64 bits) that counts as the same photo
    exif_time_tolerance_s: float = 1_800.0  # photo taken this long outside the visit
    exif_time_high_s: float = 86_400.0  # photo taken more than a day outside the visit
    exif_max_distance_m: float = 1_000.0  # EXIF GPS this far from the visit
    # the visit itself
    min_dwell_s: float = 120.0  # check-in to check-out
    checkout_radius_m: float = 500.0  # check-out distance minus accuracy from the customer
    mock_providers: frozenset[str] = frozenset({"mock", "test"})  # provider names of fake fixes
    # verdict arithmetic
    penalty_low: int = 5
    penalty_medium: int = 20
    penalty_high: int = 45
    penalty_critical: int = 100
    suspicious_below_score: int = 50  # three medium findings make a visit suspicious
    unverified_max_score: int = 60  # an unproven visit never outranks a verified one
