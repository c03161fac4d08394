"""HTTP interface of statistics."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from random_check_svc.stats import service as stats_service
from random_check_svc.stats.schemas import GroupBy, Statistics
from svc_runtime.db import SessionDep
from svc_runtime.scope import DataScopeDep

router = APIRouter(prefix="/statistics", tags=["statistics"])


@router.get("", response_model=Statistics)
async def get_statistics(
    session: SessionDep,
    scope: DataScopeDep,
    by: Annotated[GroupBy, Query(description="department, industry or credit_class (class at draw time).")],
    year: Annotated[int | None, Query(ge=2000, le=2100, description="Checks of this year.")] = None,
    plan_id: Annotated[uuid.UUID | None, Query(description="Only this plan.")] = None,
    department_id: Annotated[uuid.UUID | None, Query(description="Only this department.")] = None,
) -> Statistics:
    """Completion, problem and on-time disclosure rates of the checks in your scope."""
    return await stats_service.statistics(
        session, by=by, scope=scope, year=year, plan_id=plan_id, department_id=department_id
    )
