"""`make bench`: fill (or reuse) the bench database, serve, drive wrk, print and write the table.

Environment (all optional):
  BENCH_DATABASE_URL  the bench database (its name must start with agentapi_bench);
                      default mysql://root@localhost/agentapi_bench?unix_socket=/run/mysqld/mysqld.sock
  BENCH_INVOICES      invoices of the big business (default 1000000)
  BENCH_DURATION      seconds per wrk run (default 6)     BENCH_RUNS  runs per row (default 3)
  BENCH_CONNECTIONS   wrk connections (default 16)        BENCH_WORKERS  gunicorn workers (2)
  BENCH_RSS_REQUESTS  requests for the memory row (default 100000)
  BENCH_OUTPUT        where the report goes (default docs/benchmarks.md)
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
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
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from agentapi import keys
from agentapi.auth import SCOPES
from agentapi.config import parse_database_url
from agentapi.db import Database
from agentapi.sqlfiles import load_queries

from . import fill

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PREFIX = "/api/agent/v1"
# The bench's own signing key (AGENTAPI_CURSOR_SECRET needs 32+ random characters).
CURSOR_SECRET = "96516966d32137d6e39ccd402509b49d2dfc7400e06666dd47b7f6cf190741b5"
RATE_LIMIT = "1000000 per minute"  # raised through configuration, still counted

DEFAULT_URL = "mysql://root@localhost/agentapi_bench?unix_socket=/run/mysqld/mysqld.sock"
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
INVOICES = min(1_000_000, int(os.environ.get("BENCH_INVOICES", "1000000")))
DURATION = int(os.environ.get("BENCH_DURATION", "6"))
RUNS = max(3, int(os.environ.get("BENCH_RUNS", "3")))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
RSS_REQUESTS = int(os.environ.get("BENCH_RSS_REQUESTS", "100000"))
OUTPUT = Path(os.environ.get("BENCH_OUTPUT", str(ROOT / "docs" / "benchmarks.md")))
DEEP = min(900_000, INVOICES * 9 // 10)
BIG = fill.BIG_BUSINESS
SORTS = ("-issue_date", "issue_date", "-updated_at", "updated_at")
# The keyset position of the row at a given depth, per sort (bench-only SQL).
POSITION_SQL = {
    sort: (
        f"SELECT {col}, id FROM invoices FORCE INDEX (ix_invoices_{col})"
        f" WHERE business_id = %s AND deleted_at IS NULL"
        f" ORDER BY {col} {'DESC' if sort.startswith('-') else 'ASC'},"
        f" id {'DESC' if sort.startswith('-') else 'ASC'} LIMIT 1 OFFSET %s"
    )
    for sort in SORTS
    for col in [sort.lstrip("-")]
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
    """One line of the table: what is measured and the runs' figures."""

    label: str
    server: str
    path: str
    note: str = ""
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
        """A private redis-server on a free port, no persistence."""
        port = free_port()
        log_path = self.workdir / "redis.log"
        command = [
            "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--logfile", str(log_path), "--dir", str(self.workdir),
        ]  # fmt: skip
        self.commands.append(shlex.join(command))
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

    def env(self, port: int) -> dict[str, str]:
        """The service's environment: bench database, redis limits, a raised rate limit."""
        return {
            **os.environ,
            "AGENTAPI_DATABASE_URL": DATABASE_URL,
            "AGENTAPI_BIND": f"127.0.0.1:{port}",
            "AGENTAPI_WORKERS": str(WORKERS),
            "AGENTAPI_RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{self.servers['redis'].port}/0",
            "AGENTAPI_RATE_LIMIT": RATE_LIMIT,
            "AGENTAPI_CURSOR_SECRET": CURSOR_SECRET,
        }

    def start_gunicorn(self, name: str, app: str, extra: tuple[str, ...] = ()) -> Server:
        """gunicorn with the shipped config serving app; its log in the workdir."""
        port = free_port()
        env = self.env(port)
        command = [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", *extra, app]
        shown = {k: env[k] for k in env if k.startswith("AGENTAPI_") and k not in os.environ}
        self.commands.append(
            " ".join(f"{k}={shlex.quote(v)}" for k, v in shown.items()) + " " + shlex.join(command)
        )
        log_path = self.workdir / f"{name}.log"
        with log_path.open("ab") as log_file:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT
            )
        server = Server(name, process, log_path, port)
        self.servers[name] = server
        probe = {"raw": "/", "floor": f"/invoices?business_id={BIG}"}.get(name, f"{PREFIX}/health")
        wait_http(f"http://127.0.0.1:{port}{probe}")
        return server

    def wrk(self, server: str, paths: list[str], seconds: int, record: bool = True) -> dict:
        """One wrk run against a server; its figures."""
        port = self.servers[server].port
        command = [
            "wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s",
            "-s", "bench/wrk.lua", f"http://127.0.0.1:{port}{paths[0]}",
        ]  # fmt: skip
        env = {**os.environ, "BENCH_TOKEN": self.token if server == "service" else ""}
        if len(paths) > 1:
            env["BENCH_PATHS"] = "|".join(paths)
        if record:
            shown = "BENCH_TOKEN=$TOKEN " if server == "service" else ""
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


def deep_cursor(bench: Bench, database: Database, sort: str) -> tuple[str, str]:
    """A cursor DEEP rows into the big business's invoices in this order; (cursor, next id)."""
    base = f"http://127.0.0.1:{bench.servers['service'].port}{PREFIX}/invoices"
    first = get_json(f"{base}?business_id={BIG}&sort={sort}&limit=1", bench.token)
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
    page = get_json(f"{base}?business_id={BIG}&sort={sort}&cursor={cursor_text}", bench.token)
    if page["data"][0]["id"] != expected_next:
        raise SystemExit(f"bench: the deep cursor for {sort} did not land where expected")
    return cursor_text, expected_next


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
    """The 1-minute load average: other work on the machine shows here."""
    return Path("/proc/loadavg").read_text().split()[0]


@contextlib.contextmanager
def running(bench: Bench) -> Iterator[None]:
    """Stop everything on the way out, whatever happens."""
    try:
        yield
    finally:
        bench.stop_all()


def measure(bench: Bench, rows: list[Row]) -> None:
    """Warm every row once, then RUNS rounds over all rows in turn (drift hits all alike)."""
    log(f"warming up {len(rows)} rows")
    for row in rows:
        bench.wrk(row.server, [row.path], 1, record=False)
    for run in range(1, RUNS + 1):
        log(f"round {run} of {RUNS} (load average {loadavg()})")
        for row in rows:
            row.runs.append(bench.wrk(row.server, [row.path], DURATION, record=run == 1))


def measure_rss(bench: Bench, paths: list[str]) -> dict:
    """Worker RSS before and after RSS_REQUESTS requests, with worker recycling off."""
    bench.servers["service"].stop()
    server = bench.start_gunicorn("service", "wsgi:app", ("--max-requests", "0"))
    bench.wrk("service", paths, 3, record=False)  # warm: caches, connections, imports
    pids = server.worker_pids()
    before = {pid: rss_kib(pid) for pid in pids}
    done = 0
    chunk_seconds = 10
    first = True
    while done < RSS_REQUESTS:
        figures = bench.wrk("service", paths, chunk_seconds, record=first)
        first = False
        done += figures["requests"]
    after = {pid: rss_kib(pid) for pid in server.worker_pids()}
    if sorted(after) != pids:
        raise SystemExit("bench: a worker was replaced during the memory row")
    return {"requests": done, "before": before, "after": after}


def table(rows: list[Row]) -> list[str]:
    """The Markdown table of medians, with ratios to rows 1 and 2."""
    raw, floor = rows[0].median("rps"), rows[1].median("rps")
    lines = [
        "| # | what | req/s | p50 ms | p99 ms | p99/p50 | vs raw | vs floor |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for i, row in enumerate(rows, 1):
        rps, p50, p99 = row.median("rps"), row.median("p50_us"), row.median("p99_us")
        lines.append(
            f"| {i} | {row.label} | {rps:,.0f} | {p50 / 1000:.2f} | {p99 / 1000:.2f} | "
            f"{p99 / p50:.2f} | {rps / raw:.2f} | {rps / floor:.2f} |"
        )
    return lines


def targets(rows: list[Row], rss: dict) -> list[str]:
    """Each target of the issue, with the figure and whether it holds."""
    by = {row.label: row for row in rows}
    floor = by["query floor (row 2)"].median("rps")
    first = by["/invoices first page"].median("rps")
    out = []

    def verdict(ok: bool) -> str:
        return "holds" if ok else "**missed**"

    out.append(
        f"- /invoices first page vs the query floor: {first:,.0f} / {floor:,.0f} = "
        f"{first / floor:.2f} (target >= 0.80): {verdict(first / floor >= 0.8)}"
    )
    for sort in SORTS:
        f_row, d_row = by[f"/invoices first page, sort={sort}"], by[f"/invoices deep, sort={sort}"]
        ratio = f_row.median("rps") / d_row.median("rps")
        lat = d_row.median("p50_us") / f_row.median("p50_us")
        out.append(
            f"- deep page ({DEEP:,} rows in) vs first page, sort={sort}: cost {ratio:.2f}x "
            f"by req/s, {lat:.2f}x by p50 (target <= 1.2x): {verdict(ratio <= 1.2)}"
        )
    worst = max(rows[2:], key=lambda r: r.median("p99_us") / r.median("p50_us"))
    ratio = worst.median("p99_us") / worst.median("p50_us")
    out.append(
        f"- p99 / p50 at {CONNECTIONS} connections, worst service row ({worst.label}): "
        f"{ratio:.2f} (target <= 2): {verdict(ratio <= 2)}"
    )
    growth = {pid: (rss["after"][pid] - rss["before"][pid]) / 1024 for pid in rss["before"]}
    shown = ", ".join(
        f"{rss['before'][pid] / 1024:.1f} -> {rss['after'][pid] / 1024:.1f} MiB"
        for pid in rss["before"]
    )
    out.append(
        f"- worker RSS over {rss['requests']:,} requests (recycling off): {shown}; "
        f"largest growth {max(growth.values()):.2f} MiB (target < 5): "
        f"{verdict(max(growth.values()) < 5)}"
    )
    out.append(
        "- include=items: one extra query per page, whatever the limit: "
        "asserted by tests/test_query_count.py (statements counted in agentapi/db.py)"
    )
    return out


def main() -> None:
    """Run the whole benchmark."""
    started = time.monotonic()
    log(f"bench database: {parse_database_url('BENCH_DATABASE_URL', DATABASE_URL).database}")
    filled, fill_seconds = fill.fill(DATABASE_URL, INVOICES, log)
    fill_note = (
        f"filled now in {fill_seconds:.0f} s"
        if filled
        else f"reused (cached); its fill took {fill.last_fill_seconds(DATABASE_URL):.0f} s"
    )
    log(f"data: {fill_note}")
    database = Database(parse_database_url("BENCH_DATABASE_URL", DATABASE_URL), load_queries())
    bench = Bench(Path(tempfile.mkdtemp(prefix="agentapi-bench-")))
    bench.token = make_key(database)
    load_before = loadavg()
    with running(bench):
        bench.start_redis()
        bench.start_gunicorn("raw", "bench.raw_app:app")
        bench.start_gunicorn("floor", "bench.floor_app:app")
        bench.start_gunicorn("service", "wsgi:app")
        inv = f"{PREFIX}/invoices?business_id={BIG}&limit=50"
        rows = [
            Row("raw WSGI, constant 5 KB (row 1)", "raw", "/"),
            Row("query floor (row 2)", "floor", f"/invoices?business_id={BIG}"),
            Row("/invoices first page", "service", inv),
            Row("/invoices first page, include=items", "service", f"{inv}&include=items"),
        ]
        for sort in SORTS:
            cursor, _ = deep_cursor(bench, database, sort)
            rows.append(Row(f"/invoices first page, sort={sort}", "service", f"{inv}&sort={sort}"))
            rows.append(
                Row(f"/invoices deep, sort={sort}", "service", f"{inv}&sort={sort}&cursor={cursor}")
            )
        rows += [
            Row("/businesses", "service", f"{PREFIX}/businesses"),
            Row("/services", "service", f"{PREFIX}/services?business_id={BIG}"),
            Row(
                "/availability, 7 days",
                "service",
                f"{PREFIX}/availability?business_id={BIG}&from=2026-02-02&to=2026-02-09",
            ),
        ]
        measure(bench, rows)
        log(f"memory row: {RSS_REQUESTS:,} requests")
        rss = measure_rss(bench, [row.path for row in rows[2:]])
    load_after = loadavg()
    report(rows, rss, bench, fill_note, load_before, load_after, time.monotonic() - started)


def report(
    rows: list[Row],
    rss: dict,
    bench: Bench,
    fill_note: str,
    load_before: str,
    load_after: str,
    elapsed: float,
) -> None:
    """Print the table and write docs/benchmarks.md."""
    lines = table(rows)
    checks = targets(rows, rss)
    print("\n".join(lines))
    print()
    print("\n".join(checks))
    info = machine()
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    doc = [
        "# Benchmarks",
        "",
        "Written by `make bench` (bench/run.py); the table is what it printed. Rerun it to",
        "measure your own machine: the first run fills the bench database, later runs reuse it.",
        "",
        f"Measured {now}. Whole run: {elapsed / 60:.1f} min. "
        f"Load average (1 min) before {load_before}, after {load_after}.",
        "",
        "## Machine",
        "",
        *[f"- {k}: {v}" for k, v in info.items()],
        "",
        "## Data",
        "",
        f"Database `{parse_database_url('BENCH_DATABASE_URL', DATABASE_URL).database}`: "
        f"{fill.BUSINESSES} businesses, one with {INVOICES:,} invoices "
        f"(1-5 items each, 3 on average; every status; issue dates over 5 years; updated_at "
        f"spread over 90 days after creation; about 1 % deleted), the others "
        f"{fill.SMALL_INVOICES} each; {fill.BUSINESSES * fill.SERVICES_PER_BUSINESS} services; "
        f"{fill.BUSINESSES * fill.SLOTS_PER_BUSINESS:,} availability slots. "
        f"Fill: bulk INSERT ... SELECT, {fill_note}.",
        "",
        "## Results",
        "",
        f"wrk, 2 threads, {CONNECTIONS} connections, {DURATION} s per run, on the same machine; "
        f"each figure is the median of {RUNS} runs, the rows measured in turn in each round. "
        f"gunicorn with deploy/gunicorn.conf.py: {WORKERS} sync workers (redis:// limit "
        f"storage), rate limit `{RATE_LIMIT}`. 'vs raw' and 'vs floor' are req/s ratios.",
        "",
        *lines,
        "",
        "## Targets",
        "",
        *checks,
        "",
        "## Commands",
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
    log(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
