"""The package's import graph has no cycle (tools/import_graph.py prints it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def import_graph() -> subprocess.CompletedProcess:
    """tools/import_graph.py's output."""
    script = ROOT / "tools" / "import_graph.py"
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)


def test_agentapi_imports_form_no_cycle():
    result = import_graph()
    assert result.returncode == 0, result.stdout
    assert "cycles: 0" in result.stdout


def test_the_errors_module_imports_nothing_of_the_app():
    assert "agentapi.errors -> -" in import_graph().stdout.splitlines()
