"""HTTP interface of manual class overrides (人工调整)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import and_, not_, select

from credit_svc.audit.service import ActorDep
from credit_svc.dates import today
from credit_svc.objects.models import CreditObject
from credit_svc.overrides import service as override_service
from credit_svc.overrides.models import GradeOverride, OverrideStatus
from credit_svc.overrides.schemas import OverrideCreate, OverrideLift, OverrideRead
from credit_svc.settings import CreditSettings
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep, paginate
from svc_runtime.problems import NotFound
from svc_runtime.scope import DataScopeDep

router = APIRouter(tags=["overrides"])
ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not an authorised official, or outside your data scope"},
    404: {"description": "Not found"},
    409: {"description": "No grade yet, an override already active, or not active any more"},
    422: {"description": "A class the scheme does not have, or a bad validity period"},
}


def _settings(request: Request) -> CreditSettings:
    settings = request.state.settings
    assert isinstance(settings, CreditSettings)
    return settings


@router.post("/grades/{object_id}/overrides", status_code=201, response_model=OverrideRead, responses=ERRORS)
async def create_override(
    object_id: uuid.UUID, body: OverrideCreate, request: Request, session: SessionDep, actor: ActorDep
) -> OverrideRead:
    """Override an object's risk class by decision (reason, legal basis, validity); audited and announced."""
    row = await override_service.create_override(session, actor, _settings(request), object_id, body)
    return override_service.override_read(row)


@router.get("/grades/{object_id}/overrides", response_model=list[OverrideRead], responses=ERRORS)
async def object_overrides(object_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> list[OverrideRead]:
    """List an object's overrides, newest first (active, lifted and expired)."""
    obj = await session.get(CreditObject, object_id)
    if obj is None:
        raise NotFound(f"object {object_id} is not in the credit view")
    scope.check_read(region_code=obj.region_code, department_id=obj.department_id)
    rows = await session.scalars(
        select(GradeOverride)
        .where(GradeOverride.object_id == object_id)
        .order_by(GradeOverride.created_at.desc(), GradeOverride.id)
    )
    return [override_service.override_read(r) for r in rows.all()]


@router.get("/overrides", response_model=Page[OverrideRead])
async def list_overrides(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    status: Annotated[OverrideStatus | None, Query(description="Only overrides in this state.")] = None,
    in_force: Annotated[bool | None, Query(description="Only those in force today (or only those not).")] = None,
    risk_class: Annotated[str | None, Query(pattern=r"^[A-Z]$", description="Only overrides to this class.")] = None,
    expiring_before: Annotated[date | None, Query(description="Only active ones whose validity ends before.")] = None,
) -> Page[OverrideRead]:
    """List overrides within your data scope, newest first."""
    statement = scope.filter(
        select(GradeOverride), region=GradeOverride.region_code, department=GradeOverride.department_id
    )
    if status is not None:
        statement = statement.where(GradeOverride.status == status)
    if in_force is not None:
        d = today()
        current = and_(
            GradeOverride.status == OverrideStatus.ACTIVE, GradeOverride.valid_from <= d, GradeOverride.valid_until > d
        )
        statement = statement.where(current if in_force else not_(current))
    if risk_class:
        statement = statement.where(GradeOverride.risk_class == risk_class)
    if expiring_before is not None:
        statement = statement.where(
            GradeOverride.status == OverrideStatus.ACTIVE, GradeOverride.valid_until < expiring_before
        )
    statement = statement.order_by(GradeOverride.created_at.desc(), GradeOverride.id)
    rows, total = await paginate(session, statement, pagination)
    return Page(
        items=[override_service.override_read(r) for r in rows],
        total=total,
        page=pagination.page,
        limit=pagination.limit,
    )


@router.get("/overrides/{override_id}", response_model=OverrideRead, responses=ERRORS)
async def get_override(override_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> OverrideRead:
    """Get one override."""
    row = await override_service.get_override(session, override_id)
    scope.check_read(region_code=row.region_code, department_id=row.department_id)
    return override_service.override_read(row)


@router.post("/overrides/{override_id}/lift", response_model=OverrideRead, responses=ERRORS)
async def lift_override(
    override_id: uuid.UUID, body: OverrideLift, session: SessionDep, actor: ActorDep
) -> OverrideRead:
    """Lift an active override before it expires; the rules' class applies again at once."""
    row = await override_service.lift_override(session, actor, override_id, body)
    return override_service.override_read(row)
