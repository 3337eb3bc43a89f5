"""New ids and tokens: ULID-style ids, key prefixes and secrets."""

from __future__ import annotations

import secrets
import string
import time

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # a subset of [0-9A-Z]
PREFIX_ALPHABET = string.ascii_lowercase + string.digits
SECRET_ALPHABET = string.ascii_letters + string.digits  # base62


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


def new_token() -> tuple[str, str]:
    """A fresh API token and its prefix: vb_<8 of [a-z0-9]>_<32 base62>."""
    prefix = "".join(secrets.choice(PREFIX_ALPHABET) for _ in range(8))
    secret = "".join(secrets.choice(SECRET_ALPHABET) for _ in range(32))
    return f"vb_{prefix}_{secret}", prefix
