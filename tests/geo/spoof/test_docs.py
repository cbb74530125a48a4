"""docs/spoof-checks.md must name every check, finding code and threshold."""

import dataclasses
import re
from pathlib import Path

import pytest

from geo.spoof import CHECKS, Thresholds

ROOT = Path(__file__).resolve().parents[3]
DOC = (ROOT / "docs" / "spoof-checks.md").read_text(encoding="utf-8")
CODE = re.compile(r'"((?:fix|place|motion|clock|replay|photo|dwell|device)\.[a-z_]+)"')
CODES = sorted(
    {
        code
        for source in (ROOT / "geo" / "spoof" / "checks").glob("*.py")
        for code in CODE.findall(source.read_text(encoding="utf-8"))
    }
)


def test_codes_were_found():
    assert len(CODES) >= 30


@pytest.mark.parametrize("code", CODES)
def test_every_finding_code_is_documented(code):
    assert f"`{code}`" in DOC


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_every_check_is_documented(check):
    assert f"`{check.__name__}`" in DOC


@pytest.mark.parametrize("name", [field.name for field in dataclasses.fields(Thresholds)])
def test_every_threshold_has_a_documented_reason(name):
    rows = [line for line in DOC.splitlines() if line.startswith("|") and f"`{name}`" in line]
    assert any(line.split("|")[1].strip().find(f"`{name}`") >= 0 for line in rows), name


NUMBER = re.compile(r"\d+(?:\.\d+)?")


@pytest.mark.parametrize(
    "field",
    [f for f in dataclasses.fields(Thresholds) if isinstance(f.default, int | float)],
    ids=lambda f: f.name,
)
def test_documented_defaults_match_the_code(field):
    [row] = [
        line
        for line in DOC.splitlines()
        if line.startswith("|") and f"`{field.name}`" in line.split("|")[1]
    ]
    documented = {float(n) for n in NUMBER.findall(row.split("|")[2].replace(",", ""))}
    assert float(field.default) in documented
