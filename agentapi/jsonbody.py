"""JSON bodies: written with orjson, or joined from JSON texts the database wrote.

Flask's default provider runs the standard json module; a page of 50 invoices spends
about a tenth of its time there (docs/benchmarks.md). Every value the views return is
already a str, int, bool, None, list or dict, so orjson writes the same document
(keys in the views' order, compact, UTF-8 rather than \\u escapes).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
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


def with_array(line: str, name: str, members: Iterable[str]) -> str:
    """A JSON object's text with one more member, an array of JSON texts, at its end.

    line is a compact object the database wrote (it ends with its closing brace), such
    as an invoice, which gets its items: `{...,"items":[{...},{...}]}`.
    """
    return f'{line[:-1]},"{name}":[{",".join(members)}]}}'


def group_was_cut(text: str | None, max_len: int) -> bool:
    """Whether a GROUP_CONCAT text may have been cut at group_concat_max_len (max_len
    bytes; MariaDB cuts at a character boundary and only warns). Short texts are known
    whole without encoding them: a character is at most four bytes."""
    if text is None or len(text) * 4 <= max_len - 4:
        return False
    return len(text.encode()) > max_len - 4


def whole_groups(
    rows: Iterable[dict[str, Any]],
    column: str,
    reread: Callable[[tuple[str, ...]], Iterable[tuple[str, str]]],
) -> dict[str, str]:
    """By row id, the GROUP_CONCAT text of `column` (JSON texts joined with commas: the
    inside of an array), the row's max_len beside it. Texts that may have been cut are
    rebuilt from reread(ids), which gives (id, JSON text) pairs in order. Rows whose text
    is NULL (nothing grouped) are left out."""
    groups: dict[str, str] = {}
    cut: list[str] = []
    for row in rows:
        if group_was_cut(row[column], row["max_len"]):
            cut.append(row["id"])
        elif row[column] is not None:
            groups[row["id"]] = row[column]
    if cut:
        members: dict[str, list[str]] = defaultdict(list)
        for row_id, text in reread(tuple(cut)):
            members[row_id].append(text)
        groups.update((row_id, ",".join(texts)) for row_id, texts in members.items())
    return groups
