import pytest

from geo.spoof import Severity, Thresholds
from geo.spoof.checks.visit import check_checkout_place, check_device_binding, check_dwell
from tests.geo.spoof.builders import at, context, evidence, fix

TH = Thresholds()


class TestDwell:
    @pytest.mark.parametrize(("dwell", "code"), [(120, None), (119, "dwell.too_short")])
    def test_minimum_dwell(self, dwell, code):
        found = check_dwell(context(evidence=evidence(checked_out_at=at(dwell))), TH)
        assert [f.code for f in found] == ([] if code is None else [code])

    def test_check_out_before_check_in_is_high(self):
        [found] = check_dwell(context(evidence=evidence(checked_out_at=at(-60))), TH)
        assert (found.code, found.severity) == ("dwell.negative", Severity.HIGH)

    def test_no_check_out_yet(self):
        assert check_dwell(context(evidence=evidence(checked_out_at=None)), TH) == []


class TestCheckoutPlace:
    @pytest.mark.parametrize(("north", "fires"), [(511.9, False), (512.1, True)])
    def test_check_out_radius_after_accuracy(self, north, fires):
        ev = evidence(checkout=fix(north, 0, accuracy_m=12.0))
        found = check_checkout_place(context(evidence=ev), TH)
        assert [f.code for f in found] == (["dwell.checkout_far"] if fires else [])
        assert all(f.severity == Severity.MEDIUM for f in found)

    def test_check_out_without_fix(self):
        assert check_checkout_place(context(evidence=evidence(checkout=None)), TH) == []


class TestDeviceBinding:
    def test_device_of_another_rep_is_high(self):
        ev = evidence(device_id="dev-b", device_rep_ids=frozenset({"rep-b"}))
        [found] = check_device_binding(context(evidence=ev), TH)
        assert (found.code, found.severity) == ("device.unbound", Severity.HIGH)
        assert "rep-b" in found.message
        assert found.data == {"device_id": "dev-b", "device_reps": "rep-b"}

    def test_unregistered_device(self):
        ev = evidence(device_id="dev-new", device_rep_ids=frozenset())
        [found] = check_device_binding(context(evidence=ev), TH)
        assert found.message.endswith("not registered to this rep.")

    def test_bound_device(self):
        assert check_device_binding(context(), TH) == []
