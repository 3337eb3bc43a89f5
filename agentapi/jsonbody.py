"""JSON bodies written with orjson: the same JSON, in a fraction of the time.

Flask's default provider runs the standard json module; a page of 50 invoices spends
about a tenth of its time there (docs/benchmarks.md). Every value the views return is
already a str, int, bool, None, list or dict, so orjson writes the same document
(keys in the views' order, compact, UTF-8 rather than \\u escapes).
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response
from flask.json.provider import JSONProvider


class OrjsonProvider(JSONProvider):
    """Flask's JSON provider, writing with orjson and reading with it."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialize to a str (Flask's interface)."""
        return orjson.dumps(obj).decode("utf-8")

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse JSON text."""
        return orjson.loads(s)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """A JSON response whose body is orjson's bytes, without a str round trip."""
        obj = self._prepare_response_obj(args, kwargs)
        return Response(orjson.dumps(obj), mimetype="application/json")
