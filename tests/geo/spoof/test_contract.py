"""The dataclasses are the contract with the visits service: frozen, aware times, plain JSON out."""

import dataclasses
import math
from datetime import datetime

import pytest

from geo.spoof import Fix, Photo, VisitEvidence, wording
from tests.geo.spoof.builders import T0, evidence, fix, photo


def test_naive_datetimes_are_refused_at_construction():
    with pytest.raises(ValueError, match=r"Fix\.fix_time must be a timezone-aware datetime"):
        Fix(lat=1.0, lon=2.0, fix_time=datetime(2024, 5, 6, 9))
    with pytest.raises(ValueError, match=r"VisitEvidence\.received_at"):
        dataclasses.replace(evidence(), received_at=datetime(2024, 5, 6, 9))
    with pytest.raises(ValueError, match=r"Photo\.taken_at"):
        dataclasses.replace(photo(), taken_at=datetime(2024, 5, 6, 9))


@pytest.mark.parametrize(
    ("value", "field"), [(fix(), "lat"), (photo(), "photo_id"), (evidence(), "visit_id")]
)
def test_inputs_are_frozen(value, field):
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(value, field, "other")


def test_raw_coordinates_default_to_the_stored_ones():
    assert fix(raw_lat=None, raw_lon=None).raw == (fix().lat, fix().lon)
    assert fix(raw_lat=1.5, raw_lon=2.5).raw == (1.5, 2.5)


def test_photo_and_evidence_types():
    assert isinstance(photo(), Photo)
    assert isinstance(evidence(), VisitEvidence)
    assert evidence().captured_at == T0


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (45, "45 seconds"),
        (-600, "10 minutes"),
        (3 * 3_600, "3 hours"),
        (5_400 * 2, "3 hours"),
        (3.5 * 86_400, "3.5 days"),
        (math.inf, "an unknown time"),
    ],
)
def test_durations_read_naturally(seconds, text):
    assert wording.duration(seconds) == text


@pytest.mark.parametrize(
    ("metres", "text"), [(850.4, "850 m"), (12_345, "12.3 km"), (math.nan, "an unknown distance")]
)
def test_distances_read_naturally(metres, text):
    assert wording.distance(metres) == text


def test_listing():
    assert wording.listing([]) == ""
    assert wording.listing(["a"]) == "a"
    assert wording.listing(["a", "b", "c"]) == "a, b and c"
