"""Who may talk to the service: the unix socket's mode, and the systemd units' confinement."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess

import pytest

from .deploy_support import ROOT, request, start_gunicorn
from .helpers import url

SYSTEMD = ROOT / "deploy/systemd"


def unit(name: str) -> dict[str, list[str]]:
    """A unit file's settings: name -> every value given to it, in order."""
    settings: dict[str, list[str]] = {}
    for line in (SYSTEMD / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def test_gunicorn_creates_its_unix_socket_for_owner_and_group_only(tmp_path, database_url):
    server = start_gunicorn(tmp_path, database_url)  # unix:<tmp>/gunicorn.sock
    try:
        mode = stat.S_IMODE(os.stat(server.target).st_mode)
        assert mode & 0o007 == 0, f"socket mode {mode:o}: other users can connect"
        assert mode == 0o660, f"socket mode {mode:o}"
        assert request(server.target, url("/health")).status == 200
    finally:
        server.stop()


def test_the_socket_unit_gives_the_socket_to_the_web_servers_group_only():
    socket_unit = unit("agentapi.socket")
    assert socket_unit["ListenStream"] == ["/run/agentapi/agentapi.sock"]
    assert socket_unit["SocketMode"] == ["0660"]
    assert socket_unit["SocketUser"] == ["agentapi"]
    assert socket_unit["SocketGroup"] == ["www-data"]
    service = unit("agentapi.service")
    assert "agentapi.socket" in service["Requires"]
    # A RuntimeDirectory would be removed, socket and all, whenever the service stops.
    assert "RuntimeDirectory" not in service
    env = (ROOT / "deploy/agentapi.env.example").read_text()
    assert 'AGENTAPI_BIND="unix:/run/agentapi/agentapi.sock"' in env


def exposure(unit_path) -> float:
    """systemd-analyze's overall exposure score for a unit file (0 safest, 10 worst)."""
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", "--no-pager", str(unit_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert found, result.stdout[-2000:] + result.stderr[-2000:]
    return float(found.group(1))


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed (package systemd): the unit's score is unchecked",
)
def test_the_service_unit_rates_ok_in_systemd_analyze_security():
    score = exposure(SYSTEMD / "agentapi.service")
    assert score <= 2.0, f"exposure {score}: 2.0 or lower is rated OK"
