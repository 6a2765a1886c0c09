"""argon2id password hashing (argon2-cffi), at or above OWASP's minimum m=19 MiB, t=2, p=1."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from lectern.core.cache import cached_client

MEMORY_COST_KIB = 19456
TIME_COST = 2
PARALLELISM = 1


@cached_client
def _hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM)


# Verified in place of a missing hash, so an unknown email costs what a wrong password
# does. Precomputed with the parameters above: hashing it at cold start would add ~60 ms.
DUMMY_HASH = (
    "$argon2id$v=19$m=19456,t=2,p=1$cSf2w1MQ1jRxI9bINMZkpg$"
    "JwdAL2S2n3eepLGKlRe+D8aliDSSDQOjsrt2eru0104"
)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash (unknown email) spend the same time and fail."""
    try:
        return _hasher().verify(password_hash or DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)
