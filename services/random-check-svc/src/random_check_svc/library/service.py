"""Queries and changes of the list and the two databases, always within the caller's data scope."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from random_check_svc.access import actor, region_or_ancestors
from random_check_svc.errors import IllegalState, InvalidInput, UnknownRecord
from random_check_svc.library.models import (
    ItemStatus,
    ObjectStatus,
    RcConflict,
    RcInspectionForm,
    RcInspector,
    RcItem,
    RcObject,
)
from random_check_svc.library.schemas import ConflictCreate, ObjectStatusUpdate
from svc_runtime.db import utc_now
from svc_runtime.pagination import PaginationParams, order_by, paginate
from svc_runtime.scope import DataScope, region_prefix

ITEM_SORT = {"code": RcItem.code, "name": RcItem.name}
OBJECT_SORT = {"name": RcObject.name, "region_code": RcObject.region_code, "credit_class": RcObject.credit_class}
INSPECTOR_SORT = {"name": RcInspector.name, "certificate_valid_until": RcInspector.certificate_valid_until}


def items_in_list() -> Select[RcItem]:
    """The random-check item list (一单): items in force flagged for random checks."""
    return select(RcItem).where(RcItem.random_check.is_(True), RcItem.status == ItemStatus.IN_FORCE.value)


async def list_items(
    session: AsyncSession,
    params: PaginationParams,
    *,
    scope: DataScope | None,
    q: str | None = None,
    domain: str | None = None,
    department_id: uuid.UUID | None = None,
    all_items: bool = False,
    sort: str | None = None,
) -> tuple[list[RcItem], int]:
    statement = select(RcItem) if all_items else items_in_list()
    if scope is not None:
        statement = statement.where(region_or_ancestors(scope, RcItem.region_code))
    if q:
        statement = statement.where(or_(RcItem.name.contains(q, autoescape=True), RcItem.code.startswith(q)))
    if domain:
        statement = statement.where(RcItem.domain == domain)
    if department_id:
        statement = statement.where(RcItem.department_id == department_id)
    statement = statement.order_by(*order_by(sort, ITEM_SORT, "code"))
    return await paginate(session, statement, params)


async def get_item(session: AsyncSession, code: str) -> RcItem:
    item = await session.scalar(select(RcItem).where(RcItem.code == code))
    if item is None:
        raise UnknownRecord(f"no supervision item with code {code}")
    return item


async def forms_for(session: AsyncSession, item_codes: list[str]) -> dict[str, RcInspectionForm]:
    """The newest published inspection list (and its form) of each item code."""
    rows = (
        await session.scalars(
            select(RcInspectionForm)
            .where(RcInspectionForm.item_code.in_(item_codes))
            .order_by(RcInspectionForm.item_code, RcInspectionForm.published_at.desc(), RcInspectionForm.version.desc())
            .ext(distinct_on(RcInspectionForm.item_code))
        )
    ).all()
    return {row.item_code: row for row in rows}


async def list_objects(
    session: AsyncSession,
    params: PaginationParams,
    *,
    scope: DataScope,
    region_code: str | None = None,
    credit_class: str | None = None,
    status: ObjectStatus | None = None,
    kind: str | None = None,
    industry_code: str | None = None,
    q: str | None = None,
    sort: str | None = None,
) -> tuple[list[RcObject], int]:
    statement = scope.filter(select(RcObject), region=RcObject.region_code)
    if region_code:
        statement = statement.where(RcObject.region_code.startswith(region_prefix(region_code), autoescape=True))
    if credit_class:
        statement = statement.where(RcObject.credit_class == credit_class)
    if status:
        statement = statement.where(RcObject.status == status.value)
    if kind:
        statement = statement.where(RcObject.kind == kind)
    if industry_code:
        statement = statement.where(RcObject.industry_code.startswith(industry_code, autoescape=True))
    if q:
        statement = statement.where(or_(RcObject.name.contains(q, autoescape=True), RcObject.uscc == q.upper()))
    statement = statement.order_by(*order_by(sort, OBJECT_SORT, "name"), RcObject.object_id)
    return await paginate(session, statement, params)


async def get_object(session: AsyncSession, object_id: uuid.UUID, scope: DataScope) -> RcObject:
    obj = await session.get(RcObject, object_id)
    if obj is None or not scope.can_read(region_code=obj.region_code):
        raise UnknownRecord(f"no supervised object {object_id} in your scope")
    return obj


async def set_object_status(
    session: AsyncSession, object_id: uuid.UUID, data: ObjectStatusUpdate, scope: DataScope
) -> RcObject:
    """Deregister an object locally (or restore it); merged objects follow the data hub."""
    obj = await get_object(session, object_id, scope)
    scope.check_write(region_code=obj.region_code)
    if data.status is ObjectStatus.MERGED or obj.status == ObjectStatus.MERGED.value:
        raise IllegalState("merges and splits come from the data hub; this status cannot be set here")
    obj.status = data.status
    obj.status_reason = f"{data.reason} ({actor(scope)}, {utc_now():%Y-%m-%d})"
    return obj


def inspector_valid_on(day: date) -> Any:
    """Active, with a certificate valid on `day`."""
    return and_(
        RcInspector.status == "active",
        RcInspector.certificate_number.is_not(None),
        or_(RcInspector.certificate_valid_from.is_(None), RcInspector.certificate_valid_from <= day),
        or_(RcInspector.certificate_valid_until.is_(None), RcInspector.certificate_valid_until >= day),
    )


async def list_inspectors(
    session: AsyncSession,
    params: PaginationParams,
    *,
    scope: DataScope,
    department_id: uuid.UUID | None = None,
    qualified_for: str | None = None,
    valid_on: date | None = None,
    status: str | None = None,
    sort: str | None = None,
) -> tuple[list[RcInspector], int]:
    statement = scope.filter(select(RcInspector), region=RcInspector.region_code, department=RcInspector.department_id)
    if department_id:
        statement = statement.where(RcInspector.department_id == department_id)
    if qualified_for:
        statement = statement.where(RcInspector.qualifications.contains([qualified_for]))
    if valid_on:
        statement = statement.where(inspector_valid_on(valid_on))
    if status:
        statement = statement.where(RcInspector.status == status)
    statement = statement.order_by(*order_by(sort, INSPECTOR_SORT, "name"), RcInspector.user_id)
    return await paginate(session, statement, params)


async def get_inspector(session: AsyncSession, user_id: uuid.UUID, scope: DataScope) -> RcInspector:
    row = await session.get(RcInspector, user_id)
    if row is None or not scope.can_read(region_code=row.region_code, department_id=row.department_id):
        raise UnknownRecord(f"no inspector {user_id} in your scope")
    return row


async def declare_conflict(session: AsyncSession, data: ConflictCreate, scope: DataScope) -> RcConflict:
    inspector = await session.get(RcInspector, data.inspector_id)
    if inspector is None:
        raise InvalidInput(
            f"inspector_id: no inspector {data.inspector_id} in the inspector database",
            errors=[{"loc": ["body", "inspector_id"], "msg": "unknown inspector"}],
        )
    scope.check_write(region_code=inspector.region_code, department_id=inspector.department_id)
    if await session.get(RcObject, data.object_id) is None:
        raise InvalidInput(
            f"object_id: no supervised object {data.object_id} in the object database",
            errors=[{"loc": ["body", "object_id"], "msg": "unknown object"}],
        )
    existing = await session.scalar(
        select(RcConflict).where(
            RcConflict.inspector_id == data.inspector_id,
            RcConflict.object_id == data.object_id,
            RcConflict.withdrawn_at.is_(None),
        )
    )
    if existing is not None:
        raise IllegalState(f"this conflict is already declared ({existing.id})")
    row = RcConflict(
        inspector_id=data.inspector_id,
        object_id=data.object_id,
        reason=data.reason,
        note=data.note,
        department_id=inspector.department_id,
        region_code=inspector.region_code,
        declared_by=actor(scope),
    )
    session.add(row)
    await session.flush()
    return row


async def list_conflicts(
    session: AsyncSession,
    params: PaginationParams,
    *,
    scope: DataScope,
    inspector_id: uuid.UUID | None = None,
    object_id: uuid.UUID | None = None,
    active: bool | None = None,
) -> tuple[list[RcConflict], int]:
    statement = scope.filter(select(RcConflict), region=RcConflict.region_code, department=RcConflict.department_id)
    if inspector_id:
        statement = statement.where(RcConflict.inspector_id == inspector_id)
    if object_id:
        statement = statement.where(RcConflict.object_id == object_id)
    if active is not None:
        statement = statement.where(
            RcConflict.withdrawn_at.is_(None) if active else RcConflict.withdrawn_at.is_not(None)
        )
    return await paginate(session, statement.order_by(RcConflict.declared_at.desc(), RcConflict.id), params)


async def withdraw_conflict(session: AsyncSession, conflict_id: uuid.UUID, scope: DataScope) -> RcConflict:
    """Withdraw a declaration; it stays on record."""
    row = await session.get(RcConflict, conflict_id)
    if row is None or not scope.can_read(region_code=row.region_code, department_id=row.department_id):
        raise UnknownRecord(f"no conflict declaration {conflict_id} in your scope")
    scope.check_write(region_code=row.region_code, department_id=row.department_id)
    if row.withdrawn_at is not None:
        raise IllegalState("this declaration was already withdrawn")
    row.withdrawn_at = utc_now()
    row.withdrawn_by = actor(scope)
    return row
