"""The SQL-file registry: every statement in sql/<area>/<name>.sql, checked at start-up."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# Inside the package when installed from a wheel (agentapi/sql), next to it in a checkout.
_PACKAGE = Path(__file__).resolve().parent
SQL_ROOT = _PACKAGE / "sql" if (_PACKAGE / "sql").is_dir() else _PACKAGE.parent / "sql"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
HEADER_LINE = re.compile(r"--\s*(name|params|returns):\s*(.*)")


class QueryFileError(Exception):
    """A file in sql/ is missing, malformed or disagrees with its header."""


@dataclass(frozen=True)
class Query:
    """One parameterised statement and what its header promises."""

    name: str
    sql: str
    params: frozenset[str]
    returns: str
    path: Path


def parse_query_file(path: Path) -> Query:
    """Parse one file: a header of -- name/params/returns lines, then one statement."""
    text = path.read_text(encoding="utf-8")
    header: dict[str, str] = {}
    body_lines: list[str] = []
    for line in text.splitlines():
        match = HEADER_LINE.fullmatch(line.strip())
        if match and not body_lines:
            header[match.group(1)] = match.group(2).strip()
        elif line.strip().startswith("--") and not body_lines:
            continue
        else:
            body_lines.append(line)
    sql = "\n".join(body_lines).strip().rstrip(";").strip()
    # sql/<area>/<name>.sql, also for a tree outside the repository (path.relative_to
    # the repository would raise ValueError there instead of the QueryFileError).
    where = "/".join(path.parts[-3:])
    for field in ("name", "params", "returns"):
        if field not in header:
            raise QueryFileError(f"{where}: header lacks '-- {field}:'")
    if header["name"] != path.stem:
        raise QueryFileError(f"{where}: header name {header['name']!r} differs from file name")
    if not sql:
        raise QueryFileError(f"{where}: no statement")
    if ";" in sql:
        raise QueryFileError(f"{where}: more than one statement")
    stray = PLACEHOLDER.sub("", sql).replace("%%", "")
    if "%" in stray:
        raise QueryFileError(f"{where}: '%' outside a %(name)s placeholder (write %%)")
    declared = frozenset(p for p in re.split(r"[,\s]+", header["params"]) if p and p != "none")
    used = frozenset(PLACEHOLDER.findall(sql))
    if declared != used:
        raise QueryFileError(
            f"{where}: header params {sorted(declared)} differ from placeholders {sorted(used)}"
        )
    returns = header["returns"].split()[0] if header["returns"] else ""
    if returns not in ("rows", "row", "nothing"):
        raise QueryFileError(f"{where}: returns must start with rows, row or nothing")
    return Query(header["name"], sql, declared, returns, path)


def load_queries(root: Path = SQL_ROOT) -> dict[str, Query]:
    """Load and check every sql/<area>/*.sql file; names must be unique."""
    queries: dict[str, Query] = {}
    for path in sorted(root.glob("*/*.sql")):
        query = parse_query_file(path)
        if query.name in queries:
            raise QueryFileError(f"{path}: query name {query.name!r} used twice")
        queries[query.name] = query
    if not queries:
        raise QueryFileError(f"no query files under {root}")
    return queries


def read_script(name: str) -> list[str]:
    """Split a top-level script such as schema.sql into its statements."""
    text = (SQL_ROOT / name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.strip().startswith("--")]
    return [stmt.strip() for stmt in "\n".join(lines).split(";") if stmt.strip()]
