from dataclasses import replace

import pytest

from geo.datums import Datum, from_wgs84
from geo.spoof import Pin, Severity, Thresholds, Verdict, assess
from geo.spoof.checks.place import (
    check_datum_mixup,
    check_distance_to_pin,
    check_no_pin,
    check_on_pin,
    check_shared_coordinates,
)
from tests.geo.spoof.builders import PIN, context, evidence, fix, moved, summary

TH = Thresholds()


def codes(findings):
    return [f.code for f in findings]


def at_pin_offset(north_m, east_m=0.0, **over):
    return context(evidence=evidence(checkin=fix(north_m, east_m, **over)))


class TestDistanceToPin:
    def test_indoor_fix_150_m_away_with_80_m_accuracy_is_fine(self):
        assert check_distance_to_pin(at_pin_offset(150, accuracy_m=80.0), TH) == []

    def test_just_inside_the_radius_after_accuracy(self):
        assert check_distance_to_pin(at_pin_offset(211.9, accuracy_m=12.0), TH) == []

    def test_just_outside_the_radius_after_accuracy_is_high(self):
        [found] = check_distance_to_pin(at_pin_offset(212.1, accuracy_m=12.0), TH)
        assert (found.code, found.severity) == ("place.far_from_customer", Severity.HIGH)
        assert found.data["excess_m"] == pytest.approx(200.1, abs=0.05)
        assert found.data["radius_m"] == 200.0

    def test_coarse_fix_far_away_is_only_medium(self):
        [found] = check_distance_to_pin(at_pin_offset(400, accuracy_m=150.0), TH)
        assert found.severity == Severity.MEDIUM

    def test_radius_is_configurable(self):
        th = Thresholds(radius_m=50.0)
        assert codes(check_distance_to_pin(at_pin_offset(80), th)) == ["place.far_from_customer"]

    def test_no_pin_means_no_distance_finding(self):
        assert check_distance_to_pin(context(pin=None), TH) == []


class TestOnPin:
    def test_exactly_on_the_pin_is_high(self):
        [found] = check_on_pin(at_pin_offset(0, 0), TH)
        assert (found.code, found.severity) == ("place.on_pin", Severity.HIGH)

    def test_within_six_decimal_rounding_is_on_the_pin(self):
        assert codes(check_on_pin(at_pin_offset(0.14), TH)) == ["place.on_pin"]

    def test_a_fifth_of_a_metre_away_is_a_real_fix(self):
        assert check_on_pin(at_pin_offset(0.2), TH) == []


def labelled_wgs84(lat, lon):
    """A fix whose raw coordinates are (lat, lon), declared WGS-84 and so stored unchanged."""
    return fix(lat=lat, lon=lon, raw_lat=lat, raw_lon=lon, datum=Datum.WGS84)


def mislabelled(ev, sent_as):
    """The same visit from an app that sends `sent_as` coordinates labelled WGS-84."""

    def relabel(f):
        lat, lon = from_wgs84(f.lat, f.lon, sent_as)
        return replace(f, lat=lat, lon=lon, raw_lat=lat, raw_lon=lon, datum=Datum.WGS84)

    return replace(
        ev,
        checkin=relabel(ev.checkin),
        series=tuple(relabel(f) for f in ev.series),
        checkout=relabel(ev.checkout),
    )


class TestDatumMixup:
    @pytest.mark.parametrize("sent_as", [Datum.GCJ02, Datum.BD09])
    def test_map_sdk_coordinates_labelled_wgs84_are_explained(self, sent_as):
        ctx = context(evidence=mislabelled(evidence(), sent_as))
        [found] = check_datum_mixup(ctx, TH)
        assert (found.code, found.severity) == ("place.datum_mismatch", Severity.LOW)
        assert found.data["side"] == "fix"
        assert found.data["likely_datum"] == str(sent_as)
        assert found.data["corrected_distance_m"] < 30
        assert found.data["distance_m"] > 300
        assert check_distance_to_pin(ctx, TH) == []
        assert assess(ctx).verdict == Verdict.VERIFIED

    def test_pin_stored_in_gcj02_is_explained(self):
        gcj_lat, gcj_lon = from_wgs84(PIN.lat, PIN.lon, Datum.GCJ02)
        ctx = context(pin=Pin(lat=gcj_lat, lon=gcj_lon))
        [found] = check_datum_mixup(ctx, TH)
        assert found.data["side"] == "pin"
        assert check_distance_to_pin(ctx, TH) == []

    def test_a_fix_far_in_another_direction_is_not_a_datum_mixup(self):
        ctx = at_pin_offset(-600, -300)
        assert check_datum_mixup(ctx, TH) == []
        assert codes(check_distance_to_pin(ctx, TH)) == ["place.far_from_customer"]

    def test_outside_mainland_china_there_is_no_offset_to_blame(self):
        hong_kong = Pin(lat=22.2819, lon=114.1582)
        lat, lon = moved(hong_kong.lat, hong_kong.lon, 550, 0)
        ctx = context(pin=hong_kong, evidence=evidence(checkin=labelled_wgs84(lat, lon)))
        assert check_datum_mixup(ctx, TH) == []
        assert codes(check_distance_to_pin(ctx, TH)) == ["place.far_from_customer"]

    def test_a_near_fix_needs_no_explanation(self):
        assert check_datum_mixup(context(), TH) == []


class TestNoPin:
    def test_missing_pin_is_unverifiable(self):
        [found] = check_no_pin(context(pin=None), TH)
        assert (found.code, found.insufficient_evidence) == ("place.no_pin", True)

    def test_pin_present(self):
        assert check_no_pin(context(), TH) == []


def peer(rep_id="rep-b", seconds=-600.0, **over):
    checkin = fix()
    return summary("v-peer", 0, 0, seconds, rep_id=rep_id, lat=checkin.lat, lon=checkin.lon, **over)


class TestSharedCoordinates:
    def test_another_rep_at_identical_coordinates_is_high(self):
        [found] = check_shared_coordinates(context(peer_visits=(peer(),)), TH)
        assert (found.code, found.severity) == ("place.shared_coordinates", Severity.HIGH)
        assert found.data == {"other_reps": "rep-b", "count": 1}

    def test_the_same_rep_is_not_a_peer(self):
        assert check_shared_coordinates(context(peer_visits=(peer("rep-a"),)), TH) == []

    def test_outside_the_time_window(self):
        # the baseline check-in fix is at -5 s and the peer's fix 5 s before its check-in
        far = peer(seconds=-TH.shared_window_s - 0.5)
        near = peer(seconds=-TH.shared_window_s + 0.5)
        assert check_shared_coordinates(context(peer_visits=(far,)), TH) == []
        assert check_shared_coordinates(context(peer_visits=(near,)), TH) != []

    def test_two_reps_standing_together_do_not_share_exact_coordinates(self):
        checkin = fix()
        near = summary("v-peer", 0, 0, -60, rep_id="rep-b", lat=checkin.lat + 3e-6, lon=checkin.lon)
        assert check_shared_coordinates(context(peer_visits=(near,)), TH) == []

    def test_wifi_positions_may_coincide(self):
        ev = evidence(checkin=fix(accuracy_m=35.0, provider="network"))
        assert check_shared_coordinates(context(evidence=ev, peer_visits=(peer(),)), TH) == []

    def test_needs_as_many_reps_as_configured(self):
        th = Thresholds(shared_min_other_reps=2)
        assert check_shared_coordinates(context(peer_visits=(peer(),)), th) == []
        two = (peer(), peer("rep-c"))
        assert check_shared_coordinates(context(peer_visits=two), th) != []
