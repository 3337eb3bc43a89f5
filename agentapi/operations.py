"""The operation decorator: what each view needs (scope, parameters) and what it returns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from .params import Param

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class Operation:
    """A documented operation: read by the pipeline (scope, cost) and the OpenAPI builder."""

    operation_id: str
    summary: str
    description: str
    tag: str
    scope: str | None  # the scope the key must hold; None: any key, or none if public
    public: bool  # no key at all, never counted
    params: Sequence[Param]
    response_schemas: tuple[str, ...]  # the 200's body: one of these components
    paginated: bool  # a keyset list: Link, ETag and 304
    uses_database: bool  # may answer 503 when the database does not
    cost_setting: str | None  # the setting holding its cost in quota slots (default 1)
    # A 200 in other media types than JSON: media type -> schema (None: JSON, response_schemas).
    media_types: dict[str, dict[str, Any]] | None = None


def operation(
    *,
    operation_id: str,
    summary: str,
    description: str,
    tag: str,
    scope: str | None,
    response_schema: str | tuple[str, ...],
    params: Sequence[Param] = (),
    paginated: bool = False,
    uses_database: bool = True,
    cost_setting: str | None = None,
    public: bool | None = None,
    media_types: dict[str, dict[str, Any]] | None = None,
) -> Callable[[View], View]:
    """Attach an Operation to a view; scope None makes the route public unless public=False."""
    is_public = scope is None if public is None else public
    schemas = (response_schema,) if isinstance(response_schema, str) else response_schema

    def attach(view: View) -> View:
        view.operation = Operation(  # type: ignore[attr-defined]
            operation_id=operation_id,
            summary=summary,
            description=description,
            tag=tag,
            scope=scope,
            public=is_public,
            params=tuple(params),
            response_schemas=schemas,
            paginated=paginated,
            uses_database=uses_database,
            cost_setting=cost_setting,
            media_types=media_types,
        )
        view.required_scope = scope  # type: ignore[attr-defined]
        view.public = is_public  # type: ignore[attr-defined]
        return view

    return attach
