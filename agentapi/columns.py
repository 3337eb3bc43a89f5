"""JSON schemas read from sql/schema.sql: a value's bounds are its column's type."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from .params import ID_PATTERN
from .sqlfiles import SQL_ROOT

ID_LENGTH = 26
COLUMN = re.compile(r"\s*(\w+)\s+([A-Z]+(?:\([^)]*\))?(?:\s+UNSIGNED)?)\s+(NOT NULL|NULL)\b")
TABLE = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+) \((.*?)\n\)", re.S)
# Integer types: (JSON format, minimum, maximum); MariaDB's ranges.
INTEGERS = {
    "SMALLINT UNSIGNED": ("int32", 0, 65535),
    "SMALLINT": ("int32", -32768, 32767),
    "INT UNSIGNED": ("int64", 0, 4294967295),
    "INT": ("int32", -2147483648, 2147483647),
}
# A DATETIME(6) as formats.py writes it, longest form: 2026-01-31T12:00:00.000000+14:00.
TIMESTAMP_LENGTH = 32
# TEXT holds 65,535 bytes; a utf8mb4 character takes at least one.
TEXT_LENGTH = 65535


@cache
def column_types() -> dict[str, tuple[str, bool]]:
    """{"table.column": (SQL type, nullable)} for every column of sql/schema.sql."""
    ddl = (SQL_ROOT / "schema.sql").read_text(encoding="utf-8")
    found = {}
    for table, body in TABLE.findall(ddl):
        for line in body.splitlines():
            match = COLUMN.match(line)
            if match and match.group(1) not in ("PRIMARY", "KEY", "UNIQUE"):
                name, kind, null = match.groups()
                found[f"{table}.{name}"] = (kind, null == "NULL")
    return found


def id_schema() -> dict[str, Any]:
    """An id: CHAR(26) of [0-9A-Z]."""
    return {
        "type": "string",
        "pattern": ID_PATTERN,
        "minLength": 1,
        "maxLength": ID_LENGTH,
        "example": "01HTENANT0000000000000000",
    }


def decimal_schema(digits: int, places: int) -> dict[str, Any]:
    """A DECIMAL(digits, places) as the fixed-point string formats.py writes."""
    whole = digits - places
    return {
        "type": "string",
        "pattern": rf"^-?[0-9]{{1,{whole}}}\.[0-9]{{{places}}}$",
        "maxLength": digits + 2,  # sign and point
    }


def _schema_of(name: str, kind: str) -> dict[str, Any]:
    """The JSON schema of one SQL type, as the API shows the value."""
    size = re.fullmatch(r"(\w+)\((\d+)(?:,(\d+))?\)", kind)
    base = size.group(1) if size else kind
    if (
        base == "CHAR"
        and size
        and int(size.group(2)) == ID_LENGTH
        and (name == "id" or name.endswith("_id"))
    ):
        return id_schema()
    if base in ("CHAR", "VARCHAR") and size:
        return {"type": "string", "maxLength": int(size.group(2))}
    if base == "TEXT":
        return {"type": "string", "maxLength": TEXT_LENGTH}
    if kind == "TINYINT(1)":
        return {"type": "boolean"}
    if kind in INTEGERS:
        fmt, low, high = INTEGERS[kind]
        return {"type": "integer", "format": fmt, "minimum": low, "maximum": high}
    if base == "DECIMAL" and size:
        return decimal_schema(int(size.group(2)), int(size.group(3) or 0))
    if base == "DATE":
        return {"type": "string", "format": "date", "minLength": 10, "maxLength": 10}
    if base == "DATETIME":
        return {"type": "string", "format": "date-time", "maxLength": TIMESTAMP_LENGTH}
    raise ValueError(f"{name}: no JSON schema for the SQL type {kind}")


def column(qualified: str, **extra: Any) -> dict[str, Any]:
    """The schema of "table.column": type, bounds and nullability from its SQL type."""
    kind, nullable = column_types()[qualified]
    if kind.startswith("ENUM("):
        values = re.findall(r"'([^']*)'", kind)
        schema: dict[str, Any] = {"type": "string", "enum": values}
    else:
        schema = _schema_of(qualified.split(".")[1], kind)
    if nullable:
        schema["nullable"] = True
    elif kind.startswith(("DATE", "DATETIME")):
        # A NOT NULL date column can still hold a zero date ('0000-00-00') written under
        # a lax sql_mode: it is no date, and is shown as null (docs/api.md, "Dates").
        schema["nullable"] = True
        schema["description"] = "null when stored as a zero date"
    return {**schema, **extra}
