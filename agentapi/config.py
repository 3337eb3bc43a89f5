"""Settings: defaults, the AGENTAPI_* environment, and their validation."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from limits import parse_many

ENV_PREFIX = "AGENTAPI_"

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


def _choice(*choices: str) -> Callable[[str, str], str]:
    def parse(name: str, raw: str) -> str:
        value = raw.upper() if choices[0].isupper() else raw.lower()
        if value not in choices:
            raise ConfigError(f"{ENV_PREFIX}{name} must be {', '.join(choices)}")
        return value

    return parse


def _url_prefix(name: str, raw: str) -> str:
    prefix = raw.rstrip("/")
    if prefix and not re.fullmatch(r"(/[A-Za-z0-9._~-]+)+", prefix):
        raise ConfigError(f"{ENV_PREFIX}{name} must be a path like /api/agent/v1")
    return prefix


def _storage_uri(name: str, raw: str) -> str:
    if not re.match(r"(memory|redis|rediss|redis\+unix|redis\+sentinel|redis\+cluster)://", raw):
        raise ConfigError(f"{ENV_PREFIX}{name} must be memory:// or redis://...")
    return raw


def _whole(low: int, high: int) -> Callable[[str, str], int]:
    def parse(name: str, raw: str) -> int:
        if not re.fullmatch(r"[0-9]{1,9}", raw.strip()):
            raise ConfigError(f"{ENV_PREFIX}{name} must be a whole number")
        value = int(raw)
        if not low <= value <= high:
            raise ConfigError(f"{ENV_PREFIX}{name} must be between {low} and {high}")
        return value

    return parse


def _seconds(low: float, high: float) -> Callable[[str, str], float]:
    return lambda name, raw: _number(name, raw, low, high)


def _optional_database_url(name: str, raw: str) -> DatabaseTarget | None:
    return parse_database_url(name, raw) if raw else None


def _optional_rate(name: str, raw: str) -> str | None:
    return _rate(name, raw) if raw else None


@dataclass(frozen=True)
class Setting:
    """One setting: AGENTAPI_<name>, its default, how it is read, and what it means."""

    name: str
    default: str
    parse: Callable[[str, str], Any]
    meaning: str


# Every setting, once. create_app reads them (load_settings); the README's
# configuration table and deploy/agentapi.env.example list the same names, and
# tests/test_config.py fails when one of the three names a setting the others lack.
SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DATABASE_URL",
        "mysql://root@localhost/invoicescript?unix_socket=/run/mysqld/mysqld.sock",
        parse_database_url,
        "InvoiceScript's database: mysql://user:pass@host:port/db or ?unix_socket=/path",
    ),
    Setting(
        "WRITE_DATABASE_URL",
        "",
        _optional_database_url,
        "where last_used_at is written when DATABASE_URL is a replica (default: the same)",
    ),
    Setting("DATABASE_TLS", "off", _choice("off", "on", "verify"), "off, on or verify"),
    Setting("DATABASE_TLS_CA", "", lambda _n, raw: raw or None, "CA bundle for verify"),
    Setting("DATABASE_CONNECT_TIMEOUT", "3", _seconds(0.1, 60), "seconds to wait for a connection"),
    Setting(
        "STATEMENT_TIMEOUT", "5", _seconds(0.01, 600), "seconds a statement may run (then 503)"
    ),
    Setting("URL_PREFIX", "/api/agent/v1", _url_prefix, "path prefix of every route"),
    Setting("RATE_LIMIT", "60 per minute", _rate, "accepted requests per key (moving window)"),
    Setting(
        "BURST_LIMIT",
        "",
        _optional_rate,
        "every request of a key, 304s included (default: ten times RATE_LIMIT)",
    ),
    Setting("EXPORT_COST", "10", _whole(1, 1000), "quota slots one /invoices/export request uses"),
    Setting(
        "RATELIMIT_STORAGE_URI",
        "memory://",
        _storage_uri,
        "where limit counters live: memory:// or redis://",
    ),
    Setting("AUTH_FAILURE_LIMIT", "30 per minute", _rate, "failed authentications per address"),
    Setting(
        "CURSOR_SECRET",
        "",
        lambda _n, raw: _cursor_secret(raw),
        "signs pagination cursors (32+ random characters); unset: the random secret "
        "`agentapi db init` keeps in the database",
    ),
    Setting(
        "TRUSTED_PROXIES", "0", _whole(0, 5), "proxies in front whose X-Forwarded-* are believed"
    ),
    Setting(
        "KEY_CACHE_SECONDS",
        "0.5",
        _seconds(0, 1),
        "seconds a verified key is reused per process; a revoked key stops within it",
    ),
    Setting(
        "LAST_USED_INTERVAL",
        "60",
        _seconds(0, 86400),
        "seconds between last_used_at writes per key and process",
    ),
    Setting(
        "CORS_ORIGINS",
        "",
        lambda _n, raw: tuple(raw.split()),
        "space-separated origins allowed to read responses (none by default)",
    ),
    Setting("LOG_LEVEL", "INFO", _choice("DEBUG", "INFO", "WARNING", "ERROR"), "log level"),
)
# Read by deploy/gunicorn.conf.py, not by the app; listed in the README too.
GUNICORN_SETTINGS = ("BIND", "WORKERS", "THREADS")


def _ten_times(rate: str) -> str:
    """A limit ten times the given one, over the same window."""
    item = parse_many(rate)[0]
    return f"{item.amount * 10} per {item.multiples} {item.GRANULARITY.name}"


def load_settings(
    environ: Mapping[str, str], overrides: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Read every setting from overrides, the environment or its default, and check it."""
    names = {setting.name for setting in SETTINGS}
    unknown = set(overrides or {}) - names - {"TESTING"}
    if unknown:
        raise ConfigError(f"unknown setting {sorted(unknown)[0]}")
    settings: dict[str, Any] = {}
    for setting in SETTINGS:
        if overrides and setting.name in overrides:
            raw = str(overrides[setting.name])
        else:
            raw = environ.get(ENV_PREFIX + setting.name, setting.default)
        settings[setting.name] = setting.parse(setting.name, raw)
    settings["DATABASE"] = settings["DATABASE_URL"]
    settings["WRITE_DATABASE"] = settings["WRITE_DATABASE_URL"] or settings["DATABASE_URL"]
    settings["BURST_LIMIT"] = settings["BURST_LIMIT"] or _ten_times(settings["RATE_LIMIT"])
    settings["TESTING"] = bool((overrides or {}).get("TESTING", False))
    return settings
