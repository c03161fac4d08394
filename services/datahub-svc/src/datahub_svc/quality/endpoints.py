"""HTTP interface of data quality: rules, errors fed back to providing departments, rechecks, scores."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from datahub_svc.quality import service as quality_service
from datahub_svc.quality.models import QualityError
from datahub_svc.quality.rules import LIBRARIES, RULES
from datahub_svc.quality.schemas import (
    DismissIn,
    ErrorStatus,
    QualityErrorRead,
    RuleRead,
    ScanIn,
    ScanResult,
    ScoreRead,
)
from supervision_schemas.datahub import QualityDimension
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep, order_by, paginate
from svc_runtime.problems import NotFound, Problem
from svc_runtime.scope import DataScope, DataScopeDep

router = APIRouter(prefix="/quality", tags=["data quality"])
SORTABLE = {"raised_at": QualityError.raised_at, "rule": QualityError.rule}


class UnknownLibrary(Problem):
    status = 422
    title = "Unknown library"


async def _error(session: SessionDep, scope: DataScope, error_id: uuid.UUID, *, write: bool) -> QualityError:
    error = await session.get(QualityError, error_id)
    if error is None:
        raise NotFound(f"quality error {error_id} does not exist")
    check = scope.check_write if write else scope.check_read
    check(region_code=error.region_code, department_id=error.provider_department_id)
    return error


@router.get("/rules", response_model=list[RuleRead])
async def list_rules(
    scope: DataScopeDep,
    library: Annotated[str | None, Query(max_length=30, description="Rules of this library.")] = None,
) -> list[RuleRead]:
    """The quality rules of each library (completeness, validity, timeliness)."""
    return [
        RuleRead(id=r.id, library=r.library, dimension=r.dimension, field=r.field, description=r.description)
        for r in RULES
        if library is None or r.library == library
    ]


@router.get("/errors", response_model=Page[QualityErrorRead])
async def list_errors(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    status: Annotated[ErrorStatus | None, Query(description="open (default), fixed or dismissed.")] = ErrorStatus.OPEN,
    library: Annotated[str | None, Query(max_length=30, description="Errors of this library.")] = None,
    rule: Annotated[str | None, Query(max_length=100, description="Errors of this rule.")] = None,
    dimension: Annotated[QualityDimension | None, Query(description="completeness, validity or timeliness.")] = None,
    department_id: Annotated[uuid.UUID | None, Query(description="Errors fed back to this department.")] = None,
    job_id: Annotated[uuid.UUID | None, Query(description="Refused rows of this import job.")] = None,
    record_id: Annotated[uuid.UUID | None, Query(description="Errors of this record.")] = None,
    sort: Annotated[str | None, Query(description="raised_at or rule, `-` for descending.")] = None,
) -> Page[QualityErrorRead]:
    """The errors found in data your department provided (all departments of your region, for leaders)."""
    q = QualityError
    statement = scope.filter(select(q), region=q.region_code, department=q.provider_department_id)
    if status is not None:
        statement = statement.where(q.status == status.value)
    for column, value in (
        (q.library, library),
        (q.rule, rule),
        (q.dimension, dimension.value if dimension else None),
        (q.provider_department_id, department_id),
        (q.job_id, job_id),
        (q.record_id, record_id),
    ):
        if value is not None:
            statement = statement.where(column == value)
    statement = statement.order_by(*order_by(sort, SORTABLE, "-raised_at"), q.id)
    items, total = await paginate(session, statement, pagination)
    return Page(
        items=[QualityErrorRead.model_validate(i) for i in items],
        total=total,
        page=pagination.page,
        limit=pagination.limit,
    )


@router.get("/errors/{error_id}", response_model=QualityErrorRead, responses={404: {"description": "No such error"}})
async def get_error(error_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> Any:
    """Get one quality error and how it was resolved."""
    return QualityErrorRead.model_validate(await _error(session, scope, error_id, write=False))


@router.post(
    "/errors/{error_id}/recheck",
    response_model=QualityErrorRead,
    responses={404: {"description": "No such error"}, 409: {"description": "A refused row: nothing to recheck"}},
)
async def recheck_error(error_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> Any:
    """Run the rules of the error's record again now: the error is fixed if the record passes."""
    error = await _error(session, scope, error_id, write=True)
    await quality_service.recheck(session, error)
    await session.refresh(error)
    return QualityErrorRead.model_validate(error)


@router.post(
    "/errors/{error_id}/dismiss",
    response_model=QualityErrorRead,
    responses={404: {"description": "No such error"}, 409: {"description": "Already resolved"}},
)
async def dismiss_error(error_id: uuid.UUID, body: DismissIn, session: SessionDep, scope: DataScopeDep) -> Any:
    """The providing department says the data is right (or the rule does not apply): closed with its reason."""
    error = await _error(session, scope, error_id, write=True)
    await quality_service.dismiss(session, error, actor=scope.principal.subject, note=body.note)
    await session.refresh(error)
    return QualityErrorRead.model_validate(error)


@router.post("/scans", response_model=ScanResult, responses={422: {"description": "Unknown library"}})
async def scan(body: ScanIn, session: SessionDep, scope: DataScopeDep) -> ScanResult:
    """Check every record of a library in your scope again (after a rule or a deadline changed)."""
    if body.library not in LIBRARIES:
        raise UnknownLibrary(f"no library {body.library!r}; one of {', '.join(LIBRARIES)}")
    if not scope.unrestricted:
        scope.check_write(region_code=None)
    result = await quality_service.scan(
        session,
        body.library,
        region_prefix="" if scope.unrestricted else scope.prefix,
        department_id=None if scope.all_departments else scope.department,
    )
    return ScanResult(library=body.library, raised=result.raised, fixed=result.fixed)


@router.get("/scores", response_model=list[ScoreRead])
async def scores(
    session: SessionDep,
    scope: DataScopeDep,
    library: Annotated[str | None, Query(max_length=30, description="Scores of this library only.")] = None,
    department_id: Annotated[uuid.UUID | None, Query(description="Scores of this providing department only.")] = None,
) -> list[ScoreRead]:
    """Quality scores per providing department and library: completeness, validity, timeliness (0..1)."""
    if library is not None and library not in LIBRARIES:
        raise UnknownLibrary(f"no library {library!r}; one of {', '.join(LIBRARIES)}")
    found = await quality_service.scores(session, scope, library=library, department_id=department_id)
    return [ScoreRead(**asdict(s)) for s in found]
