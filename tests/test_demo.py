"""`make demo` with no database given: a private MariaDB under its state dir, the printed
curl answers 200, Ctrl-C stops the service and that server, a second run reuses the data."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
from pathlib import Path

import pymysql
import pytest

from .deploy_support import ROOT, free_port, wait_until

pytestmark = pytest.mark.demo


def _start(state: Path, port: int, out: Path) -> subprocess.Popen:
    """`make demo` as a user would run it, in its own process group (the terminal's)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTAPI_", "DEMO_"))}
    env.update(DEMO_STATE_DIR=str(state), DEMO_BIND=f"127.0.0.1:{port}")
    with out.open("wb") as log:
        return subprocess.Popen(
            ["make", "--no-print-directory", "demo"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def _curl_line(out: Path, process: subprocess.Popen) -> str:
    """The curl command the demo printed, once gunicorn listens."""

    def printed() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"make demo exited: {out.read_text()[-3000:]}")
        return "Listening at:" in out.read_text()

    wait_until(printed, 120, "make demo", out)
    (line,) = [line for line in out.read_text().splitlines() if line.startswith("  curl ")]
    return line.strip()


def _run_curl(line: str) -> str:
    """Run the printed command as printed; return the status code curl saw."""
    result = subprocess.run(
        [*shlex.split(line), "-s", "-o", "/dev/null", "-w", "%{http_code}"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    return result.stdout


def _ctrl_c(process: subprocess.Popen) -> None:
    """What Ctrl-C in the terminal does: SIGINT to the whole foreground process group."""
    os.killpg(process.pid, signal.SIGINT)
    process.wait(timeout=60)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def test_make_demo_serves_the_printed_curl_on_a_private_mariadb_and_stops_it(tmp_path):
    state = tmp_path / "state"
    socket = state / "mariadb" / "mysqld.sock"
    out = tmp_path / "demo1.out"
    process = _start(state, free_port(), out)
    try:
        line = _curl_line(out, process)
        assert "creating a private MariaDB" in out.read_text()
        assert _run_curl(line) == "200"
        # The data is in the private server, reached through its socket under the state dir.
        conn = pymysql.connect(unix_socket=str(socket), user="root", database="agentapi_demo")
        with conn.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM businesses")
            assert cursor.fetchone()[0] > 0
        conn.close()
        pid = int((state / "mariadb" / "mysqld.pid").read_text())
        secret = state / "cursor-secret"
        assert secret.stat().st_mode & 0o777 == 0o600 and len(secret.read_text().strip()) >= 32
    finally:
        _ctrl_c(process)
    assert "private MariaDB stopped" in out.read_text()
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid), "the private MariaDB outlived the demo"

    # A second run reuses the data directory, and the same cursor secret.
    out2 = tmp_path / "demo2.out"
    process = _start(state, free_port(), out2)
    try:
        line = _curl_line(out2, process)
        assert "reusing the private MariaDB" in out2.read_text()
        assert _run_curl(line) == "200"
    finally:
        _ctrl_c(process)
    assert "private MariaDB stopped" in out2.read_text()
