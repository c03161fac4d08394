"""HTTP interface of check plans."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from random_check_svc.access import SettingsDep
from random_check_svc.plans import service as plan_service
from random_check_svc.plans.models import PlanKind, PlanStatus
from random_check_svc.plans.schemas import PlanCreate, PlanRead, PlanUpdate
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep
from svc_runtime.scope import DataScopeDep

router = APIRouter(prefix="/plans", tags=["plans"])
ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Outside your data scope"},
    422: {"description": "Invalid plan: `errors` lists why"},
}


@router.post("", response_model=PlanRead, status_code=status.HTTP_201_CREATED, responses=ERRORS)
async def create_plan(data: PlanCreate, session: SessionDep, scope: DataScopeDep, settings: SettingsDep) -> PlanRead:
    """Create a check plan for a year; with several departments it is a joint plan (进一次门、查多项事)."""
    plan = await plan_service.create(session, data, scope=scope, settings=settings)
    return await plan_service.read(session, plan)


@router.get("", response_model=Page[PlanRead])
async def list_plans(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="Plans of this year.")] = None,
    kind: Annotated[PlanKind | None, Query(description="department or joint.")] = None,
    status: Annotated[PlanStatus | None, Query(description="active or closed.")] = None,
    department_id: Annotated[uuid.UUID | None, Query(description="Plans this department initiates or joins.")] = None,
    sort: Annotated[str | None, Query(description="year, name, created_at; `-` for descending.")] = None,
) -> Page[PlanRead]:
    """List the plans your department initiates or takes part in (leaders: your region's)."""
    rows, total = await plan_service.list_plans(
        session, pagination, scope=scope, year=year, kind=kind, status=status, department_id=department_id, sort=sort
    )
    return Page(
        items=[await plan_service.read(session, r) for r in rows],
        total=total,
        page=pagination.page,
        limit=pagination.limit,
    )


@router.get("/{plan_id}", response_model=PlanRead, responses={404: {}})
async def get_plan(plan_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> PlanRead:
    """Get a plan with its participating departments and items."""
    return await plan_service.read(session, await plan_service.get(session, plan_id, scope))


@router.patch("/{plan_id}", response_model=PlanRead, responses={**ERRORS, 404: {}, 409: {}})
async def update_plan(
    plan_id: uuid.UUID, data: PlanUpdate, session: SessionDep, scope: DataScopeDep, settings: SettingsDep
) -> PlanRead:
    """Change a plan's ratios or rules before its first draw has run."""
    plan = await plan_service.update(session, plan_id, data, scope=scope, settings=settings)
    return await plan_service.read(session, plan)


@router.post("/{plan_id}/close", response_model=PlanRead, responses={403: {}, 404: {}, 409: {}})
async def close_plan(plan_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> PlanRead:
    """Close a plan: no further draws."""
    return await plan_service.read(session, await plan_service.close(session, plan_id, scope=scope))
