import math
from dataclasses import replace

import pytest

from geo.spoof import Severity, Thresholds
from geo.spoof.checks.fix import (
    check_fix_quality,
    check_frozen_series,
    check_invalid_fix,
    check_mock,
    check_repeated_coordinates,
    check_satellites,
)
from tests.geo.spoof.builders import at, context, evidence, fix, summary

TH = Thresholds()


def codes(findings):
    return [f.code for f in findings]


class TestMock:
    def test_mock_flag_on_checkin_is_critical(self):
        [found] = check_mock(context(evidence=evidence(checkin=fix(is_mock=True))), TH)
        assert found.code == "fix.mock"
        assert found.severity == Severity.CRITICAL
        assert "check-in" in found.message

    def test_mock_flag_on_a_series_fix_counts(self):
        ev = evidence(series=(fix(is_mock=True),))
        assert codes(check_mock(context(evidence=ev), TH)) == ["fix.mock"]

    def test_mock_provider_name_counts(self):
        ev = evidence(checkout=fix(provider="Mock"))
        assert codes(check_mock(context(evidence=ev), TH)) == ["fix.mock"]

    def test_clean_fixes_pass(self):
        assert check_mock(context(), TH) == []


class TestInvalidFix:
    @pytest.mark.parametrize(
        "over",
        [
            {"lat": 90.5},
            {"lon": -180.01},
            {"accuracy_m": -1.0},
            {"accuracy_m": math.nan},
            {"speed_mps": -0.1},
            {"bearing_deg": 360.0},
            {"satellites": -1},
        ],
    )
    def test_impossible_values_are_high_and_leave_no_evidence(self, over):
        [found] = check_invalid_fix(context(evidence=evidence(checkin=fix(**over))), TH)
        assert (found.code, found.severity) == ("fix.invalid", Severity.HIGH)
        assert found.insufficient_evidence

    @pytest.mark.parametrize("over", [{"lat": 90.0}, {"lon": -180.0}, {"bearing_deg": 359.99}])
    def test_values_at_the_edge_of_the_range_are_valid(self, over):
        assert check_invalid_fix(context(evidence=evidence(checkin=fix(**over))), TH) == []

    def test_null_island_checkin_is_medium_and_unverifiable(self):
        [found] = check_invalid_fix(context(evidence=evidence(checkin=fix(lat=0.0, lon=0.0))), TH)
        assert (found.code, found.severity) == ("fix.null_island", Severity.MEDIUM)
        assert found.insufficient_evidence

    def test_null_island_checkout_does_not_make_the_checkin_unverifiable(self):
        ev = evidence(checkout=fix(lat=0.0, lon=0.0))
        [found] = check_invalid_fix(context(evidence=ev), TH)
        assert found.code == "fix.null_island"
        assert not found.insufficient_evidence


class TestFixQuality:
    def test_missing_fix_is_unverifiable_info(self):
        [found] = check_fix_quality(context(evidence=evidence(checkin=None)), TH)
        assert (found.code, found.severity, found.insufficient_evidence) == (
            "fix.missing",
            Severity.INFO,
            True,
        )

    def test_missing_accuracy_is_unverifiable(self):
        ctx = context(evidence=evidence(checkin=fix(accuracy_m=None)))
        assert codes(check_fix_quality(ctx, TH)) == ["fix.accuracy_unknown"]

    def test_accuracy_at_the_limit_verifies(self):
        ctx = context(evidence=evidence(checkin=fix(accuracy_m=TH.max_verifying_accuracy_m)))
        assert check_fix_quality(ctx, TH) == []

    def test_accuracy_past_the_limit_is_coarse(self):
        ctx = context(evidence=evidence(checkin=fix(accuracy_m=100.1)))
        [found] = check_fix_quality(ctx, TH)
        assert found.code == "fix.coarse"
        assert found.data["accuracy_m"] == 100.1

    def test_invalid_fix_is_left_to_the_invalid_check(self):
        assert check_fix_quality(context(evidence=evidence(checkin=fix(lat=99.0))), TH) == []


class TestSatellites:
    def test_gps_fix_from_zero_satellites_is_medium(self):
        [found] = check_satellites(context(evidence=evidence(checkin=fix(satellites=0))), TH)
        assert (found.code, found.severity) == ("fix.no_satellites", Severity.MEDIUM)

    @pytest.mark.parametrize("over", [{"satellites": 1}, {"satellites": None}])
    def test_some_or_unknown_satellites_pass(self, over):
        assert check_satellites(context(evidence=evidence(checkin=fix(**over))), TH) == []

    def test_network_fix_has_no_satellites_honestly(self):
        ctx = context(evidence=evidence(checkin=fix(provider="network", satellites=0)))
        assert check_satellites(ctx, TH) == []


def frozen(n, **over):
    """n fixes with identical values at different moments."""
    return tuple(fix(fix_time=at(-5 - 10 * i), **over) for i in range(n))


class TestFrozenSeries:
    def test_three_identical_precise_fixes_are_frozen(self):
        first, *rest = frozen(3)
        [found] = check_frozen_series(
            context(evidence=evidence(checkin=first, series=tuple(rest))), TH
        )
        assert (found.code, found.severity) == ("fix.frozen_series", Severity.HIGH)
        assert found.data["identical_fixes"] == 3

    def test_two_identical_fixes_are_not_enough(self):
        first, *rest = frozen(2)
        ctx = context(evidence=evidence(checkin=first, series=tuple(rest)))
        assert check_frozen_series(ctx, TH) == []

    def test_the_same_cached_fix_delivered_three_times_is_not_frozen(self):
        same = fix()
        ctx = context(evidence=evidence(checkin=same, series=(same, same)))
        assert check_frozen_series(ctx, TH) == []

    def test_wifi_fixes_may_repeat(self):
        first, *rest = frozen(3, accuracy_m=TH.precise_accuracy_m + 0.1, provider="network")
        ctx = context(evidence=evidence(checkin=first, series=tuple(rest)))
        assert check_frozen_series(ctx, TH) == []

    def test_changing_accuracy_is_not_frozen(self):
        fixes = tuple(fix(fix_time=at(-5 - i), accuracy_m=5.0 + i) for i in range(4))
        ctx = context(evidence=evidence(checkin=fixes[0], series=fixes[1:]))
        assert check_frozen_series(ctx, TH) == []


def same_place_visit(seconds_before, **over):
    """A visit whose check-in had exactly the baseline check-in coordinates, earlier."""
    checkin = fix()
    base = summary("v-old", 0, 0, -seconds_before, lat=checkin.lat, lon=checkin.lon)
    return replace(base, **over)


class TestRepeatedCoordinates:
    def test_identical_coordinates_half_an_hour_apart_are_replayed(self):
        ctx = context(recent_visits=(same_place_visit(TH.repeat_min_gap_s),))
        [found] = check_repeated_coordinates(ctx, TH)
        assert (found.code, found.severity) == ("fix.repeated_coordinates", Severity.HIGH)
        assert found.data["other_visit_id"] == "v-old"

    def test_the_same_fix_moments_later_is_a_cache_not_a_replay(self):
        ctx = context(day_visits=(same_place_visit(TH.repeat_min_gap_s - 1),))
        assert check_repeated_coordinates(ctx, TH) == []

    def test_a_centimetre_apart_is_not_identical(self):
        checkin = fix()
        other = same_place_visit(86_400 * 7, lat=checkin.lat + 2e-7)
        assert check_repeated_coordinates(context(recent_visits=(other,)), TH) == []

    def test_own_visit_is_ignored(self):
        other = same_place_visit(86_400, visit_id="v-1")
        assert check_repeated_coordinates(context(recent_visits=(other,)), TH) == []

    def test_coarse_fixes_may_repeat(self):
        ev = evidence(checkin=fix(accuracy_m=TH.precise_accuracy_m + 0.1))
        ctx = context(evidence=ev, recent_visits=(same_place_visit(86_400),))
        assert check_repeated_coordinates(ctx, TH) == []
