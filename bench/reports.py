"""Report cases for the benchmark: each report route beside the same statement run by the
`mariadb` client, on the bench database (one business with a million invoices).

`make bench` (bench/run.py) runs `compare()` over both connection types and gives each
case its verdict; `python -m bench.run_reports` runs the cases alone. Each case gives
the service's median time per request, the client's median time for the very statement
the service runs, their ratio (the target is at most 1.3) and the rows each returned.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from agentapi.config import DatabaseTarget
from agentapi.db import Database
from agentapi.routes import reports

REPORT_INDEX = "ix_invoices_report"
TARGET_RATIO = 1.3
RUNS = 7


@dataclass(frozen=True)
class ReportCase:
    """One report request and the statement (with its parameters) the service runs for it."""

    label: str
    route: str
    args: dict[str, str]
    query: str
    params: dict[str, Any]

    def path(self, prefix: str, business_id: str) -> str:
        """The request's path and query string."""
        return f"{prefix}{self.route}?{urlencode({'business_id': business_id, **self.args})}"


def summary_case(label: str, business_id: str, **args: str) -> ReportCase:
    """A /invoices/summary case, with the parameters its view passes to the statement."""
    return ReportCase(
        label,
        "/invoices/summary",
        args,
        "summarize_invoices",
        {
            "business_id": business_id,
            "statuses": tuple(sorted(args["status"].split(",")))
            if "status" in args
            else reports.STATUSES,
            "issued_from": date.fromisoformat(args["issued_from"])
            if "issued_from" in args
            else reports.DATE_MIN,
            "issued_to": date.fromisoformat(args["issued_to"])
            if "issued_to" in args
            else reports.DATE_MAX,
            "interval": args.get("interval"),
        },
    )


def cases(business_id: str, as_of: date) -> list[ReportCase]:
    """The report cases: whole-history summaries, windows by each interval, and aging."""
    return [
        summary_case("summary, every invoice", business_id),
        summary_case(
            "summary, 5 years by month",
            business_id,
            interval="month",
            issued_from="2021-11-01",
            issued_to="2026-11-30",
        ),
        summary_case(
            "summary, 5 years by week",
            business_id,
            interval="week",
            issued_from="2021-11-22",
            issued_to="2026-11-29",
        ),
        summary_case(
            "summary, 1 year by day",
            business_id,
            interval="day",
            issued_from="2025-01-01",
            issued_to="2025-12-31",
        ),
        summary_case(
            "summary, 1 year by quarter, paid and sent",
            business_id,
            interval="quarter",
            status="paid,sent",
            issued_from="2025-01-01",
            issued_to="2025-12-31",
        ),
        ReportCase(
            "aging",
            "/invoices/aging",
            {"as_of": as_of.isoformat()},
            "age_receivables",
            {"business_id": business_id, "as_of": as_of},
        ),
    ]


def statement_text(database: Database, case: ReportCase) -> str:
    """The case's statement with its parameters quoted by PyMySQL, as the service sends it."""
    query = database.queries[case.query]
    with database._connection().cursor() as cursor:
        return cursor.mogrify(query.sql, case.params)


def client_command(target: DatabaseTarget, statement: str) -> list[str]:
    """The `mariadb` client running one statement, its rows as tab-separated lines."""
    command = ["mariadb", "--batch", "--skip-column-names", "--user", target.user]
    if target.password:
        command.append(f"--password={target.password}")
    if target.unix_socket:
        command += ["--socket", target.unix_socket]
    else:
        command += ["--host", target.host, "--port", str(target.port)]
    return [*command, target.database, "--execute", statement]


def time_client(command: list[str]) -> tuple[float, int]:
    """Seconds the client took for its statement, and the rows it printed."""
    started = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, len(out.stdout.splitlines())


def time_service(url: str, token: str) -> tuple[float, int]:
    """Seconds one GET took, and the rows of its data."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.load(response)
    return time.perf_counter() - started, len(body["data"])


def compare(
    base_url: str, token: str, database: Database, business_id: str, as_of: date, runs: int = RUNS
) -> list[dict[str, Any]]:
    """Each case through the service and through the client, in turn; medians and ratio."""
    results = []
    for case in cases(business_id, as_of):
        command = client_command(database.target, statement_text(database, case))
        url = base_url + case.path("", business_id)
        time_service(url, token)  # warm: connections, buffer pool
        time_client(command)
        service, client = [], []
        for _ in range(runs):
            seconds, service_rows = time_service(url, token)
            service.append(seconds)
            seconds, client_rows = time_client(command)
            client.append(seconds)
        if service_rows != client_rows:
            raise SystemExit(f"bench: {case.label}: {service_rows} rows != {client_rows}")
        service_s, client_s = statistics.median(service), statistics.median(client)
        results.append(
            {
                "label": case.label,
                "path": case.path("", business_id),
                "service_s": service_s,
                "client_s": client_s,
                "ratio": service_s / client_s,
                "rows": service_rows,
            }
        )
    return results


def table(results: list[dict[str, Any]]) -> list[str]:
    """The Markdown table of a comparison."""
    lines = [
        "| report | rows | service s | mariadb client s | ratio (target <= 1.3) |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in results:
        verdict = "" if r["ratio"] <= TARGET_RATIO else " **missed**"
        lines.append(
            f"| {r['label']} | {r['rows']} | {r['service_s']:.3f} | {r['client_s']:.3f} | "
            f"{r['ratio']:.2f}{verdict} |"
        )
    return lines


def has_report_index(database: Database) -> bool:
    """Whether the bench database's invoices carry the reports' covering index."""
    with database._connection().cursor() as cursor:
        cursor.execute("SHOW INDEX FROM invoices WHERE Key_name = %s", (REPORT_INDEX,))
        return bool(cursor.fetchall())
