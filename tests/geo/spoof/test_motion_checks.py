from dataclasses import replace

import pytest

from geo.distance import haversine_m
from geo.spoof import Severity, Thresholds
from geo.spoof.checks.motion import check_impossible_day, check_impossible_speed, check_teleport
from tests.geo.spoof.builders import PIN, at, context, evidence, fix, moved, summary

TH = Thresholds()


def codes(findings):
    return [f.code for f in findings]


def leg_seconds(other, speed_mps):
    """Fix-to-fix seconds that make the leg from `other` to the baseline check-in `speed_mps`."""
    checkin = fix()
    excess = haversine_m(other.lat, other.lon, checkin.lat, checkin.lon) - 10.0 - 12.0
    return excess / speed_mps


def lone_checkin(**over):
    """A context whose only own fix is the check-in at -5 s."""
    return context(evidence=evidence(series=(), checkout=None), **over)


def earlier_visit(north_m, speed_mps, **over):
    """A visit `north_m` away whose fix-to-fix leg to this check-in averages `speed_mps`."""
    other = summary("v-0", north_m, 0, 0)
    t = -5 - leg_seconds(other, speed_mps)
    # leave generously early so only the fix-time check is exercised
    return replace(other, fix_time=at(t), checked_in_at=at(t - 100_000), **over)


class TestImpossibleSpeed:
    @pytest.mark.parametrize(("speed", "fires"), [(99.0, False), (101.0, True)])
    def test_ground_limit_allows_high_speed_rail(self, speed, fires):
        ctx = lone_checkin(day_visits=(earlier_visit(60_000, speed),))
        found = check_impossible_speed(ctx, TH)
        assert codes(found) == (["motion.impossible_speed"] if fires else [])

    @pytest.mark.parametrize(("speed", "fires"), [(250.0, False), (299.0, False), (301.0, True)])
    def test_long_hops_allow_a_jet(self, speed, fires):
        ctx = lone_checkin(day_visits=(earlier_visit(1_000_000, speed),))
        assert bool(check_impossible_speed(ctx, TH)) is fires

    def test_short_hops_cannot_be_flown(self):
        ctx = lone_checkin(day_visits=(earlier_visit(50_000, 200.0),))
        [found] = check_impossible_speed(ctx, TH)
        assert found.severity == Severity.HIGH
        assert found.data["limit_mps"] == TH.max_ground_speed_mps

    def test_gps_glitch_below_the_minimum_jump_is_ignored(self):
        glitch = fix(north_m=25 + 900 + 24, fix_time=at(-6))  # 900 m excess in one second
        assert check_impossible_speed(context(evidence=evidence(series=(glitch,))), TH) == []

    def test_a_far_series_fix_seconds_before_check_in_fires(self):
        far = fix(north_m=5_000, fix_time=at(-15))
        [found] = check_impossible_speed(context(evidence=evidence(series=(far,))), TH)
        assert (found.data["from"], found.data["to"]) == ("fix 1 around check-in", "check-in")

    def test_two_places_at_the_same_moment(self):
        far = fix(north_m=5_000, fix_time=at(-5))
        [found] = check_impossible_speed(context(evidence=evidence(series=(far,))), TH)
        assert found.data["speed_mps"] is None

    def test_ordered_by_fix_time_not_by_arrival(self):
        # uploaded in the order A, C, B; by fix time the rep went A -> B -> here at 20 m/s
        a = summary("v-a", 72_000, 0, -3_600)
        b = summary("v-b", 36_000, 0, -1_800)
        c = summary("v-c", -36_000, 0, 3_600)
        assert check_impossible_speed(context(day_visits=(a, c, b)), TH) == []

    def test_other_visits_impossible_among_themselves_are_not_this_visits_fault(self):
        a = summary("v-a", 50_000, 0, -7_200)
        b = summary("v-b", -50_000, 0, -7_100)
        assert check_impossible_speed(context(day_visits=(a, b)), TH) == []


def excursion(away_m, seconds_before, seconds_after, back_m=0.0):
    """At an office `away_m` north before and after, and at the customer for check-in."""
    before = fix(north_m=away_m, fix_time=at(-5 - seconds_before))
    after = fix(north_m=away_m + back_m, fix_time=at(-5 + seconds_after))
    return context(evidence=evidence(series=(before, after), checkout=None))


class TestTeleport:
    def test_far_quick_round_trip_is_high(self):
        ctx = excursion(8_000, 180, 180)
        [found] = check_teleport(ctx, TH)
        assert (found.code, found.severity) == ("motion.teleport_return", Severity.HIGH)
        assert found.data["away"] == "check-in"
        assert check_impossible_speed(ctx, TH) == []  # each leg alone looks like a fast car

    def test_round_trip_longer_than_the_window_is_ignored(self):
        assert check_teleport(excursion(20_000, 450, 451), TH) == []
        assert check_teleport(excursion(20_000, 450, 449), TH) != []

    def test_not_back_where_it_started(self):
        assert check_teleport(excursion(8_000, 180, 180, back_m=5_000), TH) == []

    def test_honest_drive_to_a_nearby_customer_and_back(self):
        assert check_teleport(excursion(2_500, 420, 420), TH) == []

    def test_short_excursion_is_not_far_enough(self):
        assert check_teleport(excursion(1_500, 10, 10), TH) == []


def previous(north_m, left_seconds_before):
    """A visit `north_m` away, left `left_seconds_before` check-in, with its fix long before."""
    return summary(
        "v-0",
        north_m,
        0,
        -36_000,
        checked_out_at=at(-left_seconds_before),
    )


class TestImpossibleDay:
    def test_not_enough_time_since_leaving_the_previous_visit(self):
        # 20 km at 50 m/s door to door needs 400 s
        [found] = check_impossible_day(context(day_visits=(previous(20_000, 350),)), TH)
        assert (found.code, found.severity) == ("motion.impossible_day", Severity.MEDIUM)
        assert found.data["needed_s"] == pytest.approx(399.6, abs=1)

    def test_enough_time(self):
        assert check_impossible_day(context(day_visits=(previous(20_000, 450),)), TH) == []

    def test_next_visit_too_soon_after_check_out(self):
        nxt = summary("v-2", 20_000, 0, 1_800 + 300)  # baseline checks out at +1800 s
        assert codes(check_impossible_day(context(day_visits=(nxt,)), TH)) == [
            "motion.impossible_day"
        ]

    def test_a_flight_between_cities(self):
        shanghai = previous(1_067_000, 4 * 3_600)
        assert check_impossible_day(context(day_visits=(shanghai,)), TH) == []

    def test_neighbouring_shops_may_overlap(self):
        # the rep forgot to check out next door; no distance worth travelling
        assert check_impossible_day(context(day_visits=(previous(300, -600),)), TH) == []

    def test_needs_a_usable_fix(self):
        ctx = context(evidence=evidence(checkin=None), day_visits=(previous(20_000, 10),))
        assert check_impossible_day(ctx, TH) == []


def test_moved_helper_is_metric():
    lat, lon = moved(PIN.lat, PIN.lon, 3_000, 4_000)
    assert haversine_m(PIN.lat, PIN.lon, lat, lon) == pytest.approx(5_000, rel=1e-3)
