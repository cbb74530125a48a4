import pytest

from geo.spoof import Finding, Severity, Thresholds, Verdict, combine

TH = Thresholds()


def found(severity, *, lacking=False, code="test.finding"):
    return Finding(
        code=code, severity=severity, message="A test finding.", insufficient_evidence=lacking
    )


@pytest.mark.parametrize(
    ("findings", "verdict", "score"),
    [
        ([], Verdict.VERIFIED, 100),
        ([found(Severity.INFO)], Verdict.VERIFIED, 100),
        ([found(Severity.LOW)], Verdict.VERIFIED, 95),
        ([found(Severity.MEDIUM)] * 2, Verdict.VERIFIED, 60),
        ([found(Severity.MEDIUM)] * 2 + [found(Severity.LOW)] * 2, Verdict.VERIFIED, 50),
        ([found(Severity.MEDIUM)] * 3, Verdict.SUSPICIOUS, 40),
        ([found(Severity.HIGH)], Verdict.SUSPICIOUS, 55),
        ([found(Severity.CRITICAL)], Verdict.REJECTED, 0),
        ([found(Severity.CRITICAL), found(Severity.INFO, lacking=True)], Verdict.REJECTED, 0),
        ([found(Severity.INFO, lacking=True)], Verdict.UNVERIFIED, 60),
        ([found(Severity.MEDIUM, lacking=True)] * 2, Verdict.UNVERIFIED, 60),
        ([found(Severity.MEDIUM, lacking=True)] * 3, Verdict.SUSPICIOUS, 40),
        ([found(Severity.HIGH), found(Severity.INFO, lacking=True)], Verdict.SUSPICIOUS, 55),
        ([found(Severity.HIGH)] * 3, Verdict.SUSPICIOUS, 0),
    ],
)
def test_combination_rule(findings, verdict, score):
    result = combine(findings, TH)
    assert (result.verdict, result.score) == (verdict, score)


def test_findings_are_ordered_most_severe_first_keeping_check_order_within_a_level():
    findings = [
        found(Severity.LOW, code="a"),
        found(Severity.CRITICAL, code="b"),
        found(Severity.LOW, code="c"),
        found(Severity.HIGH, code="d"),
    ]
    assert [f.code for f in combine(findings, TH).findings] == ["b", "d", "a", "c"]


def test_unverified_cap_does_not_make_a_visit_suspicious():
    th = Thresholds(unverified_max_score=30)
    result = combine([found(Severity.INFO, lacking=True)], th)
    assert (result.verdict, result.score) == (Verdict.UNVERIFIED, 30)


def test_penalties_are_configuration():
    th = Thresholds(penalty_medium=10)
    assert combine([found(Severity.MEDIUM)] * 3, th).verdict == Verdict.VERIFIED


def test_json_shape():
    finding = Finding(
        code="fix.mock", severity=Severity.CRITICAL, message="Mocked.", data={"fixes": "check-in"}
    )
    assert combine([finding], TH).to_dict() == {
        "verdict": "rejected",
        "score": 0,
        "findings": [
            {
                "code": "fix.mock",
                "severity": "critical",
                "message": "Mocked.",
                "data": {"fixes": "check-in"},
            }
        ],
    }
