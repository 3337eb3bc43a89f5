"""New ids: ULID-style, 26 characters of Crockford base32, ordered by time."""

from __future__ import annotations

import secrets
import time

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # a subset of [0-9A-Z]


def encode_crockford(value: int, length: int) -> str:
    """An integer as fixed-width Crockford base32."""
    chars = []
    for _ in range(length):
        value, digit = divmod(value, 32)
        chars.append(CROCKFORD[digit])
    return "".join(reversed(chars))


def new_id(now_ms: int | None = None, randomness: int | None = None) -> str:
    """A 26-character time-ordered id (48-bit milliseconds, 80 random bits)."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    rand = secrets.randbits(80) if randomness is None else randomness
    return encode_crockford((ms << 80) | rand, 26)
