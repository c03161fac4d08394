"""Problems of catalog-svc that name the field (and row) at fault, shaped like request validation errors."""

from __future__ import annotations

from typing import Any

from svc_runtime.problems import Conflict, Problem


class InvalidField(Problem):
    status = 422
    title = "Validation failed"

    def __init__(self, field: str | list[str | int], message: str, **extensions: Any) -> None:
        loc = field if isinstance(field, list) else ["body", field]
        super().__init__(
            f"{'.'.join(str(p) for p in loc)}: {message}", errors=[{"loc": loc, "msg": message}], **extensions
        )


class IllegalTransition(Conflict):
    title = "Illegal lifecycle transition"
