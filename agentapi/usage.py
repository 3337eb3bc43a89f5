"""The usage record: api_keys.last_used_at, written at most once per key and interval."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

from flask import Response, g

from .auth import ApiKey
from .db import execute_write

log = logging.getLogger("agentapi.usage")


class UsageRecorder:
    """Writes api_keys.last_used_at at most once per key per interval in this process."""

    def __init__(self, interval_seconds: float) -> None:
        self.interval = interval_seconds
        self._written: dict[str, float] = {}
        self._lock = threading.Lock()

    def _due(self, key: ApiKey) -> bool:
        now = time.monotonic()
        last = self._written.get(key.id)
        if last is not None and now - last < self.interval:
            return False  # this process wrote it lately (the common case: checked first)
        if key.last_used_at is not None:
            age = datetime.now(UTC).replace(tzinfo=None) - key.last_used_at
            if age < timedelta(seconds=self.interval):
                return False
        with self._lock:
            last = self._written.get(key.id)
            if last is not None and now - last < self.interval:
                return False
            self._written[key.id] = now
            return True

    def record(self, response: Response) -> Response:
        """Pipeline step: note a successful use (2xx or 304) of the request's key."""
        key = g.get("api_key")
        if key is None or not (200 <= response.status_code < 300 or response.status_code == 304):
            return response
        if self._due(key):
            try:
                execute_write("touch_key_last_used", key_id=key.id)
            except Exception as exc:
                log.warning("could not record last_used_at: %s", type(exc).__name__)
        return response
