"""A limit's moving window as the headers show it, and the refusal of a used-up limit."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem


@dataclass(frozen=True)
class Window:
    """A limit's moving window as it stands: its size, what is left, when a slot frees."""

    limit: int
    seconds: int
    remaining: int
    reset_at: float  # epoch seconds at which the oldest counted request leaves the window

    @property
    def used(self) -> int:
        """Requests counted in the window."""
        return self.limit - self.remaining


class RateLimitExceeded(Exception):
    """A limit is used up; resets_in is the seconds until a slot frees."""

    def __init__(self, limit: RateLimitItem, window: Window) -> None:
        super().__init__(f"{limit} exceeded")
        self.limit = limit
        self.window = window
        self.resets_in = window.reset_at - time.time()

    @property
    def retry_after(self) -> int:
        """Whole seconds to wait, rounded up, at least 1."""
        return max(1, math.ceil(self.resets_in))
