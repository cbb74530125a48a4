"""Visit spoof assessment: pure checks over plain evidence, combined into a verdict.

The visits service loads an `AssessmentContext` and calls `assess`; nothing here touches the
database or the web framework. docs/spoof-checks.md documents every check and threshold.
"""

from geo.spoof.assess import CHECKS, Check, assess
from geo.spoof.combine import combine
from geo.spoof.context import AssessmentContext, DeviceUpload, KnownPhoto, Pin, VisitSummary
from geo.spoof.evidence import Fix, Photo, PhotoSource, VisitEvidence
from geo.spoof.findings import Assessment, Finding, Severity, Verdict
from geo.spoof.thresholds import Thresholds

__all__ = [
    "CHECKS",
    "Assessment",
    "AssessmentContext",
    "Check",
    "DeviceUpload",
    "Finding",
    "Fix",
    "KnownPhoto",
    "Photo",
    "PhotoSource",
    "Pin",
    "Severity",
    "Thresholds",
    "Verdict",
    "VisitEvidence",
    "VisitSummary",
    "assess",
    "combine",
]
