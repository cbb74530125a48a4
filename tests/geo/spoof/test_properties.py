"""Properties over arbitrary input: assess never raises and always returns a sane verdict."""

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.datums import Datum
from geo.spoof import (
    AssessmentContext,
    DeviceUpload,
    Fix,
    KnownPhoto,
    Photo,
    PhotoSource,
    Pin,
    Verdict,
    VisitEvidence,
    VisitSummary,
    assess,
)
from tests.geo.spoof.builders import PIN, T0, context, evidence

any_float = st.floats()  # NaN and infinities included: the invalid-fix check must cope
lat = st.one_of(st.floats(PIN.lat - 0.05, PIN.lat + 0.05), st.floats(-90, 90), any_float)
lon = st.one_of(st.floats(PIN.lon - 0.05, PIN.lon + 0.05), st.floats(-180, 180), any_float)
offset = st.builds(
    timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
)
moment = st.one_of(
    st.datetimes(
        min_value=datetime(2024, 5, 5), max_value=datetime(2024, 5, 7), timezones=st.just(UTC)
    ),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=offset),
)
uptime = st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1))
small = st.text(max_size=4)
hexes = st.one_of(st.none(), st.text("0123456789abcdefg", min_size=0, max_size=16))

fixes = st.builds(
    Fix,
    lat=lat,
    lon=lon,
    fix_time=moment,
    accuracy_m=st.one_of(st.none(), any_float),
    raw_lat=st.one_of(st.none(), lat),
    raw_lon=st.one_of(st.none(), lon),
    datum=st.sampled_from(Datum),
    altitude_m=st.one_of(st.none(), any_float),
    vertical_accuracy_m=st.one_of(st.none(), any_float),
    speed_mps=st.one_of(st.none(), any_float),
    bearing_deg=st.one_of(st.none(), any_float),
    provider=st.one_of(st.none(), st.sampled_from(["gps", "network", "fused", "mock", "x"])),
    is_mock=st.booleans(),
    satellites=st.one_of(st.none(), st.integers(-5, 80)),
    elapsed_realtime_ms=uptime,
    boot_count=st.one_of(st.none(), st.integers(0, 3)),
)
photos = st.builds(
    Photo,
    photo_id=small,
    sha256=hexes.map(lambda h: h or ""),
    phash=hexes,
    source=st.sampled_from(PhotoSource),
    taken_at=st.one_of(st.none(), moment),
    exif_lat=st.one_of(st.none(), lat),
    exif_lon=st.one_of(st.none(), lon),
)
summaries = st.builds(
    VisitSummary,
    visit_id=small,
    rep_id=small,
    lat=lat,
    lon=lon,
    fix_time=moment,
    checked_in_at=moment,
    accuracy_m=st.one_of(st.none(), any_float),
    checked_out_at=st.one_of(st.none(), moment),
)
evidences = st.builds(
    VisitEvidence,
    visit_id=small,
    rep_id=small,
    device_id=small,
    captured_at=moment,
    received_at=moment,
    checkin=st.one_of(st.none(), fixes),
    series=st.lists(fixes, max_size=4).map(tuple),
    rep_device_ids=st.frozensets(small, max_size=2),
    device_rep_ids=st.frozensets(small, max_size=2),
    capture_elapsed_ms=uptime,
    capture_boot_count=st.one_of(st.none(), st.integers(0, 3)),
    upload_device_time=st.one_of(st.none(), moment),
    upload_elapsed_ms=uptime,
    upload_boot_count=st.one_of(st.none(), st.integers(0, 3)),
    captured_offline=st.booleans(),
    payload_hash=st.one_of(st.none(), small),
    checkout=st.one_of(st.none(), fixes),
    checked_out_at=st.one_of(st.none(), moment),
    photos=st.lists(photos, max_size=3).map(tuple),
)
contexts = st.builds(
    AssessmentContext,
    evidence=evidences,
    pin=st.one_of(st.none(), st.just(PIN), st.builds(Pin, lat=lat, lon=lon)),
    day_visits=st.lists(summaries, max_size=4).map(tuple),
    recent_visits=st.lists(summaries, max_size=3).map(tuple),
    peer_visits=st.lists(summaries, max_size=3).map(tuple),
    known_photos=st.lists(
        st.builds(KnownPhoto, visit_id=small, rep_id=small, sha256=hexes.map(str), phash=hexes),
        max_size=3,
    ).map(tuple),
    seen_payloads=st.dictionaries(small, small, max_size=3),
    device_last_upload=st.one_of(
        st.none(),
        st.builds(
            DeviceUpload,
            elapsed_ms=st.integers(-(2**63), 2**63 - 1),
            boot_count=st.integers(0, 3),
            received_at=moment,
        ),
    ),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contexts)
def test_assess_never_raises_and_stays_in_range(ctx):
    result = assess(ctx)
    assert result.verdict in set(Verdict)
    assert 0 <= result.score <= 100
    for finding in result.findings:
        assert finding.message and finding.code
        finding.to_dict()


@settings(max_examples=200, deadline=None)
@given(contexts)
def test_a_critical_finding_always_rejects(ctx):
    result = assess(ctx)
    if any(f.severity == "critical" for f in result.findings):
        assert result.verdict == Verdict.REJECTED


def test_the_baseline_moment_is_inside_the_focused_strategy():
    assert datetime(2024, 5, 5, tzinfo=UTC) <= T0 <= datetime(2024, 5, 7, tzinfo=UTC)


# Focused variations of the honest baseline reach the deeper branches the wide strategy rarely
# does (a usable fix with a broken pin, a broken fix among good ones).
@settings(max_examples=200, deadline=None)
@given(
    pin=st.builds(Pin, lat=lat, lon=lon),
    checkin=st.one_of(st.none(), fixes),
    series=st.lists(fixes, max_size=3).map(tuple),
    day=st.lists(summaries, max_size=3).map(tuple),
    extra=st.lists(photos, max_size=2).map(tuple),
)
def test_baseline_with_arbitrary_parts_never_raises(pin, checkin, series, day, extra):
    ev = evidence()
    ev = replace(ev, checkin=checkin, series=ev.series + series, photos=ev.photos + extra)
    result = assess(context(evidence=ev, pin=pin, day_visits=day, recent_visits=day))
    assert 0 <= result.score <= 100


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan, 91.0])
def test_broken_pin_is_no_pin(bad):
    result = assess(context(pin=Pin(lat=bad, lon=PIN.lon)))
    assert result.verdict == Verdict.UNVERIFIED
    assert result.codes == {"place.no_pin"}
