"""Statistics on joint tasks for the evaluation of supervision efficiency."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from joint_svc.stats import service as stats_service
from joint_svc.stats.schemas import GroupBy, StatsReport
from supervision_schemas.joint import JointTaskKind, TaskOrigin
from svc_runtime.db import SessionDep
from svc_runtime.scope import DataScopeDep

router = APIRouter(prefix="/statistics", tags=["statistics"])


@router.get("/tasks", response_model=StatsReport)
async def task_statistics(
    session: SessionDep,
    scope: DataScopeDep,
    group_by: Annotated[
        GroupBy, Query(description="Group by receiving department (assignee), sending department or kind.")
    ] = GroupBy.ASSIGNEE,
    kind: Annotated[JointTaskKind | None, Query(description="Only tasks of this kind.")] = None,
    origin: Annotated[TaskOrigin | None, Query(description="Only tasks from this origin.")] = None,
    region_code: Annotated[str | None, Query(pattern=r"^\d{2,6}$", description="Region code prefix.")] = None,
    created_from: Annotated[date | None, Query(description="Created on or after this day (China time).")] = None,
    created_to: Annotated[date | None, Query(description="Created on or before this day (China time).")] = None,
) -> StatsReport:
    """Volumes, timeliness and overdue tasks by department (or kind), over the tasks in your scope."""
    return await stats_service.report(
        session,
        scope,
        group_by=group_by,
        kind=kind,
        origin=origin,
        region_code=region_code,
        created_from=created_from,
        created_to=created_to,
    )
