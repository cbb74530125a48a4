from dataclasses import replace
from datetime import timedelta

import pytest

from geo.spoof import DeviceUpload, Severity, Thresholds
from geo.spoof.checks.clock import (
    check_backdating,
    check_device_continuity,
    check_future_time,
    check_late_upload,
    check_replay,
    check_stale_fix,
)
from tests.geo.spoof.builders import BOOT, CAPTURE_ELAPSED_MS, at, context, evidence, fix

TH = Thresholds()


def codes(findings):
    return [f.code for f in findings]


def shifted(ev, seconds):
    """The same visit from a phone whose wall clock runs `seconds` fast."""
    d = timedelta(seconds=seconds)

    def move(f):
        return None if f is None else replace(f, fix_time=f.fix_time + d)

    return replace(
        ev,
        captured_at=ev.captured_at + d,
        upload_device_time=ev.upload_device_time + d,
        checked_out_at=ev.checked_out_at + d,
        checkin=move(ev.checkin),
        series=tuple(move(f) for f in ev.series),
        checkout=move(ev.checkout),
        photos=tuple(replace(p, taken_at=p.taken_at + d) for p in ev.photos),
    )


class TestFutureTime:
    # the baseline upload arrives at +20 s and the phone's clock reads +21 s then (1 s fast)
    @pytest.mark.parametrize(("ahead", "fires"), [(119, False), (122, True)])
    def test_fix_after_the_upload_beyond_the_tolerance(self, ahead, fires):
        ev = evidence(checkin=fix(fix_time=at(20 + ahead)))
        found = check_future_time(context(evidence=ev), TH)
        assert codes(found) == (["clock.future_time"] if fires else [])

    def test_a_fast_clock_is_corrected_by_the_measured_offset(self):
        ev = shifted(evidence(), 25 * 60)
        assert check_future_time(context(evidence=ev), TH) == []

    def test_without_a_measured_offset_the_margin_is_wider(self):
        ev = evidence(upload_device_time=None, captured_at=at(20 + 899))
        assert check_future_time(context(evidence=ev), TH) == []
        ev = evidence(upload_device_time=None, captured_at=at(20 + 901))
        [found] = check_future_time(context(evidence=ev), TH)
        assert found.severity == Severity.HIGH
        assert found.data["clock_offset_s"] is None


class TestStaleFix:
    def test_fix_five_minutes_old_is_fine(self):
        ev = evidence(checkin=fix(fix_time=at(-300), elapsed_realtime_ms=None))
        assert check_stale_fix(context(evidence=ev), TH) == []

    def test_older_fix_cannot_prove_presence(self):
        ev = evidence(checkin=fix(fix_time=at(-301), elapsed_realtime_ms=None))
        [found] = check_stale_fix(context(evidence=ev), TH)
        assert (found.code, found.severity, found.insufficient_evidence) == (
            "clock.stale_fix",
            Severity.MEDIUM,
            True,
        )

    def test_fix_older_than_half_an_hour_is_high(self):
        ev = evidence(checkin=fix(fix_time=at(-1_801), elapsed_realtime_ms=None))
        [found] = check_stale_fix(context(evidence=ev), TH)
        assert found.severity == Severity.HIGH

    def test_restamped_fix_is_caught_by_the_uptime_clock(self):
        old = fix(elapsed_realtime_ms=CAPTURE_ELAPSED_MS - 3 * 3_600_000)  # wall time says 5 s
        [found] = check_stale_fix(context(evidence=evidence(checkin=old)), TH)
        assert found.severity == Severity.HIGH
        assert found.data["monotonic_age_s"] == 3 * 3_600 and found.data["wall_clock_age_s"] == 5

    def test_uptime_from_another_boot_is_not_compared(self):
        old = fix(elapsed_realtime_ms=CAPTURE_ELAPSED_MS - 3 * 3_600_000, boot_count=BOOT - 1)
        assert check_stale_fix(context(evidence=evidence(checkin=old)), TH) == []


class TestLateUpload:
    def held(self, delay, **over):
        return evidence(received_at=at(delay), upload_device_time=at(delay), **over)

    def test_prompt_upload(self):
        assert check_late_upload(context(evidence=self.held(TH.late_upload_s)), TH) == []

    def test_online_visit_held_back_is_high(self):
        [found] = check_late_upload(context(evidence=self.held(TH.late_upload_s + 1)), TH)
        assert (found.code, found.severity) == ("clock.late_upload", Severity.HIGH)

    def test_offline_visit_synced_later_is_informational(self):
        ev = self.held(6 * 3_600, captured_offline=True)
        [found] = check_late_upload(context(evidence=ev), TH)
        assert found.severity == Severity.INFO
        assert "offline" in found.message

    def test_slow_device_clock_does_not_look_late(self):
        ev = shifted(evidence(), -3_600)
        assert check_late_upload(context(evidence=ev), TH) == []


class TestBackdating:
    def test_clock_turned_back_at_check_in(self):
        # the phone says check-in was an hour before upload, its uptime clock says 21 s
        ev = evidence(captured_at=at(-3_600))
        [found] = check_backdating(context(evidence=ev), TH)
        assert (found.code, found.severity) == ("clock.backdated", Severity.HIGH)
        assert found.data["drift_s"] == 3_600

    def test_clock_set_forward_at_check_in(self):
        ev = evidence(captured_at=at(600))
        assert codes(check_backdating(context(evidence=ev), TH)) == ["clock.postdated"]

    @pytest.mark.parametrize(("drift", "fires"), [(119, False), (121, True)])
    def test_tolerance(self, drift, fires):
        ev = evidence(captured_at=at(-drift))
        assert bool(check_backdating(context(evidence=ev), TH)) is fires

    def test_reboot_between_capture_and_upload_skips_the_check(self):
        ev = evidence(captured_at=at(-3_600), upload_boot_count=BOOT + 1, upload_elapsed_ms=40_000)
        [found] = check_backdating(context(evidence=ev), TH)
        assert (found.code, found.severity) == ("clock.rebooted", Severity.INFO)

    def test_uptime_running_backwards(self):
        ev = evidence(upload_elapsed_ms=CAPTURE_ELAPSED_MS - 1)
        assert codes(check_backdating(context(evidence=ev), TH)) == ["clock.monotonic_regressed"]

    def test_without_device_time_the_server_clock_is_used_with_a_wide_margin(self):
        ev = evidence(upload_device_time=None, captured_at=at(-800))
        assert check_backdating(context(evidence=ev), TH) == []
        ev = evidence(upload_device_time=None, captured_at=at(-1_000))
        assert codes(check_backdating(context(evidence=ev), TH)) == ["clock.backdated"]

    def test_without_uptime_readings_there_is_nothing_to_compare(self):
        ev = evidence(captured_at=at(-3_600), capture_elapsed_ms=None)
        assert check_backdating(context(evidence=ev), TH) == []


class TestDeviceContinuity:
    def last(self, seconds_before, elapsed_before_s, boot=BOOT):
        upload = CAPTURE_ELAPSED_MS + 21_000
        return DeviceUpload(
            elapsed_ms=int(upload - elapsed_before_s * 1_000),
            boot_count=boot,
            received_at=at(20 - seconds_before),
        )

    def test_consistent_uptime(self):
        ctx = context(device_last_upload=self.last(3_600, 3_600 + 30))
        assert check_device_continuity(ctx, TH) == []

    def test_uptime_disagrees_with_server_time(self):
        ctx = context(device_last_upload=self.last(3_600, 600))
        [found] = check_device_continuity(ctx, TH)
        assert (found.code, found.severity) == ("clock.uptime_mismatch", Severity.HIGH)

    def test_after_a_reboot_nothing_compares(self):
        ctx = context(device_last_upload=self.last(3_600, 600, boot=BOOT - 1))
        assert check_device_continuity(ctx, TH) == []


class TestReplay:
    def test_payload_seen_for_another_visit_is_critical(self):
        ctx = context(seen_payloads={"payload-v-1": "v-0"})
        [found] = check_replay(ctx, TH)
        assert (found.code, found.severity) == ("replay.payload", Severity.CRITICAL)
        assert found.data == {"original_visit_id": "v-0"}

    def test_idempotent_retry_of_the_same_visit(self):
        assert check_replay(context(seen_payloads={"payload-v-1": "v-1"}), TH) == []

    def test_unseen_or_missing_hash(self):
        assert check_replay(context(seen_payloads={"other": "v-0"}), TH) == []
        ctx = context(evidence=evidence(payload_hash=None), seen_payloads={"x": "v-0"})
        assert check_replay(ctx, TH) == []
