"""The package's import graph has no cycle (tools/import_graph.py prints it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_agentapi_imports_form_no_cycle():
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "import_graph.py")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout
    assert "cycles: 0" in result.stdout


def test_the_errors_module_imports_nothing_of_the_app():
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "import_graph.py")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "agentapi.errors -> -" in result.stdout.splitlines()
