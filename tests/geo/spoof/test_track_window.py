"""The motion checks look only at this visit's neighbours on the day's timeline; they must
find exactly what walking the whole day finds (the reference versions below do that)."""

from __future__ import annotations

from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.spoof.checks import motion
from geo.spoof.context import AssessmentContext, VisitSummary
from geo.spoof.measure import (
    TrackPoint,
    accuracy_of,
    assumed_accuracy,
    in_range,
    is_usable,
    labelled_fixes,
    seconds,
)
from geo.spoof.thresholds import Thresholds
from tests.geo.spoof.builders import at, context, evidence, fix, summary

TH = Thresholds()


def whole_day_track(ctx: AssessmentContext, th: Thresholds) -> list[TrackPoint]:
    """The track as first written: every usable visit of the day, sorted by fix time."""
    ev = ctx.evidence
    points = [
        TrackPoint(seconds(f.fix_time), f.lat, f.lon, accuracy_of(f, th), label, True)
        for f, label in labelled_fixes(ev)
        if is_usable(f)
    ]
    for other in ctx.day_visits:
        if other.visit_id != ev.visit_id and in_range(other.lat, other.lon):
            acc = assumed_accuracy(other.accuracy_m, th)
            label = f"visit {other.visit_id}"
            points.append(
                TrackPoint(seconds(other.fix_time), other.lat, other.lon, acc, label, False)
            )
    points.sort(key=lambda p: p.t)
    return points


def whole_day_neighbours(ctx: AssessmentContext) -> list[VisitSummary]:
    """impossible_day as first written: sort the whole day, take the last before, first after."""
    own_t = seconds(ctx.evidence.checkin.fix_time)  # type: ignore[union-attr]
    others = sorted(
        (
            v
            for v in ctx.day_visits
            if v.visit_id != ctx.evidence.visit_id and in_range(v.lat, v.lon)
        ),
        key=lambda v: seconds(v.fix_time),
    )
    earlier = [v for v in others if seconds(v.fix_time) < own_t]
    later = [v for v in others if seconds(v.fix_time) > own_t]
    return earlier[-1:] + later[:1]


# Visits within a few hours of the check-in, some on top of it, some 50 km away, some at the
# same moment, some sharing the visit's own id: the cases where a window could miss something.
offsets = st.sampled_from([-3_600, -1_000, -901, -900, -600, -5, 0, 5, 300, 899, 900, 2_000])
others = st.builds(
    lambda n, north, east, t, dt, acc: summary(
        f"v-{n}", north, east, t + dt, accuracy_m=acc, checked_out_at=at(t + dt + 60)
    ),
    st.sampled_from([1, 2, 3, 4, 5, 6, 7, 8]),  # the visit itself is "v-1"
    st.sampled_from([0.0, 30.0, 2_500.0, 40_000.0, 50_000.0, float("nan")]),
    st.sampled_from([0.0, 10.0, 3_000.0]),
    offsets,
    st.sampled_from([0, 1, 120]),
    st.sampled_from([None, 5.0, 500.0]),
)
days = st.lists(others, max_size=12).map(tuple)
own = st.builds(
    lambda north, checkout_dt, series: context(
        evidence=evidence(
            checkin=fix(north, 0.0),
            series=(fix(north, 3.0, fix_time=at(-15)),) if series else (),
            checkout=checkout_dt and fix(north, 0.0, fix_time=at(checkout_dt)),
            checked_out_at=checkout_dt and at(checkout_dt + 5),
        )
    ),
    st.sampled_from([25.0, 40_000.0]),
    st.sampled_from([None, 60, 600, 1_795]),
    st.booleans(),
)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(own, days)
def test_speed_and_teleport_match_the_whole_day_walk(ctx, day):
    ctx = context(evidence=ctx.evidence, day_visits=day)
    windowed = (motion.check_impossible_speed(ctx, TH), motion.check_teleport(ctx, TH))
    with mock.patch.object(motion, "track", whole_day_track):
        whole = (motion.check_impossible_speed(ctx, TH), motion.check_teleport(ctx, TH))
    assert windowed == whole


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(own, days)
def test_impossible_day_compares_with_the_same_neighbours(ctx, day):
    """Only the nearest visits before and after count: the rest of the day changes nothing."""
    ctx = context(evidence=ctx.evidence, day_visits=day)
    nearest = context(evidence=ctx.evidence, day_visits=tuple(whole_day_neighbours(ctx)))
    assert motion.check_impossible_day(ctx, TH) == motion.check_impossible_day(nearest, TH)


def test_a_teleport_is_found_on_a_busy_day():
    """Most of a 12-hour day lies outside the window; the round trip inside it is still seen,
    past a visit next to the far check-in."""
    day = [
        summary(f"v-{n}", 20.0, 0.0, t)
        for n, t in enumerate(range(-21_600, 21_600, 300), start=2)
        if t not in (0, -300)
    ]
    day.append(summary("v-near", 40_010.0, 0.0, -60))
    away = context(
        evidence=evidence(checkin=fix(40_000.0, 0.0), series=(), checkout=None),
        day_visits=tuple(day),
    )
    assert [f.code for f in motion.check_teleport(away, TH)] == ["motion.teleport_return"]
