"""The SQL-file registry: every statement in sql/<area>/<name>.sql, checked at start-up.

A statement may name a fragment on a line of its own, `-- include: NAME`: the line is
replaced, when the files are loaded, by sql/fragments/NAME.sql (after its leading
comments). A JSON object that several statements write (an invoice line) is thus
written once, and every statement is still one fixed text: nothing is assembled per
request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# Inside the package when installed from a wheel (agentapi/sql), next to it in a checkout.
_PACKAGE = Path(__file__).resolve().parent
SQL_ROOT = _PACKAGE / "sql" if (_PACKAGE / "sql").is_dir() else _PACKAGE.parent / "sql"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
HEADER_LINE = re.compile(r"--\s*(name|params|returns):\s*(.*)")
INCLUDE_LINE = re.compile(r"\s*--\s*include:\s*(\w+)\s*")
FRAGMENTS = "fragments"


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


def read_fragment(root: Path, name: str, within: tuple[str, ...] = ()) -> str:
    """sql/fragments/NAME.sql without its leading comment lines, its own includes done."""
    path = root / FRAGMENTS / f"{name}.sql"
    if name in within:
        raise QueryFileError(f"{FRAGMENTS}/{name}.sql: includes itself")
    if not path.is_file():
        raise QueryFileError(f"{FRAGMENTS}/{name}.sql: no such fragment")
    lines = path.read_text(encoding="utf-8").splitlines()
    # Leading comments go; an include is no comment, even as the first line of SQL.
    while (
        lines
        and not INCLUDE_LINE.fullmatch(lines[0])
        and (not lines[0].strip() or lines[0].strip().startswith("--"))
    ):
        lines.pop(0)
    done = []
    for line in lines:
        include = INCLUDE_LINE.fullmatch(line)
        done.append(read_fragment(root, include.group(1), (*within, name)) if include else line)
    return "\n".join(done).strip()


def parse_query_file(path: Path) -> Query:
    """Parse one file: a header of -- name/params/returns lines, then one statement."""
    text = path.read_text(encoding="utf-8")
    # sql/<area>/<name>.sql, also for a tree outside the repository (path.relative_to
    # the repository would raise ValueError there instead of the QueryFileError).
    where = "/".join(path.parts[-3:])
    header: dict[str, str] = {}
    body_lines: list[str] = []
    for line in text.splitlines():
        match = HEADER_LINE.fullmatch(line.strip())
        include = INCLUDE_LINE.fullmatch(line)
        if match and not body_lines:
            header[match.group(1)] = match.group(2).strip()
        elif include:
            body_lines.append(read_fragment(path.parent.parent, include.group(1)))
        elif line.strip().startswith("--") and not body_lines:
            continue
        else:
            body_lines.append(line)
    sql = "\n".join(body_lines).strip().rstrip(";").strip()
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
        if path.parent.name == FRAGMENTS:
            continue
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
