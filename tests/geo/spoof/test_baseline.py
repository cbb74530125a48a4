from geo.spoof import CHECKS, Thresholds, Verdict, assess
from tests.geo.spoof.builders import context


def test_honest_baseline_has_no_findings():
    result = assess(context())
    assert result.findings == ()
    assert result.verdict == Verdict.VERIFIED
    assert result.score == 100


def test_every_check_is_silent_on_the_baseline():
    ctx = context()
    for check in CHECKS:
        assert check(ctx, Thresholds()) == [], check.__name__
