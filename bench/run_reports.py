"""`python -m bench.run_reports`: the report cases of `make bench` alone, over the socket.

It fills (or reuses) the bench database, serves the service with bench/run.py's harness
over the unix socket, and prints one line per case (bench/reports.py).
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from agentapi.config import parse_database_url
from agentapi.db import Database
from agentapi.sqlfiles import load_queries

from . import fill, reports, run


def main() -> None:
    """Fill or reuse the bench database, serve it, and print the comparison."""
    fill.fill(run.DATABASE_URL, run.INVOICES, run.log)
    target = parse_database_url("BENCH_DATABASE_URL", run.DATABASE_URL)
    database = Database(target, load_queries())
    if not reports.has_report_index(database):
        raise SystemExit(
            f"bench: the bench database predates {reports.REPORT_INDEX}: add it as docs/deploy.md "
            "says, or drop the database so that the next run fills it afresh"
        )
    bench = run.Bench(Path(tempfile.mkdtemp(prefix="agentapi-bench-reports-")))
    bench.token = run.make_key(database)
    with run.running(bench):
        bench.start_redis()
        server = bench.start_gunicorn(
            "service-socket", "wsgi:app", run.DATABASE_URL, f"{run.PREFIX}/health"
        )
        base = f"http://127.0.0.1:{server.port}{run.PREFIX}"
        results = reports.compare(base, bench.token, database, run.BIG, date.today())
    print("\n".join(reports.table(results)))


if __name__ == "__main__":
    main()
