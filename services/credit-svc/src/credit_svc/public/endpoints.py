"""Public credit disclosure (信用信息公示): no token, legal persons only, public records in force only.

Risk classes and scores are not disclosed (不公开), natural persons are not disclosed at all, and
entries made by list rules (which follow classes) are never public.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from sqlalchemy import Select, func, select

from credit_svc.lists.models import CreditList
from credit_svc.objects.models import CreditObject, ObjectStatus
from credit_svc.public.schemas import PublicCreditProfile, PublicListEntry, PublicRecord
from credit_svc.records.models import RECORD_FOR_LIST, CreditRecord, RecordStatus, RecordType
from supervision_schemas.credit import CreditListType
from supervision_schemas.datahub import ObjectKind
from supervision_schemas.identifiers import validate_uscc
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep
from svc_runtime.problems import NotFound, Problem

router = APIRouter(prefix="/public", tags=["public"])


class InvalidCode(Problem):
    status = 422
    title = "Invalid unified social credit code"


def _disclosed() -> Select[*tuple[Any, ...]]:
    """Public records in force of active legal persons, with their list name."""
    return (
        select(CreditRecord, CreditObject, CreditList.name)
        .join(CreditObject, CreditObject.object_id == CreditRecord.object_id)
        .outerjoin(CreditList, CreditList.id == CreditRecord.list_id)
        .where(
            CreditRecord.public.is_(True),
            CreditRecord.automatic.is_(False),
            CreditRecord.status == RecordStatus.ACTIVE,
            CreditObject.kind == ObjectKind.LEGAL_PERSON.value,
            CreditObject.status == ObjectStatus.ACTIVE,
            CreditObject.uscc.is_not(None),
        )
    )


def _public(record: CreditRecord, list_name: str | None) -> PublicRecord:
    return PublicRecord(
        record_type=RecordType(record.record_type),
        reason=record.reason,
        legal_basis=record.legal_basis,
        document_number=record.document_number,
        amount=record.amount,
        decided_on=record.decided_on,
        effective_from=record.effective_from,
        effective_until=record.effective_until,
        department_name=record.department_name,
        list_name=list_name,
    )


@router.get(
    "/credit/{uscc}",
    response_model=PublicCreditProfile,
    responses={404: {"description": "No such legal person"}, 422: {"description": "Invalid credit code"}},
)
async def public_credit(
    uscc: Annotated[str, Path(max_length=30, description="Unified social credit code (GB 32100-2015).")],
    session: SessionDep,
) -> Any:
    """Get the public credit information of a legal person: list entries, penalties and commendations in force."""
    try:
        code = validate_uscc(uscc)
    except ValueError as exc:
        raise InvalidCode(str(exc)) from None
    obj = await session.scalar(
        select(CreditObject).where(
            CreditObject.uscc == code,
            CreditObject.kind == ObjectKind.LEGAL_PERSON.value,
            CreditObject.status == ObjectStatus.ACTIVE,
        )
    )
    if obj is None:
        raise NotFound("no legal person with this credit code is known")
    rows = (
        await session.execute(
            _disclosed()
            .where(CreditRecord.object_id == obj.object_id)
            .order_by(CreditRecord.decided_on.desc())
            .limit(500)
        )
    ).all()
    return PublicCreditProfile(
        uscc=code, name=obj.name, region_code=obj.region_code, records=[_public(r, n) for r, _, n in rows]
    )


@router.get("/lists/{list_type}", response_model=Page[PublicListEntry])
async def public_list(
    list_type: CreditListType,
    session: SessionDep,
    pagination: PaginationDep,
    region_code: Annotated[str | None, Query(pattern=r"^\d{2,6}$", description="Region code or prefix.")] = None,
    q: Annotated[str | None, Query(max_length=100, description="Text the name contains.")] = None,
) -> Page[PublicListEntry]:
    """List the legal persons on a list (abnormal operation, serious violation, red or black), newest first."""
    statement = _disclosed().where(CreditRecord.record_type == RECORD_FOR_LIST[list_type])
    if region_code:
        statement = statement.where(CreditObject.region_code.startswith(region_code))
    if q:
        statement = statement.where(CreditObject.name.contains(q, autoescape=True))
    total = await session.scalar(select(func.count()).select_from(statement.subquery()))
    rows = (
        await session.execute(
            statement.order_by(CreditRecord.decided_on.desc(), CreditRecord.id)
            .offset(pagination.offset)
            .limit(pagination.limit)
        )
    ).all()
    items = [
        PublicListEntry(uscc=o.uscc or "", name=o.name, region_code=o.region_code, record=_public(r, n))
        for r, o, n in rows
    ]
    return Page(items=items, total=int(total or 0), page=pagination.page, limit=pagination.limit)
