"""Perceptual-hash distance on the hex strings `imagehash` produces (no imagehash import here)."""

from __future__ import annotations


def hamming_distance(a: str, b: str) -> int | None:
    """Number of differing bits between two equal-length hex hashes; None if not comparable."""
    if len(a) != len(b) or not a:
        return None
    try:
        return (int(a, 16) ^ int(b, 16)).bit_count()
    except ValueError:
        return None
