"""Warnings and their disposal feedback."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from risk_svc.riskmodels import service as model_service
from risk_svc.warnings import service as warning_service
from risk_svc.warnings.models import RiskWarning, WarningStatus
from risk_svc.warnings.schemas import DisposalRead, FeedbackCreate, WarningRead
from supervision_schemas.risk import WarningLevel
from svc_runtime.auth import CurrentPrincipal
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep, order_by, paginate
from svc_runtime.scope import DataScopeDep

router = APIRouter(prefix="/warnings", tags=["warnings"])
_SORT = {"raised_at": RiskWarning.raised_at, "updated_at": RiskWarning.updated_at, "score": RiskWarning.score}


@router.get("", response_model=Page[WarningRead])
async def list_warnings(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    status: Annotated[WarningStatus | None, Query(description="Only open or closed warnings.")] = None,
    level: Annotated[WarningLevel | None, Query(description="Only this level.")] = None,
    model_key: Annotated[str | None, Query(description="Only warnings of this model.")] = None,
    object_key: Annotated[str | None, Query(description="Only warnings about this object (USCC or obj:<id>).")] = None,
    region_code: Annotated[str | None, Query(pattern=r"^\d{2,6}$", description="Region code prefix.")] = None,
    sort: Annotated[
        str | None, Query(description="Sort by raised_at, updated_at or score; '-' for descending.")
    ] = None,
) -> Page[WarningRead]:
    """List warnings within your data scope."""
    stmt = warning_service.readable(scope)
    if status is not None:
        stmt = stmt.where(RiskWarning.status == status)
    if level is not None:
        stmt = stmt.where(RiskWarning.level == level)
    if model_key is not None:
        stmt = stmt.where(RiskWarning.model_key == model_key)
    if object_key is not None:
        stmt = stmt.where(RiskWarning.object_key == object_key)
    if region_code is not None:
        stmt = stmt.where(RiskWarning.region_code.startswith(region_code, autoescape=True))
    stmt = stmt.order_by(*order_by(sort, _SORT, "-raised_at"), RiskWarning.id)
    items, total = await paginate(session, stmt, pagination)
    return Page(
        items=[WarningRead.model_validate(i) for i in items], total=total, page=pagination.page, limit=pagination.limit
    )


@router.get("/{warning_id}", response_model=WarningRead, responses={404: {"description": "No such warning in scope."}})
async def get_warning(warning_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> RiskWarning:
    """Get a warning with its evidence."""
    return await warning_service.get(session, scope, warning_id)


@router.post(
    "/{warning_id}/feedback",
    response_model=DisposalRead,
    status_code=201,
    responses={404: {"description": "No such warning in scope."}, 409: {"description": "Already disposed of."}},
)
async def record_feedback(
    warning_id: uuid.UUID, body: FeedbackCreate, session: SessionDep, scope: DataScopeDep, principal: CurrentPrincipal
) -> DisposalRead:
    """Record how a warning was disposed of (confirmed, false alarm, action taken); closes it."""
    disposal = await warning_service.record_feedback(session, scope, warning_id, body, actor=principal.subject)
    await model_service.check_precision(session, disposal.model_key, disposal.model_version)
    return DisposalRead.model_validate(disposal)
