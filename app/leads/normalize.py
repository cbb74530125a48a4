"""Normalized keys for duplicate detection: company names are hard to identify uniquely."""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

# Legal-form and filler words that differ between two spellings of the same company.
_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "集团",
    "公司",
    "分公司",
    "商行",
    "门店",
    "店",
    "co",
    "company",
    "corp",
    "corporation",
    "inc",
    "incorporated",
    "ltd",
    "limited",
    "llc",
    "plc",
    "gmbh",
    "group",
    "store",
    "shop",
)
_SUFFIX_RE = re.compile(
    r"(?:" + "|".join(sorted((re.escape(s) for s in _SUFFIXES), key=len, reverse=True)) + r")$"
)
_NOISE_RE = re.compile(r"[\W_]+", re.UNICODE)


def name_key(name: str) -> str:
    """Casefolded, width-folded name without punctuation, spaces and legal suffixes."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = re.sub(r"[（(][^）)]*[）)]", "", text)  # branch notes: "(浦东店)"
    words = [w for w in _NOISE_RE.split(text) if w]
    while words and words[-1] in _SUFFIXES:
        words.pop()
    key = "".join(words)
    previous = None
    while key and key != previous:
        previous, key = key, _SUFFIX_RE.sub("", key)
    return key or "".join(_NOISE_RE.split(text))


def phone_key(phone: str | None) -> str | None:
    """Digits only, without a +86/0086 country or 0 trunk prefix; None when too short to compare."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", phone))
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 10:
            digits = digits[len(prefix) :]
            break
    if digits.startswith("0") and len(digits) >= 10:
        digits = digits[1:]  # domestic trunk prefix: 021-6123 4567 is +86 21 6123 4567
    return digits if len(digits) >= 6 else None


def similarity(a: str, b: str) -> float:
    """0..1 similarity of two name keys (1.0 when one contains the other)."""
    if not a or not b:
        return 0.0
    if a in b or b in a:
        return 1.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()
