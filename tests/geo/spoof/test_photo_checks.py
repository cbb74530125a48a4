import pytest

from geo.spoof import KnownPhoto, PhotoSource, Severity, Thresholds
from geo.spoof.checks.photos import (
    check_album_photos,
    check_photo_place,
    check_photo_reuse,
    check_photo_time,
)
from geo.spoof.phash import hamming_distance
from tests.geo.spoof.builders import PIN, at, context, evidence, moved, photo

TH = Thresholds()


def codes(findings):
    return [f.code for f in findings]


def flip_bits(hex_hash, n):
    """The hash with its lowest `n` bits flipped."""
    return f"{int(hex_hash, 16) ^ ((1 << n) - 1):0{len(hex_hash)}x}"


class TestHamming:
    def test_counts_differing_bits(self):
        assert hamming_distance("ff00", "0f01") == 5

    @pytest.mark.parametrize(("a", "b"), [("ff", "fff"), ("", ""), ("zz", "00")])
    def test_incomparable_hashes(self, a, b):
        assert hamming_distance(a, b) is None


class TestPhotoReuse:
    def known(self, **over):
        fields = {"visit_id": "v-0", "rep_id": "rep-a", "sha256": "f" * 64, "phash": None}
        return KnownPhoto(**(fields | over))

    def test_same_file_as_another_visits_photo_is_high(self):
        known = self.known(sha256=photo().sha256.upper())
        [found] = check_photo_reuse(context(known_photos=(known,)), TH)
        assert (found.code, found.severity) == ("photo.reused", Severity.HIGH)
        assert found.data["other_visit_id"] == "v-0"

    def test_the_same_visits_own_photo_is_not_reuse(self):
        known = self.known(visit_id="v-1", sha256=photo().sha256)
        assert check_photo_reuse(context(known_photos=(known,)), TH) == []

    @pytest.mark.parametrize(("bits", "fires"), [(0, True), (6, True), (7, False)])
    def test_perceptual_near_duplicate(self, bits, fires):
        known = self.known(phash=flip_bits(photo().phash, bits))
        found = check_photo_reuse(context(known_photos=(known,)), TH)
        assert codes(found) == (["photo.near_duplicate"] if fires else [])

    def test_hashes_of_other_sizes_are_not_compared(self):
        known = self.known(phash=photo().phash * 2)
        assert check_photo_reuse(context(known_photos=(known,)), TH) == []


class TestAlbum:
    def test_gallery_photos_are_medium(self):
        ev = evidence(photos=(photo(1), photo(2, source=PhotoSource.ALBUM)))
        [found] = check_album_photos(context(evidence=ev), TH)
        assert (found.code, found.severity) == ("photo.album", Severity.MEDIUM)
        assert found.data == {"photo_ids": "p-2", "count": 1}

    @pytest.mark.parametrize("source", [PhotoSource.CAMERA, PhotoSource.UNKNOWN])
    def test_camera_or_unknown_source_passes(self, source):
        ev = evidence(photos=(photo(source=source),))
        assert check_album_photos(context(evidence=ev), TH) == []


class TestPhotoTime:
    # the baseline visit runs from 0 s to 1800 s
    @pytest.mark.parametrize(
        ("taken", "expected"),
        [
            (-1_800, None),
            (-1_801, Severity.MEDIUM),
            (1_800 + 1_800, None),
            (1_800 + 1_801, Severity.MEDIUM),
            (-86_401 - 1_800, Severity.HIGH),
        ],
    )
    def test_exif_time_outside_the_visit(self, taken, expected):
        ev = evidence(photos=(photo(taken_at=at(taken)),))
        found = check_photo_time(context(evidence=ev), TH)
        assert [f.severity for f in found] == ([] if expected is None else [expected])

    def test_says_before_or_after(self):
        ev = evidence(photos=(photo(taken_at=at(-7_200)),))
        [found] = check_photo_time(context(evidence=ev), TH)
        assert found.data["when"] == "before"

    def test_photo_without_exif_time(self):
        ev = evidence(photos=(photo(taken_at=None),))
        assert check_photo_time(context(evidence=ev), TH) == []


class TestPhotoPlace:
    def at_distance(self, north_m, **ev_over):
        lat, lon = moved(PIN.lat, PIN.lon, north_m, 0)
        return context(evidence=evidence(photos=(photo(exif_lat=lat, exif_lon=lon),), **ev_over))

    def test_exif_gps_far_from_check_in_and_customer_is_high(self):
        [found] = check_photo_place(self.at_distance(5_000), TH)
        assert (found.code, found.severity) == ("photo.exif_location", Severity.HIGH)

    def test_boundary_against_the_customer(self):
        # without a fix the customer pin (no accuracy) is the only reference
        assert check_photo_place(self.at_distance(999.0, checkin=None), TH) == []
        assert check_photo_place(self.at_distance(1_001.0, checkin=None), TH) != []

    def test_no_exif_gps(self):
        ev = evidence(photos=(photo(exif_lat=None, exif_lon=None),))
        assert check_photo_place(context(evidence=ev), TH) == []

    def test_nothing_to_compare_with(self):
        ctx = self.at_distance(5_000, checkin=None)
        assert check_photo_place(context(evidence=ctx.evidence, pin=None), TH) == []
