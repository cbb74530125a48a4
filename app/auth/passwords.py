"""Password hashing with argon2id (OWASP parameters from argon2-cffi's defaults)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
MIN_LENGTH = 10


def use_fast_hashing_for_tests() -> None:
    """Cheap argon2id parameters (tests only): stored hashes carry their own parameters."""
    global _hasher
    _hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    _dummy_hash.cache_clear()


def hash_password(password: str) -> str:
    """Hash a password for storage."""
    return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    return _hasher.hash("timing-equaliser-not-a-password")


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Constant-effort check: an unknown account costs the same as a wrong password."""
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
