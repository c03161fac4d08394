"""HTTP interface of the object view: objects with their grade, and one object's credit profile."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import func, select

from credit_svc.grading.endpoints import grade_reads
from credit_svc.grading.models import CreditGrade
from credit_svc.objects.models import CreditObject, CreditWarning, ObjectStatus, WarningStatus
from credit_svc.objects.schemas import CreditObjectRead, CreditProfile, WarningSummary
from credit_svc.records.models import CreditRecord, RecordStatus
from credit_svc.records.schemas import RecordRead
from supervision_schemas.datahub import ObjectKind
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep, order_by
from svc_runtime.problems import NotFound
from svc_runtime.scope import DataScopeDep

router = APIRouter(prefix="/objects", tags=["objects"])
SORTABLE = {"name": CreditObject.name, "updated_at": CreditObject.updated_at, "score": CreditGrade.score}


@router.get("", response_model=Page[CreditObjectRead])
async def list_objects(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    q: Annotated[str | None, Query(max_length=100, description="Text the name contains.")] = None,
    uscc: Annotated[str | None, Query(min_length=18, max_length=18, description="Unified social credit code.")] = None,
    kind: Annotated[ObjectKind | None, Query(description="Only objects of this kind.")] = None,
    region_code: Annotated[str | None, Query(pattern=r"^\d{2,6}$", description="Region code or prefix.")] = None,
    department_id: Annotated[uuid.UUID | None, Query(description="Supervising department.")] = None,
    include_merged: Annotated[bool, Query(description="Also objects merged into others.")] = False,
    sort: Annotated[str | None, Query(description="name, updated_at or score; `-` for descending.")] = None,
) -> Page[CreditObjectRead]:
    """List the objects credit-svc knows (from the data hub) with their class and score."""
    statement = scope.filter(
        select(CreditObject, CreditGrade.risk_class, CreditGrade.score).outerjoin(
            CreditGrade, CreditGrade.object_id == CreditObject.object_id
        ),
        region=CreditObject.region_code,
        department=CreditObject.department_id,
    )
    if q:
        statement = statement.where(CreditObject.name.contains(q, autoescape=True))
    if uscc:
        statement = statement.where(CreditObject.uscc == uscc.upper())
    if kind:
        statement = statement.where(CreditObject.kind == kind.value)
    if region_code:
        statement = statement.where(CreditObject.region_code.startswith(region_code))
    if department_id:
        statement = statement.where(CreditObject.department_id == department_id)
    if not include_merged:
        statement = statement.where(CreditObject.status == ObjectStatus.ACTIVE)
    statement = statement.order_by(*order_by(sort, SORTABLE, "-updated_at"), CreditObject.object_id)
    total = await session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = (await session.execute(statement.offset(pagination.offset).limit(pagination.limit))).all()
    items = []
    for obj, risk_class, score in rows:
        read = CreditObjectRead.model_validate(obj)
        read.risk_class, read.score = risk_class, score
        items.append(read)
    return Page(items=items, total=int(total or 0), page=pagination.page, limit=pagination.limit)


@router.get("/{object_id}", response_model=CreditProfile, responses={403: {}, 404: {"description": "Not in the view"}})
async def credit_profile(object_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> Any:
    """Get an object's credit profile: grade with explanation, records in force, open risk warnings."""
    obj = await session.get(CreditObject, object_id)
    if obj is None:
        raise NotFound(f"object {object_id} is not in the credit view")
    scope.check_read(region_code=obj.region_code, department_id=obj.department_id)
    grade = await session.get(CreditGrade, object_id)
    records = (
        scope.filter(
            select(CreditRecord).where(CreditRecord.object_id == object_id, CreditRecord.status == RecordStatus.ACTIVE),
            region=CreditRecord.region_code,
            department=CreditRecord.department_id,
        )
        .order_by(CreditRecord.decided_on.desc())
        .limit(200)
    )
    warnings = (
        select(CreditWarning)
        .where(CreditWarning.object_id == object_id, CreditWarning.status == WarningStatus.OPEN)
        .order_by(CreditWarning.raised_at.desc())
        .limit(50)
    )
    read = CreditObjectRead.model_validate(obj)
    if grade is not None:
        read.risk_class, read.score = grade.risk_class, grade.score
    return CreditProfile(
        object=read,
        grade=(await grade_reads(session, [(grade, obj)]))[0] if grade else None,
        records=[RecordRead.model_validate(r) for r in (await session.scalars(records)).all()],
        open_warnings=[WarningSummary.model_validate(w) for w in (await session.scalars(warnings)).all()],
    )
