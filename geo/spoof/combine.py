"""How findings add up to a verdict and a 0-100 score (the rule in docs/spoof-checks.md)."""

from __future__ import annotations

from collections.abc import Iterable

from geo.spoof.findings import Assessment, Finding, Severity, Verdict
from geo.spoof.thresholds import Thresholds

_RANK = {severity: rank for rank, severity in enumerate(Severity)}


def penalty(severity: Severity, th: Thresholds) -> int:
    """Points one finding of this severity takes off the score."""
    return {
        Severity.INFO: 0,
        Severity.LOW: th.penalty_low,
        Severity.MEDIUM: th.penalty_medium,
        Severity.HIGH: th.penalty_high,
        Severity.CRITICAL: th.penalty_critical,
    }[severity]


def combine(findings: Iterable[Finding], th: Thresholds) -> Assessment:
    """Critical rejects; high or a low score is suspicious; missing evidence is unverified."""
    ordered = tuple(sorted(findings, key=lambda f: _RANK[f.severity], reverse=True))
    raw = max(0, 100 - sum(penalty(f.severity, th) for f in ordered))
    severities = {f.severity for f in ordered}
    lacking = any(f.insufficient_evidence for f in ordered)
    score = min(raw, th.unverified_max_score) if lacking else raw
    if Severity.CRITICAL in severities:
        verdict = Verdict.REJECTED
    elif Severity.HIGH in severities or raw < th.suspicious_below_score:
        verdict = Verdict.SUSPICIOUS
    elif lacking:
        verdict = Verdict.UNVERIFIED
    else:
        verdict = Verdict.VERIFIED
    return Assessment(verdict=verdict, score=score, findings=ordered)
