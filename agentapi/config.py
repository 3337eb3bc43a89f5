"""Settings: defaults, the AGENTAPI_* environment, and their validation."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from limits import parse_many

ENV_PREFIX = "AGENTAPI_"

# name -> (default, meaning); the README's configuration table mirrors this.
SETTINGS: dict[str, tuple[str, str]] = {
    "DATABASE_URL": (
        "mysql://root@localhost/invoicescript?unix_socket=/run/mysqld/mysqld.sock",
        "InvoiceScript's database: mysql://user:pass@host:port/db or ?unix_socket=/path",
    ),
    "WRITE_DATABASE_URL": ("", "where last_used_at is written when DATABASE_URL is a replica"),
    "DATABASE_TLS": ("off", "off, on (encrypt) or verify (encrypt and check the certificate)"),
    "DATABASE_TLS_CA": ("", "CA bundle for DATABASE_TLS=verify"),
    "DATABASE_CONNECT_TIMEOUT": ("3", "seconds to wait for a database connection"),
    "STATEMENT_TIMEOUT": ("5", "seconds a query may run before the server cuts it off"),
    "URL_PREFIX": ("/api/agent/v1", "path prefix of every route"),
    "RATE_LIMIT": ("60 per minute", "accepted requests per key (moving window)"),
    "RATELIMIT_STORAGE_URI": ("memory://", "where limit counters live: memory:// or redis://"),
    "AUTH_FAILURE_LIMIT": ("30 per minute", "failed authentications per client address"),
    "CURSOR_SECRET": (
        "",
        "signs pagination cursors (32+ random characters); unset: the random secret "
        "`agentapi db init` keeps in the database",
    ),
    "TRUSTED_PROXIES": ("0", "number of proxies in front whose X-Forwarded-* are trusted"),
    "LAST_USED_INTERVAL": ("60", "seconds between last_used_at writes per key and process"),
    "CORS_ORIGINS": ("", "space-separated origins allowed to read responses (none by default)"),
    "LOG_LEVEL": ("INFO", "DEBUG, INFO, WARNING or ERROR"),
}


MIN_SECRET_LENGTH = 32
# Words of the placeholders people ship or type ('CHANGE-ME', 'your-secret-here', ...),
# compared on the value lowercased with everything but letters and digits removed.
PLACEHOLDER_WORDS = (
    "changeme",
    "replaceme",
    "placeholder",
    "example",
    "secret",
    "password",
    "default",
    "yourkey",
    "todo",
)
MIN_DISTINCT_CHARACTERS = 8
HOW_TO_MAKE_ONE = "openssl rand -hex 32"


class ConfigError(Exception):
    """A setting has a value the service cannot run with."""


def weak_secret_reason(value: str) -> str | None:
    """Why a signing secret is too weak to use, or None when it will do."""
    if len(value) < MIN_SECRET_LENGTH:
        return f"must be at least {MIN_SECRET_LENGTH} characters"
    folded = re.sub(r"[^a-z0-9]", "", value.lower())
    if any(word in folded for word in PLACEHOLDER_WORDS):
        return "is a placeholder, not a secret"
    if len(set(value)) < MIN_DISTINCT_CHARACTERS:
        return "repeats too few characters to be random"
    return None


def _cursor_secret(raw: str) -> bytes | None:
    # Never derived from another setting: anything a client could know or guess
    # (the database URL) would let it mint cursors and test guesses offline.
    if not raw:
        return None
    reason = weak_secret_reason(raw)
    if reason:
        # The value itself is never repeated: it may be a real, if weak, secret.
        raise ConfigError(f"{ENV_PREFIX}CURSOR_SECRET {reason}; make one with: {HOW_TO_MAKE_ONE}")
    return raw.encode()


@dataclass(frozen=True)
class DatabaseTarget:
    """Where and how to connect to MySQL/MariaDB."""

    host: str
    port: int
    user: str
    password: str
    database: str
    unix_socket: str | None

    def connect_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for pymysql.connect."""
        kwargs: dict[str, Any] = {
            "user": self.user,
            "password": self.password,
            "database": self.database,
        }
        if self.unix_socket:
            kwargs["unix_socket"] = self.unix_socket
        else:
            kwargs["host"] = self.host
            kwargs["port"] = self.port
        return kwargs


def parse_database_url(name: str, url: str) -> DatabaseTarget:
    """Read mysql://user:pass@host:port/db[?unix_socket=/path] into a target."""
    parts = urlsplit(url)
    if parts.scheme not in ("mysql", "mariadb", "mysql+pymysql"):
        raise ConfigError(f"{ENV_PREFIX}{name} must start with mysql://")
    database = unquote(parts.path.lstrip("/"))
    if not re.fullmatch(r"[A-Za-z0-9_$]{1,64}", database):
        raise ConfigError(f"{ENV_PREFIX}{name} must name a database, as in mysql://host/dbname")
    query = parse_qs(parts.query)
    unknown = set(query) - {"unix_socket"}
    if unknown:
        raise ConfigError(f"{ENV_PREFIX}{name} has unknown option {sorted(unknown)[0]}")
    try:
        port = parts.port or 3306
    except ValueError:
        raise ConfigError(f"{ENV_PREFIX}{name} has an invalid port") from None
    return DatabaseTarget(
        host=parts.hostname or "localhost",
        port=port,
        user=unquote(parts.username or "root"),
        password=unquote(parts.password or ""),
        database=database,
        unix_socket=query.get("unix_socket", [None])[0],
    )


def _number(name: str, raw: str, low: float, high: float) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{ENV_PREFIX}{name} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{ENV_PREFIX}{name} must be between {low:g} and {high:g}")
    return value


def _rate(name: str, raw: str) -> str:
    try:
        parse_many(raw)
    except ValueError:
        raise ConfigError(
            f"{ENV_PREFIX}{name} must read like '60 per minute', got {raw!r}"
        ) from None
    return raw


def load_settings(environ: Mapping[str, str], overrides: Mapping[str, Any] | None) -> dict:
    """Merge defaults, environment and overrides, then check every value."""
    raw = {name: environ.get(ENV_PREFIX + name, default) for name, (default, _) in SETTINGS.items()}
    unknown = set(overrides or {}) - set(SETTINGS) - {"TESTING"}
    if unknown:
        raise ConfigError(f"unknown setting {sorted(unknown)[0]}")
    raw.update({k: v for k, v in (overrides or {}).items() if k in SETTINGS})

    prefix = raw["URL_PREFIX"].rstrip("/")
    if prefix and not re.fullmatch(r"(/[A-Za-z0-9._~-]+)+", prefix):
        raise ConfigError(f"{ENV_PREFIX}URL_PREFIX must be a path like /api/agent/v1")
    tls = raw["DATABASE_TLS"].lower()
    if tls not in ("off", "on", "verify"):
        raise ConfigError(f"{ENV_PREFIX}DATABASE_TLS must be off, on or verify")
    level = raw["LOG_LEVEL"].upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"{ENV_PREFIX}LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
    storage = raw["RATELIMIT_STORAGE_URI"]
    if not re.match(
        r"(memory|redis|rediss|redis\+unix|redis\+sentinel|redis\+cluster)://", storage
    ):
        raise ConfigError(f"{ENV_PREFIX}RATELIMIT_STORAGE_URI must be memory:// or redis://...")
    try:
        proxies = int(raw["TRUSTED_PROXIES"])
    except ValueError:
        raise ConfigError(f"{ENV_PREFIX}TRUSTED_PROXIES must be a whole number") from None
    if not 0 <= proxies <= 5:
        raise ConfigError(f"{ENV_PREFIX}TRUSTED_PROXIES must be between 0 and 5")

    database = parse_database_url("DATABASE_URL", raw["DATABASE_URL"])
    write_url = raw["WRITE_DATABASE_URL"]
    return {
        "DATABASE": database,
        "WRITE_DATABASE": parse_database_url("WRITE_DATABASE_URL", write_url)
        if write_url
        else database,
        "DATABASE_TLS": tls,
        "DATABASE_TLS_CA": raw["DATABASE_TLS_CA"] or None,
        "DATABASE_CONNECT_TIMEOUT": _number(
            "DATABASE_CONNECT_TIMEOUT", raw["DATABASE_CONNECT_TIMEOUT"], 0.1, 60
        ),
        "STATEMENT_TIMEOUT": _number("STATEMENT_TIMEOUT", raw["STATEMENT_TIMEOUT"], 0.01, 600),
        "URL_PREFIX": prefix,
        "RATE_LIMIT": _rate("RATE_LIMIT", raw["RATE_LIMIT"]),
        "RATELIMIT_STORAGE_URI": storage,
        "AUTH_FAILURE_LIMIT": _rate("AUTH_FAILURE_LIMIT", raw["AUTH_FAILURE_LIMIT"]),
        "CURSOR_SECRET": _cursor_secret(raw["CURSOR_SECRET"]),
        "TRUSTED_PROXIES": proxies,
        "LAST_USED_INTERVAL": _number("LAST_USED_INTERVAL", raw["LAST_USED_INTERVAL"], 0, 86400),
        "CORS_ORIGINS": tuple(raw["CORS_ORIGINS"].split()),
        "LOG_LEVEL": level,
        "TESTING": bool((overrides or {}).get("TESTING", False)),
    }
