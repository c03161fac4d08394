"""HTTP interface of deadlines: the effective policy, and a scan for reminders and escalation run now."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import AwareDatetime, BaseModel

from complaint_svc import categories
from complaint_svc.deadlines import service
from complaint_svc.deps import ContextDep
from complaint_svc.settings import ComplaintSettings, DeadlinePolicy
from supervision_schemas.complaint import ComplaintChannel, ComplaintKind
from svc_runtime.db import SessionDep, utc_now
from svc_runtime.problems import Problem
from svc_runtime.scope import DataScopeDep, OutOfScope

router = APIRouter(tags=["deadlines"])


class ScanRead(BaseModel):
    as_of: datetime
    examined: int
    reminded: int
    escalated: int


class UnknownCategory(Problem):
    status = 422
    title = "Unknown category"


@router.get("/deadline-policies", response_model=DeadlinePolicy)
async def effective_policy(
    request: Request,
    scope: DataScopeDep,
    kind: Annotated[ComplaintKind, Query(description="complaint or report")],
    channel: Annotated[ComplaintChannel, Query(description="the channel")],
    category: Annotated[str, Query(max_length=50, description="the category")] = "other",
) -> DeadlinePolicy:
    """The working-day deadlines that apply to a kind, channel and category (defaults overlaid by settings)."""
    if category not in categories.BY_CODE:
        raise UnknownCategory(f"unknown category {category!r}")
    settings: ComplaintSettings = request.state.settings
    return settings.policy(kind, channel, category)


@router.post("/deadlines/scan", response_model=ScanRead)
async def scan_now(
    session: SessionDep,
    scope: DataScopeDep,
    ctx: ContextDep,
    as_of: Annotated[AwareDatetime | None, Query(description="Scan as if it were this time (default now).")] = None,
) -> ScanRead:
    """Send due reminders and escalations now (platform administrators; the service also scans periodically)."""
    if not scope.unrestricted:
        raise OutOfScope("only platform administrators run the deadline scan")
    when = as_of or utc_now()
    result = await service.scan(session, ctx, when)
    return ScanRead(as_of=when, **result.__dict__)
