"""`make bench`: fill (or reuse) the bench database, serve, drive wrk, print and write the table.

Every row is measured twice: with the database on its unix socket and over TCP on
127.0.0.1, the service and the query floor (bench/floor_app.py) alike, the limit
counters in one private redis-server the harness starts. Each row carries its target
and a verdict.

Environment (all optional):
  BENCH_DATABASE_URL      the bench database over the unix socket (its name must start
                          with agentapi_bench); default
                          mysql://root@localhost/agentapi_bench?unix_socket=/run/mysqld/mysqld.sock
  BENCH_TCP_DATABASE_URL  the same database over TCP; default: BENCH_DATABASE_URL's user,
                          password and database at 127.0.0.1:3306
  BENCH_INVOICES      invoices of the big business (default 1000000)
  BENCH_DURATION      seconds per wrk run (default 4)     BENCH_RUNS  rounds (default 5, >= 3)
  BENCH_CONNECTIONS   wrk connections (default 16)        BENCH_WORKERS  gunicorn workers (2)
  BENCH_SORTS         invoice sorts with a first and a deep row (default -issue_date, the
                      default sort; e.g. "-issue_date issue_date -updated_at updated_at")
  BENCH_RSS_REQUESTS  requests for the memory row (default 60000)
  BENCH_OUTPUT        where the report goes (default docs/benchmarks.md)
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import importlib
import json
import os
import platform
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import quote

from agentapi import keys
from agentapi.auth import SCOPES
from agentapi.config import parse_database_url
from agentapi.db import Database
from agentapi.sqlfiles import load_queries

from . import fill, reports
from .checks import Check

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# The floor is served as the bare app would be: the service's worker model, gunicorn's
# defaults otherwise (bench/floor_gunicorn.conf.py).
FLOOR_CONFIG = "bench/floor_gunicorn.conf.py"
PREFIX = "/api/agent/v1"
# The bench's own signing key (AGENTAPI_CURSOR_SECRET needs 32+ random characters).
CURSOR_SECRET = "96516966d32137d6e39ccd402509b49d2dfc7400e06666dd47b7f6cf190741b5"
RATE_LIMIT = "1000000 per minute"  # raised through configuration, still counted
# A whole-million report takes 3-4 s here on a quiet host, more on a busy one: the
# default statement limit (5 s) would answer it 503 (seen on 2026-12-01).
STATEMENT_TIMEOUT = "60"

DEFAULT_URL = "mysql://root@localhost/agentapi_bench?unix_socket=/run/mysqld/mysqld.sock"
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
INVOICES = min(1_000_000, int(os.environ.get("BENCH_INVOICES", "1000000")))
DURATION = int(os.environ.get("BENCH_DURATION", "4"))
RUNS = max(3, int(os.environ.get("BENCH_RUNS", "5")))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
RSS_REQUESTS = int(os.environ.get("BENCH_RSS_REQUESTS", "60000"))
OUTPUT = Path(os.environ.get("BENCH_OUTPUT", str(ROOT / "docs" / "benchmarks.md")))
DEEP = min(900_000, INVOICES * 9 // 10)
BIG = fill.BIG_BUSINESS
ALL_SORTS = ("-issue_date", "issue_date", "-updated_at", "updated_at")
SORTS = tuple(os.environ.get("BENCH_SORTS", "-issue_date").split())
LIMITS = (1, 7, 200)  # statements per request must not depend on the page size
AVAILABILITY = "from=2026-02-02&to=2026-02-09"  # 7 days

# Targets of the issue: req/s of a service row over its floor row, at least.
FLOOR_TARGETS = {"first": 1.0, "items": 0.7, "businesses": 1.0, "services": 1.0, "avail": 1.0}
DEEP_COST = 1.2  # first page req/s / deep page req/s, at most
P99_OVER_P50 = 2.0
RSS_GROWTH_MIB = 5.0
REPORT_RUNS = 5  # timings per report and side (a whole-million summary takes about 1 s)
# Modules that add rows when present (bench/export.py: the export rows). Each offers
# `bench_rows(context: Context) -> list[Check]`; a module that is missing is skipped.
OPTIONAL_PROVIDERS = ("bench.export",)

# The keyset position of the row at a given depth, per sort (bench-only SQL).
POSITION_SQL = {
    sort: (
        f"SELECT {col}, id FROM invoices FORCE INDEX (ix_invoices_{col})"
        f" WHERE business_id = %s AND deleted_at IS NULL"
        f" ORDER BY {col} {'DESC' if sort.startswith('-') else 'ASC'},"
        f" id {'DESC' if sort.startswith('-') else 'ASC'} LIMIT 1 OFFSET %s"
    )
    for sort in ALL_SORTS
    for col in [sort.lstrip("-")]
}


def tcp_url(url: str) -> str:
    """The same database and user as url, over TCP on 127.0.0.1:3306."""
    target = parse_database_url("BENCH_DATABASE_URL", url)
    password = f":{quote(target.password, safe='')}" if target.password else ""
    return f"mysql://{quote(target.user, safe='')}{password}@127.0.0.1:3306/{target.database}"


# connection type -> database URL; the service and the floor of a type use the same.
URLS = {
    "socket": DATABASE_URL,
    "tcp": os.environ.get("BENCH_TCP_DATABASE_URL") or tcp_url(DATABASE_URL),
}


def log(message: str) -> None:
    """Progress on stderr, so stdout holds the table."""
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    """A free loopback TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, headers: dict[str, str] | None = None, timeout: float = 30) -> None:
    """Wait until a URL answers 200."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            request = urllib.request.Request(url, headers=headers or {})
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: {url} did not answer 200 within {timeout:.0f} s")
        time.sleep(0.2)


def get_json(url: str, token: str) -> dict:
    """GET a URL with the bench key; the JSON body."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def shown_path(path: Path | str) -> str:
    """A path as the docs show it: relative to the checkout, or a placeholder."""
    path = Path(path)
    if path.is_relative_to(ROOT):
        return str(path.relative_to(ROOT))
    return str(path)


@dataclass
class Server:
    """A process the harness started, with its log file."""

    name: str
    process: subprocess.Popen
    log_path: Path
    port: int = 0

    def worker_pids(self) -> list[int]:
        """gunicorn's worker processes (children of the master), from /proc."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError):
                # The fields after the command's closing parenthesis: state, ppid, ...
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == self.process.pid:
                    pids.append(int(stat.parent.name))
        return sorted(pids)

    def stop(self) -> None:
        """Stop it and wait."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def rss_kib(pid: int) -> int:
    """Resident set size of a process, KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


@dataclass
class Row:
    """One wrk line of the table: what is measured, against what, and the runs' figures.

    kind: "raw", "floor" (a floor route), "first", "items", "deep", "businesses",
    "services" or "avail". floor: the key of the floor row a service row is compared
    with; first: the first-page row a deep row is compared with; also: a second floor
    row, whose ratio is shown beside the target (no verdict).
    """

    key: str
    label: str
    conn: str
    server: str
    path: str
    kind: str
    floor: str = ""
    first: str = ""
    also: str = ""  # a second floor row whose ratio is shown beside the verdict's
    runs: list[dict] = field(default_factory=list)

    def median(self, key: str) -> float:
        """The median of one figure over the runs."""
        return statistics.median(run[key] for run in self.runs)


class Bench:
    """Starts the servers, runs wrk, collects the figures."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.servers: dict[str, Server] = {}
        self.commands: list[str] = []
        self.token = ""

    def start_redis(self) -> Server:
        """A private redis-server on a free port, no persistence: every app's limit counters."""
        port = free_port()
        log_path = self.workdir / "redis.log"
        command = [
            "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--logfile", str(log_path), "--dir", str(self.workdir),
        ]  # fmt: skip
        self.commands.append(shlex.join(command).replace(str(self.workdir), "$WORKDIR"))
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        server = Server("redis", process, log_path, port)
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if time.monotonic() > deadline:
                raise SystemExit("bench: redis-server did not start")
            time.sleep(0.1)
        self.servers["redis"] = server
        return server

    def redis_url(self) -> str:
        """The limit storage every app shares."""
        return f"redis://127.0.0.1:{self.servers['redis'].port}/0"

    def env(self, port: int, url: str) -> dict[str, str]:
        """An app's environment: a database URL, redis limits, a raised rate limit."""
        return {
            **os.environ,
            "AGENTAPI_DATABASE_URL": url,
            "AGENTAPI_BIND": f"127.0.0.1:{port}",
            "AGENTAPI_WORKERS": str(WORKERS),
            "AGENTAPI_RATELIMIT_STORAGE_URI": self.redis_url(),
            "AGENTAPI_RATE_LIMIT": RATE_LIMIT,
            "AGENTAPI_CURSOR_SECRET": CURSOR_SECRET,
            "AGENTAPI_STATEMENT_TIMEOUT": STATEMENT_TIMEOUT,
        }

    def start_gunicorn(
        self,
        name: str,
        app: str,
        url: str,
        probe: str,
        extra: tuple[str, ...] = (),
        config: str = "deploy/gunicorn.conf.py",
    ) -> Server:
        """gunicorn serving app (with the shipped config unless told); its log in the workdir."""
        port = free_port()
        env = self.env(port, url)
        command = [str(BIN / "gunicorn"), "-c", config, *extra, app]
        shown = {k: env[k] for k in env if k.startswith("AGENTAPI_") and k not in os.environ}
        self.commands.append(
            " ".join(f"{k}={shlex.quote(v)}" for k, v in shown.items())
            + " "
            + shlex.join([shown_path(command[0]), *command[1:]])
        )
        log_path = self.workdir / f"{name}.log"
        with log_path.open("ab") as log_file:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT
            )
        server = Server(name, process, log_path, port)
        self.servers[name] = server
        headers = {"Authorization": f"Bearer {self.token}"} if name.startswith("service") else {}
        wait_http(f"http://127.0.0.1:{port}{probe}", headers)
        return server

    def base(self, server: str) -> str:
        """A server's base URL."""
        return f"http://127.0.0.1:{self.servers[server].port}"

    def wrk(self, server: str, paths: list[str], seconds: int, record: bool = True) -> dict:
        """One wrk run against a server; its figures."""
        port = self.servers[server].port
        command = [
            "wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s",
            "-s", "bench/wrk.lua", f"http://127.0.0.1:{port}{paths[0]}",
        ]  # fmt: skip
        service = server.startswith("service")
        env = {**os.environ, "BENCH_TOKEN": self.token if service else ""}
        if len(paths) > 1:
            env["BENCH_PATHS"] = "|".join(paths)
        if record:
            shown = "BENCH_TOKEN=$TOKEN " if service else ""
            if len(paths) > 1:
                shown += f"BENCH_PATHS={shlex.quote(env['BENCH_PATHS'])} "
            self.commands.append(shown + shlex.join(command))
        out = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
        line = next(x for x in out.stdout.splitlines() if x.startswith("BENCH "))
        figures = json.loads(line[len("BENCH ") :])
        if figures["non_2xx"] or figures["socket_errors"]:
            raise SystemExit(
                f"bench: {server} {paths[0]}: {figures['non_2xx']} non-2xx answers and "
                f"{figures['socket_errors']} socket errors; see {self.servers[server].log_path}"
            )
        figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
        return figures

    def stop_all(self) -> None:
        """Stop every process the harness started."""
        for server in reversed(list(self.servers.values())):
            server.stop()


@dataclass
class Context:
    """What an optional row provider gets: the running servers and the bench data."""

    bench: Bench
    databases: dict[str, Database]  # connection type -> the bench database
    urls: dict[str, str]  # connection type -> the bench database's URL
    services: dict[str, str]  # connection type -> base URL of the service (with PREFIX)
    business_id: str
    invoices: int
    log: Callable[[str], None]


def make_key(database: Database) -> str:
    """A fresh key with every scope (older bench keys are removed: this is our database)."""
    with database._connection().cursor() as cursor:
        cursor.execute("DELETE FROM api_key_businesses")
        cursor.execute("DELETE FROM api_keys")
    return keys.create_key(database, "bench", list(SCOPES))


def sign(payload: bytes) -> str:
    """Sign a cursor payload as agentapi.pagination does, with the bench's secret."""
    digest = hmac.new(CURSOR_SECRET.encode(), payload, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def b64(raw: bytes) -> str:
    """Unpadded URL-safe base64."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def deep_cursor(base: str, token: str, database: Database, sort: str) -> str:
    """A cursor DEEP rows into the big business's invoices in this order, checked."""
    url = f"{base}{PREFIX}/invoices"
    first = get_json(f"{url}?business_id={BIG}&sort={sort}&limit=1", token)
    body = first["next_cursor"].split(".")[0]
    binding = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["b"]
    with database._connection().cursor() as cursor:
        cursor.execute(POSITION_SQL[sort], (BIG, DEEP - 1))
        key, row_id = cursor.fetchone().values()
        cursor.execute(POSITION_SQL[sort], (BIG, DEEP))
        expected_next = list(cursor.fetchone().values())[1]
    key_text = key.isoformat(timespec="microseconds") if isinstance(key, datetime) else str(key)
    payload = json.dumps({"b": binding, "p": [key_text, row_id]}).encode()
    cursor_text = f"{b64(payload)}.{sign(payload)}"
    page = get_json(f"{url}?business_id={BIG}&sort={sort}&cursor={cursor_text}", token)
    if page["data"][0]["id"] != expected_next:
        raise SystemExit(f"bench: the deep cursor for {sort} did not land where expected")
    return cursor_text


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "unknown"
    with contextlib.suppress(OSError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kib / 1024 / 1024:.1f} GiB"

    def version(command: list[str]) -> str:
        try:
            out = subprocess.run(command, capture_output=True, text=True, check=False)
        except OSError:
            return "unknown"
        return (out.stdout or out.stderr).strip().splitlines()[0]

    return {
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "memory": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "database": version(["mariadb", "--version"]),
        "wrk": version(["wrk", "-v"]),
        "redis": version(["redis-server", "--version"]),
        "gunicorn": version([str(BIN / "gunicorn"), "--version"]),
    }


def loadavg() -> str:
    """The load averages (1, 5, 15 min): other work on the machine shows here."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


@contextlib.contextmanager
def running(bench: Bench) -> Iterator[None]:
    """Stop everything on the way out, whatever happens."""
    try:
        yield
    finally:
        bench.stop_all()


def rows_for(conn: str, deep: dict[str, str]) -> list[Row]:
    """The wrk rows of one connection type, each service row right after its floor row."""
    floor, service, k = f"floor-{conn}", f"service-{conn}", f"{conn}:"
    inv = f"{PREFIX}/invoices?business_id={BIG}&limit=50"
    avail = f"/availability?business_id={BIG}&{AVAILABILITY}"

    def floor_row(key: str, label: str, path: str) -> Row:
        return Row(k + key, f"floor: {label}", conn, floor, path, "floor")

    def service_row(key: str, label: str, path: str, kind: str, against: str) -> Row:
        return Row(k + key, label, conn, service, path, kind, k + against)

    rows = [
        floor_row("floor", "/invoices first page", f"/invoices?business_id={BIG}"),
        service_row("first", "/invoices first page (default sort)", inv, "first", "floor"),
        # The items target is against the plain first page (above); the floor's
        # own include=items page is measured too, and its ratio shown beside it.
        floor_row("floor-items", "/invoices first page, include=items",
                  f"/invoices?business_id={BIG}&include=items"),
        service_row("items", "/invoices first page, include=items", f"{inv}&include=items",
                    "items", "floor"),
    ]  # fmt: skip
    rows[-1].also = k + "floor-items"
    for sort in SORTS:
        first = "first"
        if sort != "-issue_date":
            first = f"first{sort}"
            rows.append(
                service_row(first, f"/invoices first page, sort={sort}", f"{inv}&sort={sort}",
                            "first", "floor")
            )  # fmt: skip
        deep_row = service_row(
            f"deep{sort}", f"/invoices {DEEP:,} rows deep, sort={sort}",
            f"{inv}&sort={sort}&cursor={deep[sort]}", "deep", "floor",
        )  # fmt: skip
        deep_row.first = k + first
        rows.append(deep_row)
    for route, label, kind, path in (
        ("businesses", "/businesses", "businesses", "/businesses"),
        ("services", "/services", "services", f"/services?business_id={BIG}"),
        ("availability", "/availability, 7 days", "avail", avail),
    ):
        rows.append(floor_row(f"floor-{route}", label, path))
        rows.append(service_row(route, label, f"{PREFIX}{path}", kind, f"floor-{route}"))
    return rows


def measure(bench: Bench, rows: list[Row]) -> None:
    """Warm every row once, then RUNS rounds over all rows in turn (drift hits all alike)."""
    log(f"warming up {len(rows)} rows")
    for row in rows:
        bench.wrk(row.server, [row.path], 1, record=False)
    for run in range(1, RUNS + 1):
        log(f"round {run} of {RUNS} (load average {loadavg()})")
        for row in rows:
            row.runs.append(bench.wrk(row.server, [row.path], DURATION, record=run == 1))


def round_ratio(row: Row, other: Row) -> float:
    """req/s of row over other: the median of the rounds' ratios (each pair measured
    back to back, so load from elsewhere hits both sides of a ratio alike)."""
    return statistics.median(a["rps"] / b["rps"] for a, b in zip(row.runs, other.runs, strict=True))


def wrk_checks(rows: list[Row]) -> dict[str, tuple[str, str, bool | None]]:
    """Per row key: (x floor, target with figure, verdict or None for a row without one)."""
    by = {row.key: row for row in rows}
    out: dict[str, tuple[str, str, bool | None]] = {}
    for row in rows:
        if row.kind in ("raw", "floor"):
            out[row.key] = ("", "", None)
            continue
        ratio = round_ratio(row, by[row.floor])
        if row.kind == "deep":
            first = by[row.first]
            cost = round_ratio(first, row)
            spread = row.median("p99_us") / row.median("p50_us")
            ok = cost <= DEEP_COST and spread <= P99_OVER_P50
            target = (
                f"first/deep <= {DEEP_COST} ({cost:.2f}); p99/p50 <= {P99_OVER_P50:g} "
                f"({spread:.2f})"
            )
            out[row.key] = (f"{ratio:.2f}", target, ok)
            continue
        goal = FLOOR_TARGETS[row.kind]
        target = f">= {goal:.1f}x floor"
        if row.also:
            target += f" ({round_ratio(row, by[row.also]):.2f}x the {by[row.also].label})"
        out[row.key] = (f"{ratio:.2f}", target, ratio >= goal)
    return out


def wrk_table(rows: list[Row]) -> list[str]:
    """The Markdown table of medians, ratios, targets and verdicts."""
    checks = wrk_checks(rows)
    lines = [
        "| db over | what | req/s | p50 ms | p99 ms | p99/p50 | x floor | target | verdict |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        rps, p50, p99 = row.median("rps"), row.median("p50_us"), row.median("p99_us")
        ratio, target, ok = checks[row.key]
        verdict = "" if ok is None else ("PASS" if ok else "**FAIL**")
        lines.append(
            f"| {row.conn} | {row.label} | {rps:,.0f} | {p50 / 1000:.2f} | {p99 / 1000:.2f} | "
            f"{p99 / p50:.2f} | {ratio} | {target} | {verdict} |"
        )
    return lines


def check_table(checks: list[Check]) -> list[str]:
    """The Markdown table of the other checks."""
    lines = ["| db over | check | figure | target | verdict |", "|---|---|---|---|---|"]
    for c in checks:
        verdict = "PASS" if c.ok else "**FAIL**"
        lines.append(f"| {c.conn} | {c.label} | {c.figure} | {c.target} | {verdict} |")
    return lines


def report_checks(context: Context, as_of: date) -> list[Check]:
    """Each report beside the same statement run by the mariadb client, per connection."""
    out = []
    for conn, database in context.databases.items():
        log(f"reports over {conn}")
        results = reports.compare(
            context.services[conn], context.bench.token, database, BIG, as_of, REPORT_RUNS
        )
        for r in results:
            out.append(
                Check(
                    conn,
                    f"report: {r['label']} ({r['rows']} rows)",
                    f"{r['service_s'] * 1000:.0f} ms vs client {r['client_s'] * 1000:.0f} ms"
                    f" = {r['ratio']:.2f}x",
                    f"<= {reports.TARGET_RATIO}x the mariadb client",
                    r["ratio"] <= reports.TARGET_RATIO,
                )
            )
    return out


def statement_checks(redis_url: str, token: str) -> list[Check]:
    """Statements per request at limits 1, 7 and 200, counted in process
    (Database.statements_run, as tests/test_query_count.py does)."""
    from agentapi import create_app

    app = create_app(
        {
            "DATABASE_URL": DATABASE_URL,
            "RATE_LIMIT": RATE_LIMIT,
            "RATELIMIT_STORAGE_URI": redis_url,
            "CURSOR_SECRET": CURSOR_SECRET,
            "LOG_LEVEL": "WARNING",
        }
    )
    database = app.extensions["agentapi.db"]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    paths = {
        "/invoices": f"{PREFIX}/invoices?business_id={BIG}",
        "/invoices include=items": f"{PREFIX}/invoices?business_id={BIG}&include=items",
        "/businesses": f"{PREFIX}/businesses?",
        "/services": f"{PREFIX}/services?business_id={BIG}",
        "/availability": f"{PREFIX}/availability?business_id={BIG}&{AVAILABILITY}",
    }
    out = []
    for label, path in paths.items():
        client.get(f"{path}&limit=1", headers=headers)  # the key's last_used_at write
        counts = {}
        for limit in LIMITS:
            before = database.statements_run
            response = client.get(f"{path}&limit={limit}", headers=headers)
            if response.status_code != 200:
                raise SystemExit(f"bench: {path}: {response.status_code} {response.data[:200]!r}")
            counts[limit] = database.statements_run - before
        figure = ", ".join(f"limit {k}: {v}" for k, v in counts.items())
        out.append(
            Check("socket", f"statements per request, {label}", figure, "constant in limit",
                  len(set(counts.values())) == 1)
        )  # fmt: skip
    return out


def rss_check(bench: Bench, paths: list[str]) -> Check:
    """Worker RSS before and after RSS_REQUESTS requests, with worker recycling off."""
    bench.servers["service-socket"].stop()
    server = bench.start_gunicorn(
        "service-socket", "wsgi:app", URLS["socket"], f"{PREFIX}/health", ("--max-requests", "0")
    )
    bench.wrk("service-socket", paths, 3, record=False)  # warm: caches, connections, imports
    pids = server.worker_pids()
    before = {pid: rss_kib(pid) for pid in pids}
    done = 0
    first = True
    while done < RSS_REQUESTS:
        done += bench.wrk("service-socket", paths, 10, record=first)["requests"]
        first = False
    after = {pid: rss_kib(pid) for pid in server.worker_pids()}
    if sorted(after) != pids:
        raise SystemExit("bench: a worker was replaced during the memory row")
    growth = max((after[pid] - before[pid]) / 1024 for pid in pids)
    shown = ", ".join(f"{before[p] / 1024:.1f} -> {after[p] / 1024:.1f} MiB" for p in pids)
    return Check(
        "socket",
        f"worker RSS over {done:,} requests, every service row (recycling off)",
        f"{shown}; largest growth {growth:.2f} MiB",
        f"< {RSS_GROWTH_MIB:g} MiB",
        growth < RSS_GROWTH_MIB,
    )


def optional_checks(context: Context) -> list[Check]:
    """Rows from the optional providers that are present (e.g. bench/export.py)."""
    out = []
    for name in OPTIONAL_PROVIDERS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            log(f"{name}: not present, its rows are skipped")
            continue
        provider = getattr(module, "bench_rows", None)
        if provider is None:
            log(f"{name}: no bench_rows(context), its rows are skipped")
            continue
        out += provider(context)
    return out


def main() -> None:
    """Run the whole benchmark."""
    started = time.monotonic()
    for url in URLS.values():
        name = parse_database_url("BENCH_DATABASE_URL", url).database
        if not name.startswith("agentapi_bench"):
            raise SystemExit(
                f"bench: refusing database {name!r}; its name must start agentapi_bench"
            )
    log(f"bench database: {parse_database_url('BENCH_DATABASE_URL', DATABASE_URL).database}")
    filled, fill_seconds = fill.fill(DATABASE_URL, INVOICES, log)
    fill_note = (
        f"filled now in {fill_seconds:.0f} s"
        if filled
        else f"reused (cached); its fill took {fill.last_fill_seconds(DATABASE_URL):.0f} s"
    )
    log(f"data: {fill_note}")
    databases = {
        conn: Database(parse_database_url("BENCH_DATABASE_URL", url), load_queries())
        for conn, url in URLS.items()
    }
    bench = Bench(Path(tempfile.mkdtemp(prefix="agentapi-bench-")))
    bench.token = make_key(databases["socket"])
    load_before = loadavg()
    with running(bench):
        bench.start_redis()
        bench.start_gunicorn("raw", "bench.raw_app:app", URLS["socket"], "/")
        rows = [Row("raw", "raw WSGI, constant 5 KB (the stack's ceiling)", "-", "raw", "/", "raw")]
        for conn, url in URLS.items():
            bench.start_gunicorn(
                f"floor-{conn}",
                "bench.floor_app:app",
                url,
                f"/invoices?business_id={BIG}",
                config=FLOOR_CONFIG,
            )
            bench.start_gunicorn(f"service-{conn}", "wsgi:app", url, f"{PREFIX}/health")
            base = bench.base(f"service-{conn}")
            deep = {sort: deep_cursor(base, bench.token, databases[conn], sort) for sort in SORTS}
            rows += rows_for(conn, deep)
        measure(bench, rows)
        context = Context(
            bench,
            databases,
            URLS,
            {conn: bench.base(f"service-{conn}") + PREFIX for conn in URLS},
            BIG,
            INVOICES,
            log,
        )
        checks = report_checks(context, date.today())
        checks += optional_checks(context)
        log("statements per request")
        checks += statement_checks(bench.redis_url(), bench.token)
        log(f"memory row: {RSS_REQUESTS:,} requests")
        service_paths = [row.path for row in rows if row.server == "service-socket"]
        checks.append(rss_check(bench, service_paths))
    load_after = loadavg()
    report(rows, checks, bench, fill_note, load_before, load_after, time.monotonic() - started)


def report(
    rows: list[Row],
    checks: list[Check],
    bench: Bench,
    fill_note: str,
    load_before: str,
    load_after: str,
    elapsed: float,
) -> None:
    """Print the tables and write docs/benchmarks.md."""
    lines = wrk_table(rows)
    others = check_table(checks)
    print("\n".join(lines))
    print()
    print("\n".join(others))
    info = machine()
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    database = parse_database_url("BENCH_DATABASE_URL", DATABASE_URL)
    doc = [
        "# Benchmarks",
        "",
        "Written by `make bench` (bench/run.py); the tables are what it printed. Rerun it to",
        "measure your own machine: the first run fills the bench database, later runs reuse it.",
        "",
        f"Measured {now}. Whole run: {elapsed / 60:.1f} min. "
        f"Load average (1, 5, 15 min) before: {load_before}; after: {load_after}.",
        "",
        "## Machine",
        "",
        *[f"- {k}: {v}" for k, v in info.items()],
        "",
        "## Data",
        "",
        f"Database `{database.database}`: "
        f"{fill.BUSINESSES} businesses, one with {INVOICES:,} invoices "
        f"(1-5 items each, 3 on average; every status; issue dates over 5 years; updated_at "
        f"spread over 90 days after creation; about 1 % deleted), the others "
        f"{fill.SMALL_INVOICES} each; {fill.BUSINESSES * fill.SERVICES_PER_BUSINESS} services; "
        f"{fill.BUSINESSES * fill.SLOTS_PER_BUSINESS:,} availability slots. "
        f"Fill: bulk INSERT ... SELECT, {fill_note}.",
        "",
        "## Results",
        "",
        f"wrk, 2 threads, {CONNECTIONS} connections, {DURATION} s per run, on the same "
        f"machine; {RUNS} rounds, the rows measured in turn in each round, each service row "
        f"right after its floor row. req/s and latencies are medians over the rounds; 'x "
        f"floor' is the median over the rounds of the service row's req/s over its floor row's"
        f" in the same round. gunicorn, {WORKERS} gthread workers of "
        f"{os.environ.get('AGENTAPI_THREADS', '4')} threads for every app (the floor keeps a "
        f"connection per thread): the service and the raw app with deploy/gunicorn.conf.py, "
        f"the floor with {FLOOR_CONFIG} (gunicorn's defaults but for the worker model: no "
        f"request-head deadline, and no log line at all); the service's limit counters in "
        f"one redis-server "
        f"(rate limit `{RATE_LIMIT}`). 'db over' is how the apps reach MariaDB: its unix "
        f"socket or TCP to 127.0.0.1:3306. The floor (bench/floor_app.py) is the bare app: the"
        f" natural statement per route, PyMySQL's defaults, DictCursor, dates and decimals "
        f"stringified, `jsonify`; no key, no limit, no validation. /invoices rows are compared"
        f" with the floor's /invoices first page (include=items as well: the issue's 0.7x is"
        f" against the plain page; its ratio to the floor's own include=items page is shown in"
        f" brackets), the others with the floor's same route.",
        "",
        *lines,
        "",
        "Other checks: each report timed through the service (median of "
        f"{REPORT_RUNS}) beside the statement it runs, sent by the `mariadb` client over "
        "the same connection type; statements per request counted in process.",
        "",
        *others,
        "",
        "## Commands",
        "",
        "From the checkout; `$WORKDIR` is a fresh temporary directory, `$TOKEN` a bench key.",
        "",
        "```sh",
        "make bench   # runs: .venv/bin/python -m bench.run",
        *bench.commands,
        "```",
        "",
    ]
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    existing = OUTPUT.read_text() if OUTPUT.exists() else ""
    notes_marker = "## Notes"
    notes = existing[existing.index(notes_marker) :] if notes_marker in existing else ""
    OUTPUT.write_text("\n".join(doc) + ("\n" + notes if notes else ""))
    log(f"wrote {shown_path(OUTPUT)}")


if __name__ == "__main__":
    main()
