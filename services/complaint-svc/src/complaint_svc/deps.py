"""Request dependencies of complaint-svc: settings and the service context from the lifespan state."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from complaint_svc.complaints.service import Context, make_context
from complaint_svc.settings import ComplaintSettings

_contexts: dict[int, Context] = {}


def get_context(request: Request) -> Context:
    settings = cast(ComplaintSettings, request.state.settings)
    ctx = _contexts.get(id(settings))
    if ctx is None or ctx.settings is not settings:
        ctx = _contexts[id(settings)] = make_context(settings)
    return ctx


ContextDep = Annotated[Context, Depends(get_context)]
