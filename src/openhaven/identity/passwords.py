"""Password hashing with argon2id, and a fixed-cost check for accounts that do not exist.

Production uses argon2-cffi's recommended parameters. Test suites may set
``OPENHAVEN_PASSWORD_HASHING=fast`` to use the smallest parameters argon2 allows; the
setting is read on every call, is never the default, and hashes made with either profile
verify under the other (argon2 hashes carry their own parameters).
"""

from __future__ import annotations

import contextlib
import os

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from openhaven.core.errors import InvalidInput, Location

PROFILE_ENV = "OPENHAVEN_PASSWORD_HASHING"
MIN_LENGTH = 12
MAX_LENGTH = 1024

_PRODUCTION = PasswordHasher(type=Type.ID)
_FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)
_dummy_hashes: dict[int, str] = {}


def _hasher() -> PasswordHasher:
    return _FAST if os.environ.get(PROFILE_ENV) == "fast" else _PRODUCTION


def check_password_rules(password: str, field: str = "password") -> None:
    """Refuse a password that is too short or absurdly long (naming the field, not the value)."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"The password must be at least {MIN_LENGTH} characters long",
                           Location(field=field))
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"The password must be at most {MAX_LENGTH} characters long",
                           Location(field=field))


def hash_password(password: str) -> str:
    check_password_rules(password)
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True if ``password`` matches; an account without a password costs the same and fails."""
    if stored_hash is None or len(password) > MAX_LENGTH:
        verify_against_nothing(password[:MAX_LENGTH])
        return False
    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)


def verify_against_nothing(password: str) -> None:
    """Spend the time a real check would, so unknown accounts answer as slowly as known ones."""
    hasher = _hasher()
    key = id(hasher)
    if key not in _dummy_hashes:
        _dummy_hashes[key] = hasher.hash("not a password anyone has")
    with contextlib.suppress(VerificationError, InvalidHashError):
        hasher.verify(_dummy_hashes[key], password)
