"""The output of an assessment: findings, their severity, the verdict and the score."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeAlias

DataValue: TypeAlias = str | int | float | bool | None


class Severity(StrEnum):
    """How much a finding counts against the visit."""

    INFO = "info"  # context for the reviewer; costs nothing
    LOW = "low"
    MEDIUM = "medium"  # several together make a visit suspicious
    HIGH = "high"  # alone makes a visit suspicious
    CRITICAL = "critical"  # alone rejects a visit


class Verdict(StrEnum):
    """The outcome a team lead sees; only `verified` visits count for the rep."""

    VERIFIED = "verified"
    UNVERIFIED = "unverified"  # nothing wrong, but not enough evidence to prove presence
    SUSPICIOUS = "suspicious"  # needs a team lead's review
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One observation about a visit, written for a team lead."""

    code: str  # stable dotted code, e.g. "fix.mock"; documented in docs/spoof-checks.md
    severity: Severity
    message: str  # plain English, complete sentence
    data: Mapping[str, DataValue] = field(default_factory=dict)  # the numbers behind the message
    insufficient_evidence: bool = False  # the evidence cannot prove presence (not a fault)

    def to_dict(self) -> dict[str, object]:
        """The JSON shape the API and the review screen use."""
        return {
            "code": self.code,
            "severity": str(self.severity),
            "message": self.message,
            "data": dict(self.data),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Assessment:
    """The verdict on one visit, its 0-100 score and the findings behind them."""

    verdict: Verdict
    score: int  # 100 = nothing wrong; see docs/spoof-checks.md for the arithmetic
    findings: tuple[Finding, ...] = ()

    @property
    def codes(self) -> frozenset[str]:
        """The codes of all findings, handy for tests and filters."""
        return frozenset(finding.code for finding in self.findings)

    def to_dict(self) -> dict[str, object]:
        """The JSON shape the API and the review screen use."""
        return {
            "verdict": str(self.verdict),
            "score": self.score,
            "findings": [finding.to_dict() for finding in self.findings],
        }
