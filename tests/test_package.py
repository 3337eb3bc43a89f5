"""`pip install .` gives a working service: a wheel carries the SQL, the gunicorn settings
and the WSGI entry point, and serves from a virtualenv outside the checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .deploy_support import ROOT, Server, free_port, gunicorn_env, request, wait_until
from .helpers import url

SQL_FILES = sorted(p.relative_to(ROOT / "sql").as_posix() for p in (ROOT / "sql").rglob("*.sql"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel `pip wheel .` builds from this checkout (an isolated build, as pip does)."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        timeout=300,
        cwd=out,
    )
    (built,) = out.glob("agentapi-*.whl")
    return built


def test_wheel_carries_the_sql_the_gunicorn_settings_and_the_docs_page(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"agentapi/sql/{name}" for name in SQL_FILES} <= names
    assert "agentapi/deploy/gunicorn.conf.py" in names
    assert {"agentapi/wsgi.py", "agentapi/gunicorn_conf.py"} <= names
    assert {"agentapi/docs_page/index.html", "agentapi/docs_page/redoc.standalone.js"} <= names
    assert "agentapi/docs_page/LICENSE.redoc" in names
    assert not [name for name in names if name.startswith(("tests/", "bench/", "sql/"))]


def test_installed_wheel_serves_from_a_virtualenv_outside_the_checkout(
    wheel, tmp_path, database_url
):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = [str(venv / "bin/python"), "-m", "pip", "install", "--quiet"]
    pip += ["--disable-pip-version-check"]
    # What production installs (docs/deploy.md): the runtime lock, then the wheel.
    subprocess.run(
        [*pip, "--require-hashes", "-r", str(ROOT / "requirements.lock")], check=True, timeout=600
    )
    subprocess.run([*pip, "--no-deps", str(wheel)], check=True, timeout=120)

    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = gunicorn_env(database_url, BIND=f"127.0.0.1:{port}")
    env.pop("PYTHONPATH", None)
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                str(venv / "bin/gunicorn"),
                "-c",
                "python:agentapi.gunicorn_conf",
                "agentapi.wsgi:app",
            ],
            cwd=tmp_path,  # no checkout in sight: everything comes from the venv
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, log, str(port))
    try:

        def ready() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"gunicorn exited: {server.log_text()[-3000:]}")
            return request(str(port), url("/health"), timeout=2).status == 200

        wait_until(ready, 30, "gunicorn from the wheel", log)
        assert request(str(port), url("/health")).json() == {
            "status": "ok",
            "database": "ok",
            "rate_limit_storage": "ok",
        }
        assert request(str(port), url("/docs")).status == 200
        # The shipped settings are in force: gthread with memory:// limits, and a
        # request line past gunicorn's default limit reaches the app.
        assert "Using worker: gthread" in server.log_text()
        long = request(str(port), url(f"/health?{'x' * 5000}=1"))
        assert (long.status, long.headers["Content-Type"]) == (200, "application/json")
    finally:
        server.stop()
    where = subprocess.run(
        [str(venv / "bin/python"), "-c", "import agentapi.sqlfiles as s; print(s.SQL_ROOT)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert where == str(next((venv / "lib").glob("python3*/site-packages")) / "agentapi" / "sql")
