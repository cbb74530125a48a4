"""A corpus of whole visits: honest hard cases must never be rejected, fraud must not pass."""

from dataclasses import replace
from datetime import timedelta

import pytest

from geo.datums import Datum, from_wgs84, to_wgs84
from geo.spoof import (
    AssessmentContext,
    KnownPhoto,
    PhotoSource,
    Pin,
    Verdict,
    VisitEvidence,
    assess,
)
from tests.geo.spoof.builders import (
    BOOT,
    CAPTURE_ELAPSED_MS,
    PIN,
    at,
    context,
    evidence,
    fix,
    moved,
    photo,
    summary,
)


def near(north_m, east_m=0.0, pin=PIN, **over):
    """A fix `north_m`/`east_m` from `pin` (the default fix is placed relative to PIN)."""
    lat, lon = moved(pin.lat, pin.lon, north_m, east_m)
    return fix(lat=lat, lon=lon, **over)


def elsewhere(pin, ev):
    """The baseline visit moved to another customer `pin`."""

    def move(f):
        d_lat, d_lon = f.lat - PIN.lat, f.lon - PIN.lon
        return replace(f, lat=pin.lat + d_lat, lon=pin.lon + d_lon)

    return replace(
        ev,
        checkin=move(ev.checkin),
        series=tuple(move(f) for f in ev.series),
        checkout=move(ev.checkout),
        photos=tuple(replace(p, exif_lat=pin.lat, exif_lon=pin.lon) for p in ev.photos),
    )


def synced_later(ev, delay_s, **over):
    """The visit uploaded `delay_s` after capture on the same boot."""
    return replace(
        ev,
        received_at=ev.captured_at + timedelta(seconds=delay_s),
        upload_device_time=ev.captured_at + timedelta(seconds=delay_s + 1),
        upload_elapsed_ms=CAPTURE_ELAPSED_MS + int((delay_s + 1) * 1_000),
        **over,
    )


HONG_KONG = Pin(lat=22.28190, lon=114.15820)  # Central
MACAU = Pin(lat=22.19870, lon=113.54390)
TAIPEI = Pin(lat=25.03370, lon=121.56450)
SHANGHAI = Pin(lat=31.23040, lon=121.47370)


def honest_cases() -> dict[str, AssessmentContext]:
    ev = evidence()
    hsr_track = tuple(
        near(2_000 + 95.0 * 60 * k, fix_time=at(-240 - 60 * k), speed_mps=95.0, accuracy_m=8.0)
        for k in range(4)
    )
    approx = near(1_500, 0, accuracy_m=2_000.0, provider="fused", satellites=None)
    gcj_raw = from_wgs84(*moved(SHANGHAI.lat, SHANGHAI.lon, 30, 10), Datum.GCJ02)
    gcj_fix = fix(
        lat=to_wgs84(*gcj_raw, Datum.GCJ02)[0],
        lon=to_wgs84(*gcj_raw, Datum.GCJ02)[1],
        raw_lat=gcj_raw[0],
        raw_lon=gcj_raw[1],
        datum=Datum.GCJ02,
    )
    return {
        "indoor 35 m accuracy, fused, 60 m away": context(
            evidence=replace(ev, checkin=near(60, 0, accuracy_m=35.0, provider="fused"))
        ),
        "indoor 80 m accuracy, 150 m away": context(
            evidence=replace(ev, checkin=near(150, 0, accuracy_m=80.0, provider="network"))
        ),
        "basement, no fix at all": context(
            evidence=replace(ev, checkin=None, series=(), checkout=None)
        ),
        "basement, network-only 650 m accuracy 400 m away": context(
            evidence=replace(
                ev,
                checkin=near(400, 0, accuracy_m=650.0, provider="network", satellites=None),
                series=(),
            )
        ),
        "offline, synced six hours later": context(
            evidence=synced_later(ev, 6 * 3_600, captured_offline=True)
        ),
        "rebooted between capture and upload, synced next morning": context(
            evidence=replace(
                synced_later(ev, 20 * 3_600, captured_offline=True),
                upload_boot_count=BOOT + 1,
                upload_elapsed_ms=300_000,
            ),
            device_last_upload=None,
        ),
        "got off a 350 km/h train, check-in at a station shop": context(
            evidence=replace(ev, series=hsr_track)
        ),
        "flew in from Shanghai, 1,067 km in 2.5 hours": context(
            day_visits=(
                summary(
                    "v-sha",
                    0,
                    0,
                    -3 * 3_600,
                    lat=SHANGHAI.lat,
                    lon=SHANGHAI.lon,
                    checked_out_at=at(-2.5 * 3_600),
                ),
            )
        ),
        "visits 300 km apart by high-speed rail": context(
            day_visits=(summary("v-0", 300_000, 0, -2 * 3_600, checked_out_at=at(-5_400)),)
        ),
        "approximate-location permission, 2 km accuracy": context(
            evidence=replace(ev, checkin=approx, series=())
        ),
        "Hong Kong coordinates sent as WGS-84": context(
            pin=HONG_KONG, evidence=elsewhere(HONG_KONG, ev)
        ),
        "Macau coordinates sent as WGS-84": context(pin=MACAU, evidence=elsewhere(MACAU, ev)),
        "Taipei coordinates sent as WGS-84": context(pin=TAIPEI, evidence=elsewhere(TAIPEI, ev)),
        "Shanghai, GCJ-02 from the Amap SDK, labelled correctly": context(
            pin=SHANGHAI,
            evidence=replace(elsewhere(SHANGHAI, ev), checkin=gcj_fix, series=()),
        ),
        "Beijing, Amap coordinates mislabelled WGS-84 by an old app": context(
            evidence=replace(
                ev,
                checkin=fix(
                    lat=from_wgs84(ev.checkin.lat, ev.checkin.lon, Datum.GCJ02)[0],
                    lon=from_wgs84(ev.checkin.lat, ev.checkin.lon, Datum.GCJ02)[1],
                ),
                series=(),
                checkout=None,
            )
        ),
        "phone clock 25 minutes fast, measured at upload": context(
            evidence=replace(
                ev,
                captured_at=at(1_500),
                checkin=fix(fix_time=at(1_495)),
                series=(),
                upload_device_time=at(1_521),
                checked_out_at=at(3_300),
                checkout=fix(fix_time=at(3_295)),
                photos=(photo(taken_at=at(1_560)),),
            )
        ),
        "fix six minutes old indoors": context(
            evidence=replace(
                ev, checkin=fix(fix_time=at(-360), elapsed_realtime_ms=None), series=()
            )
        ),
        "ride-along with the team lead, different coordinates": context(
            peer_visits=(summary("v-lead", 3, -2, -30, rep_id="lead-1"),)
        ),
        "same customer last week, Wi-Fi fix repeats exactly": context(
            evidence=replace(ev, checkin=fix(accuracy_m=40.0, provider="network"), series=()),
            recent_visits=(
                summary(
                    "v-last-week",
                    0,
                    0,
                    -7 * 86_400,
                    lat=fix().lat,
                    lon=fix().lon,
                    accuracy_m=40.0,
                ),
            ),
        ),
        "same customer yesterday, fresh GPS coordinates": context(
            recent_visits=(summary("v-yday", 18, 7, -86_400),)
        ),
        "GPS glitch of 700 m between series fixes": context(
            evidence=replace(ev, series=(near(720, 0, fix_time=at(-6)),))
        ),
        "neighbouring shop visited before, forgot to check out": context(
            day_visits=(summary("v-0", 120, 40, -1_800, checked_out_at=at(600)),)
        ),
    }


HONEST = honest_cases()
VERIFIED_OR_UNVERIFIED = {Verdict.VERIFIED, Verdict.UNVERIFIED}


@pytest.mark.parametrize("name", list(HONEST))
def test_honest_hard_cases_are_verified_or_unverified(name):
    result = assess(HONEST[name])
    assert result.verdict in VERIFIED_OR_UNVERIFIED, [f.to_dict() for f in result.findings]


@pytest.mark.parametrize(
    ("name", "verdict"),
    [
        ("indoor 80 m accuracy, 150 m away", Verdict.VERIFIED),
        ("basement, no fix at all", Verdict.UNVERIFIED),
        ("approximate-location permission, 2 km accuracy", Verdict.UNVERIFIED),
        ("offline, synced six hours later", Verdict.VERIFIED),
        ("Hong Kong coordinates sent as WGS-84", Verdict.VERIFIED),
        ("got off a 350 km/h train, check-in at a station shop", Verdict.VERIFIED),
        ("flew in from Shanghai, 1,067 km in 2.5 hours", Verdict.VERIFIED),
    ],
)
def test_honest_hard_cases_land_where_expected(name, verdict):
    assert assess(HONEST[name]).verdict == verdict


def fraud_cases() -> dict[str, tuple[AssessmentContext, str]]:
    """Each case with the finding code that must explain it."""
    ev = evidence()
    home = near(5_200, 1_800)
    same_as = fix()
    frozen = tuple(replace(same_as, fix_time=at(-5 - 10 * k)) for k in range(3))
    pin_fix = near(0, 0, accuracy_m=5.0)
    old_photo = KnownPhoto(visit_id="v-old", rep_id="rep-a", sha256=photo().sha256)
    return {
        "mock-location app": (
            context(evidence=replace(ev, checkin=fix(is_mock=True))),
            "fix.mock",
        ),
        "rooted spoofer parks on the customer pin": (
            context(evidence=replace(ev, checkin=pin_fix, series=())),
            "place.on_pin",
        ),
        "checks in from home 5 km away": (
            context(evidence=replace(ev, checkin=home, series=(), checkout=None)),
            "place.far_from_customer",
        ),
        "joystick app with a frozen position": (
            context(evidence=replace(ev, checkin=frozen[0], series=frozen[1:])),
            "fix.frozen_series",
        ),
        "last week's location replayed": (
            context(
                recent_visits=(
                    summary("v-old", 0, 0, -7 * 86_400, lat=same_as.lat, lon=same_as.lon),
                )
            ),
            "fix.repeated_coordinates",
        ),
        "fake location shared in the team chat": (
            context(
                peer_visits=(
                    summary("v-b", 0, 0, -900, rep_id="rep-b", lat=same_as.lat, lon=same_as.lon),
                    summary("v-c", 0, 0, -300, rep_id="rep-c", lat=same_as.lat, lon=same_as.lon),
                )
            ),
            "place.shared_coordinates",
        ),
        "mock toggled on for check-in only, back at the office": (
            context(
                evidence=replace(
                    ev,
                    series=(near(9_000, 0, fix_time=at(-150)), near(9_000, 0, fix_time=at(150))),
                    checkout=None,
                )
            ),
            "motion.teleport_return",
        ),
        "two customers 30 km apart five minutes apart": (
            context(day_visits=(summary("v-0", 30_000, 0, -300, checked_out_at=at(-200)),)),
            "motion.impossible_speed",
        ),
        "pre-saved location sent three hours later": (
            context(evidence=replace(ev, checkin=fix(fix_time=at(-3 * 3_600)))),
            "clock.stale_fix",
        ),
        "online visit held back and sent in the afternoon": (
            context(evidence=synced_later(ev, 4 * 3_600)),
            "clock.late_upload",
        ),
        "clock turned back an hour to log a morning visit": (
            context(evidence=replace(ev, captured_at=at(-3_600))),
            "clock.backdated",
        ),
        "clock set forward to pre-log an afternoon visit": (
            context(
                evidence=replace(
                    ev, checkin=fix(fix_time=at(3 * 3_600)), captured_at=at(3 * 3_600 + 5)
                )
            ),
            "clock.future_time",
        ),
        "payload replayed under a new visit id": (
            context(seen_payloads={"payload-v-1": "v-0"}),
            "replay.payload",
        ),
        "last month's storefront photo reused": (
            context(known_photos=(old_photo,)),
            "photo.reused",
        ),
        "resaved old photo from the gallery": (
            context(
                evidence=replace(
                    ev,
                    photos=(
                        photo(
                            sha256="e" * 64,
                            source=PhotoSource.ALBUM,
                            taken_at=at(-20 * 86_400),
                        ),
                    ),
                ),
                known_photos=(
                    KnownPhoto(
                        visit_id="v-old", rep_id="rep-a", sha256="d" * 64, phash=photo().phash
                    ),
                ),
            ),
            "photo.near_duplicate",
        ),
        "photo taken at another shop 8 km away": (
            context(
                evidence=replace(ev, photos=(photo(exif_lat=moved(PIN.lat, PIN.lon, 8_000)[0]),))
            ),
            "photo.exif_location",
        ),
        "visit logged from a colleague's phone": (
            context(evidence=replace(ev, device_id="dev-b", device_rep_ids=frozenset({"rep-b"}))),
            "device.unbound",
        ),
        "drive-by: 30 s stop, check-out down the road, gallery photo": (
            context(
                evidence=replace(
                    ev,
                    checked_out_at=at(30),
                    checkout=near(900, 0, fix_time=at(25)),
                    photos=(photo(source=PhotoSource.ALBUM),),
                )
            ),
            "dwell.too_short",
        ),
        "GPS fix from zero satellites on the pin's doorstep, old gallery photo": (
            context(
                evidence=replace(
                    ev,
                    checkin=fix(satellites=0),
                    checked_out_at=at(60),
                    photos=(photo(source=PhotoSource.ALBUM),),
                )
            ),
            "fix.no_satellites",
        ),
    }


FRAUD = fraud_cases()


@pytest.mark.parametrize("name", list(FRAUD))
def test_fraud_patterns_are_caught(name):
    ctx, code = FRAUD[name]
    result = assess(ctx)
    assert result.verdict in {Verdict.SUSPICIOUS, Verdict.REJECTED}
    assert code in result.codes


def test_corpus_sizes():
    assert len(HONEST) >= 12
    assert len(FRAUD) >= 12


def test_every_finding_is_readable():
    for ctx in [*HONEST.values(), *(ctx for ctx, _ in FRAUD.values())]:
        for finding in assess(ctx).findings:
            assert finding.message[0].isupper() and finding.message.endswith((".", ")"))
            assert "{" not in finding.message


def test_evidence_type_is_the_public_contract():
    assert isinstance(evidence(), VisitEvidence)
