"""Normalized keys for duplicate detection (no database)."""

from __future__ import annotations

import pytest

from app.leads import normalize


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Golden Dragon Trading Co., Ltd.", "golden dragon trading"),
        ("金龙贸易有限公司", "金龙贸易"),
        ("金龙贸易（浦东店）", "金龙贸易"),
        ("ＧＯＬＤＥＮ　ＤＲＡＧＯＮ", "golden dragon"),
        ("Acme Inc", "ACME"),
    ],
)
def test_spellings_of_one_company_share_a_key(a, b):
    assert normalize.name_key(a) == normalize.name_key(b)


def test_a_name_made_only_of_a_suffix_keeps_a_key():
    assert normalize.name_key("Store") == "store"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("138 1234 5678", "+86 138-1234-5678"),
        ("13812345678", "0086 13812345678"),
        ("021-6123 4567", "+86 21 6123 4567"),
        ("0571 8888 8888", "+86 571 88888888"),
        ("(021) 61234567", "86-21-61234567"),
    ],
)
def test_formats_of_one_phone_share_a_key(a, b):
    assert normalize.phone_key(a) == normalize.phone_key(b) is not None


@pytest.mark.parametrize("phone", [None, "", "12345", "call me"])
def test_phones_too_short_to_compare_have_no_key(phone):
    assert normalize.phone_key(phone) is None


def test_similarity():
    assert normalize.similarity("goldendragon", "goldendragontrading") == 1.0
    assert normalize.similarity("", "x") == 0.0
    assert normalize.similarity("goldendragon", "silverphoenix") < 0.5
