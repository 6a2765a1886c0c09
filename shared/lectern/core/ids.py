"""Time-ordered UUIDv7 primary keys, made by the app (Postgres 16 has no uuidv7()).

Keys made by one process sort in the order they were made, within a millisecond too
(RFC 9562, section 6.2, method 2: the random part of a key made in the same millisecond
as the last one is the last one's plus a random step). Lists ordered by (created_at,
id) rely on it when rows share a transaction, and so a timestamp.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid

_RANDOM_BITS = 74
_STEP_BITS = 32  # each step leaves the rest of the random part unguessable
_lock = threading.Lock()
_last = [0, 0]  # milliseconds and random part of the last key


def uuid7() -> uuid.UUID:
    """RFC 9562 version 7: 48-bit Unix milliseconds, then 74 random bits."""
    ms = time.time_ns() // 1_000_000
    with _lock:
        last_ms, last_rand = _last
        if ms > last_ms:
            rand = secrets.randbits(_RANDOM_BITS)
        else:  # the same millisecond, or the clock stepped back: count on from the last
            ms, rand = last_ms, last_rand + 1 + secrets.randbits(_STEP_BITS)
            if rand >> _RANDOM_BITS:  # the random part ran out: borrow the next millisecond
                ms, rand = ms + 1, secrets.randbits(_RANDOM_BITS - 1)
        _last[:] = ms, rand
    value = (ms & 0xFFFF_FFFF_FFFF) << 80
    value |= 0x7 << 76  # version
    value |= (rand >> 62) << 64  # rand_a: 12 bits
    value |= 0b10 << 62  # variant
    value |= rand & ((1 << 62) - 1)  # rand_b: 62 bits
    return uuid.UUID(int=value)
