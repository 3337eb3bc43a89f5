"""The operation decorator: what each view needs (scope, parameters) and what it returns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from .params import Param

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class Operation:
    """A documented operation: read by auth (scope) and by the OpenAPI builder."""

    operation_id: str
    summary: str
    description: str
    tag: str
    scope: str | None
    params: Sequence[Param]
    response_schema: str
    paginated: bool
    # A 200 in other media types than JSON: media type -> schema (None: JSON, response_schema).
    media_types: dict[str, dict[str, Any]] | None = None


def operation(
    *,
    operation_id: str,
    summary: str,
    description: str,
    tag: str,
    scope: str | None,
    response_schema: str,
    params: Sequence[Param] = (),
    paginated: bool = False,
    media_types: dict[str, dict[str, Any]] | None = None,
) -> Callable[[View], View]:
    """Attach an Operation to a view; scope None makes the route public."""

    def attach(view: View) -> View:
        view.operation = Operation(  # type: ignore[attr-defined]
            operation_id,
            summary,
            description,
            tag,
            scope,
            tuple(params),
            response_schema,
            paginated,
            media_types,
        )
        view.required_scope = scope  # type: ignore[attr-defined]
        view.public = scope is None  # type: ignore[attr-defined]
        return view

    return attach
