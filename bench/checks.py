"""One verdict line of `make bench`: a figure against its target, for a connection type.

Its own module so that bench/run.py and the row providers it calls (bench/export.py)
both use it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Check:
    """One verdict line: a figure against its target."""

    conn: str
    label: str
    figure: str
    target: str
    ok: bool

    @property
    def verdict(self) -> str:
        return "PASS" if self.ok else "FAIL"
