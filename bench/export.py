"""The export's figures: rows/s against `mariadb --batch --quick`, worker RSS growth, TTFB.

`measure_export(url)` serves the filled bench database (bench/fill.py) with the shipped
gunicorn config, exports the big business as NDJSON and as CSV, and runs the mariadb
client on the same statement: the one the export runs (its NDJSON or CSV lines, all
rows in one statement), and, for reference, the plain invoice columns. bench/run.py
can call it; `python -m bench.export` prints the figures on their own.

Environment: BENCH_DATABASE_URL as for bench/run.py; BENCH_EXPORT_RUNS (default 3).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime
from pathlib import Path

import pymysql

from agentapi import keys
from agentapi.auth import SCOPES
from agentapi.config import parse_database_url
from agentapi.db import Database
from agentapi.sqlfiles import load_queries

from . import fill
from .checks import Check

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
PREFIX = "/api/agent/v1"
DEFAULT_URL = "mysql://root@localhost/agentapi_bench?unix_socket=/run/mysqld/mysqld.sock"
TARGET_RATIO = 0.5
TARGET_RSS_MIB = 30
TARGET_TTFB_S = 1.0
# The export statement's parameters for the whole big business, default sort.
WIDE = {
    "business_id": fill.BIG_BUSINESS,
    "issued_from": date(1000, 1, 1),
    "issued_to": date(9999, 12, 31),
    "updated_since": datetime(1000, 1, 1),
    "statuses": ("draft", "sent", "paid", "void"),
    "after_key": "9999-12-31",
    "after_id": "Z" * 27,
    "limit": 10**9,
}
PLAIN = (
    "SELECT id, business_id, template_id, number, status, customer_name, customer_email,"
    " currency, issue_date, due_date, subtotal, tax_total, total, amount_paid,"
    " total - amount_paid, paid_at, created_at, updated_at"
    " FROM invoices FORCE INDEX (ix_invoices_issue_date)"
    " WHERE business_id = %(business_id)s AND deleted_at IS NULL"
    " ORDER BY issue_date DESC, id DESC"
)


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def client_statement(url: str, sql: str, params: dict) -> str:
    """The statement with its parameters written in, as the server would receive it."""
    target = parse_database_url("BENCH_DATABASE_URL", url)
    conn = pymysql.connect(**target.connect_kwargs())
    try:
        with conn.cursor() as cursor:
            return cursor.mogrify(sql, {k: v for k, v in params.items() if f"%({k})s" in sql})
    finally:
        conn.close()


def mariadb_seconds(url: str, statement: str) -> tuple[float, int]:
    """Seconds and rows for `mariadb --batch --quick` to print the statement's result."""
    target = parse_database_url("BENCH_DATABASE_URL", url)
    client = shutil.which("mariadb") or shutil.which("mysql") or "mariadb"
    command = [client, "--batch", "--quick", "--skip-column-names", "-u", target.user]
    if target.unix_socket:
        command += ["--socket", target.unix_socket]
    else:
        command += ["-h", target.host, "-P", str(target.port), "--protocol=tcp"]
    env = {**os.environ, "MYSQL_PWD": target.password}
    started = time.perf_counter()
    out = subprocess.run(
        [*command, target.database, "-e", statement],
        env=env,
        check=True,
        stdout=subprocess.PIPE,
    ).stdout
    return time.perf_counter() - started, out.count(b"\n")


def read_export(port: int, token: str, fmt: str, worker_pids: list[int]) -> dict:
    """Export the big business once: seconds, rows, TTFB, and worker RSS growth (MiB)."""
    before = {pid: rss_kib(pid) for pid in worker_pids}
    peak = dict(before)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for pid in worker_pids:
                peak[pid] = max(peak[pid], rss_kib(pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    conn.request(
        "GET",
        f"{PREFIX}/invoices/export?business_id={fill.BIG_BUSINESS}&format={fmt}",
        headers={"Authorization": f"Bearer {token}"},
    )
    response = conn.getresponse()
    if response.status != 200:
        raise SystemExit(f"bench: export answered {response.status}: {response.read()[:500]!r}")
    first = response.read1(65536)
    ttfb = time.perf_counter() - started
    lines = first.count(b"\n")
    while piece := response.read1(1 << 20):
        lines += piece.count(b"\n")
    seconds = time.perf_counter() - started
    conn.close()
    done.set()
    sampler.join()
    rows = lines - (1 if fmt == "csv" else 0)
    growth = max(peak[pid] - before[pid] for pid in worker_pids) / 1024
    return {"seconds": seconds, "rows": rows, "ttfb": ttfb, "rss_growth_mib": growth}


def rss_kib(pid: int) -> int:
    """Resident set size of a process, KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def start_gunicorn(url: str, port: int, log: Path) -> subprocess.Popen:
    """gunicorn with the shipped config and memory:// limits (one threaded worker)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTAPI_")}
    env.update(
        AGENTAPI_DATABASE_URL=url,
        AGENTAPI_BIND=f"127.0.0.1:{port}",
        AGENTAPI_RATE_LIMIT="1000000 per minute",
        AGENTAPI_LOG_LEVEL="WARNING",
    )
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(GUNICORN), "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", f"{PREFIX}/health")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"bench: gunicorn did not come up: {log.read_text()[-2000:]}")


def worker_pids(process: subprocess.Popen) -> list[int]:
    """The gunicorn master's worker processes."""
    pid = process.pid
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def measure_export(url: str = DEFAULT_URL, runs: int = 3) -> dict:
    """Medians over runs of every export figure, with the targets' verdicts."""
    database = Database(parse_database_url("BENCH_DATABASE_URL", url), load_queries())
    token = keys.create_key(database, "bench-export", list(SCOPES))
    queries = load_queries()
    statements = {
        fmt: client_statement(url, queries[f"export_invoices_{fmt}_by_issue_date_desc"].sql, WIDE)
        for fmt in ("ndjson", "csv")
    }
    statements["plain"] = client_statement(url, PLAIN, WIDE)
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        process = start_gunicorn(url, port, Path(tmp) / "gunicorn.log")
        try:
            pids = worker_pids(process)
            measured: dict[str, list[dict]] = {"ndjson": [], "csv": []}
            client: dict[str, list[float]] = {"ndjson": [], "csv": [], "plain": []}
            rows = 0
            for _ in range(runs):
                for fmt in ("ndjson", "csv"):
                    measured[fmt].append(read_export(port, token, fmt, pids))
                for name, statement in statements.items():
                    seconds, rows = mariadb_seconds(url, statement)
                    client[name].append(seconds)
        finally:
            process.terminate()
            process.wait(timeout=30)
    result: dict = {
        "rows": rows,
        "client_plain_rows_per_s": rows / statistics.median(client["plain"]),
    }
    for fmt in ("ndjson", "csv"):
        runs_ = measured[fmt]
        rate = runs_[0]["rows"] / statistics.median(r["seconds"] for r in runs_)
        same = rows / statistics.median(client[fmt])
        result[fmt] = {
            "rows": runs_[0]["rows"],
            "rows_per_s": rate,
            "client_same_statement_rows_per_s": same,
            "ratio_same_statement": rate / same,
            "ratio_plain_columns": rate / result["client_plain_rows_per_s"],
            "ttfb_s": statistics.median(r["ttfb"] for r in runs_),
            "rss_growth_mib": max(r["rss_growth_mib"] for r in runs_),
        }
        result[fmt]["verdict"] = (
            "met"
            if result[fmt]["ratio_same_statement"] >= TARGET_RATIO
            and result[fmt]["rss_growth_mib"] < TARGET_RSS_MIB
            and result[fmt]["ttfb_s"] < TARGET_TTFB_S
            else "MISSED"
        )
    return result


if __name__ == "__main__":
    print(
        json.dumps(
            measure_export(
                os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL),
                int(os.environ.get("BENCH_EXPORT_RUNS", "3")),
            ),
            indent=2,
        )
    )


def bench_rows(context) -> list[Check]:  # noqa: ANN001 - bench.run's Context
    """The export rows of `make bench`, per connection type (bench/run.py's provider hook)."""
    out = []
    for conn, url in context.urls.items():
        context.log(f"export over {conn}")
        result = measure_export(url, runs=3)
        for fmt in ("ndjson", "csv"):
            figures = result[fmt]
            out += [
                Check(
                    conn,
                    f"export {fmt}: rows/s vs mariadb --batch --quick ({figures['rows']} rows)",
                    f"{figures['rows_per_s']:.0f} vs "
                    f"{figures['client_same_statement_rows_per_s']:.0f} = "
                    f"{figures['ratio_same_statement']:.2f}x",
                    f">= {TARGET_RATIO}x",
                    figures["ratio_same_statement"] >= TARGET_RATIO,
                ),
                Check(
                    conn,
                    f"export {fmt}: worker RSS growth",
                    f"{figures['rss_growth_mib']:.1f} MiB",
                    f"< {TARGET_RSS_MIB} MiB",
                    figures["rss_growth_mib"] < TARGET_RSS_MIB,
                ),
                Check(
                    conn,
                    f"export {fmt}: time to first byte",
                    f"{figures['ttfb_s'] * 1000:.0f} ms",
                    f"< {TARGET_TTFB_S * 1000:.0f} ms",
                    figures["ttfb_s"] < TARGET_TTFB_S,
                ),
            ]
    return out
