"""The API token, written once: its format, how one is made, hashed and redacted.

A token is `vb_` + an 8-character prefix of [a-z0-9] + `_` + a 32-character base62
secret. `api_keys.prefix` holds the prefix and `api_keys.key_hash` the lowercase hex
SHA-256 of the whole token; the README shows InvoiceScript's PHP side doing the same.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import string

PREFIX_ALPHABET = string.ascii_lowercase + string.digits
SECRET_ALPHABET = string.ascii_letters + string.digits  # base62
PREFIX_LENGTH = 8
SECRET_LENGTH = 32
TOKEN = re.compile(rf"vb_([a-z0-9]{{{PREFIX_LENGTH}}})_([A-Za-z0-9]{{{SECRET_LENGTH}}})")
# Anything token-shaped inside other text, the secret of any length: cut before logging.
_TOKEN_IN_TEXT = re.compile(rf"(vb_[a-z0-9]{{{PREFIX_LENGTH}}})_[A-Za-z0-9]+")


def prefix_of(token: str) -> str | None:
    """The prefix of a well-formed token, or None when the text is not one."""
    match = TOKEN.fullmatch(token)
    return match.group(1) if match else None


def new_token() -> tuple[str, str]:
    """A fresh token and its prefix."""
    prefix = "".join(secrets.choice(PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
    secret = "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH))
    return f"vb_{prefix}_{secret}", prefix


def hash_token(token: str) -> str:
    """Lowercase hex SHA-256 of the whole token: what api_keys.key_hash stores."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def redact(text: str) -> str:
    """The text with every token's secret cut off, for logs."""
    return _TOKEN_IN_TEXT.sub(r"\1_[redacted]", text)
