"""Inspection implementation lists: drafted per sub item and level, coded and published with their forms."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from catalog_svc.coding import service as coding_service
from catalog_svc.coding.models import CodeTarget
from catalog_svc.errors import IllegalTransition, InvalidField
from catalog_svc.inspection.forms import FormField, validate_values
from catalog_svc.inspection.models import InspectionList, InspectionListVersion, ListStatus
from catalog_svc.inspection.schemas import (
    FormCheck,
    InspectionListAbolition,
    InspectionListAdjustment,
    InspectionListCreate,
    InspectionListRead,
)
from catalog_svc.items.models import IN_FORCE, ItemKind, SupervisionItem
from supervision_schemas.catalog import FormFieldSpec, InspectionListPublished, InspectionListPublishedData
from svc_runtime import outbox
from svc_runtime.db import utc_now
from svc_runtime.pagination import PaginationParams, paginate
from svc_runtime.problems import Conflict, NotFound
from svc_runtime.scope import DataScope

SOURCE = "/catalog-svc"


class ListNotFound(NotFound):
    title = "Inspection list not found"


def readable(scope: DataScope) -> ColumnElement[bool]:
    return or_(
        InspectionList.status != ListStatus.DRAFT,
        scope.condition(region=InspectionList.region_code, department=InspectionList.department_id),
    )


async def create(session: AsyncSession, *, data: InspectionListCreate, scope: DataScope) -> InspectionList:
    """Draft a list for a sub item (or a main item without sub items) that is in force."""
    department_id = data.department_id or scope.department
    scope.check_write(region_code=data.region_code, department_id=department_id)
    item = await session.get(SupervisionItem, data.item_id)
    if item is None:
        raise InvalidField("item_id", f"no supervision item {data.item_id}")
    if item.status not in IN_FORCE:
        raise InvalidField("item_id", f"the item is {item.status.value}; lists are made for published items")
    if item.kind is ItemKind.MAIN:
        has_subs = await session.scalar(select(SupervisionItem.id).where(SupervisionItem.parent_id == item.id).limit(1))
        if has_subs:
            raise InvalidField("item_id", "this main item has sub items; make the list for a sub item")
    row = InspectionList(
        id=uuid.uuid4(),
        **data.model_dump(exclude={"form", "department_id"}),
        department_id=department_id,
        form=[f.model_dump(mode="json", exclude_none=True) for f in data.form],
        status=ListStatus.DRAFT,
        version=1,
        created_at=utc_now(),
    )
    session.add(row)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("this agency already has a list for the item at this level") from exc
    return row


async def get(
    session: AsyncSession, list_id: uuid.UUID, scope: DataScope, *, for_update: bool = False
) -> InspectionList:
    statement = select(InspectionList).where(InspectionList.id == list_id, readable(scope))
    row = await session.scalar(statement.with_for_update() if for_update else statement)
    if row is None:
        raise ListNotFound(f"no inspection list {list_id} (or it is outside your data scope)")
    return row


async def list_lists(
    session: AsyncSession,
    params: PaginationParams,
    *,
    scope: DataScope,
    item_id: uuid.UUID | None,
    status: ListStatus | None,
) -> tuple[list[Any], int]:
    statement = select(InspectionList).where(readable(scope))
    if item_id:
        statement = statement.where(InspectionList.item_id == item_id)
    if status:
        statement = statement.where(InspectionList.status == status)
    return await paginate(session, statement.order_by(InspectionList.created_at, InspectionList.id), params)


async def publish(session: AsyncSession, list_id: uuid.UUID, *, scope: DataScope) -> InspectionList:
    """Publish a list: its code is the agency's USCC, the level digit and a sequence."""
    row = await get(session, list_id, scope)
    scope.check_write(region_code=row.region_code, department_id=row.department_id)
    if row.status is not ListStatus.DRAFT:
        raise IllegalTransition(f"only a draft list can be published (this one is {row.status.value!r})")
    item = await session.get(SupervisionItem, row.item_id)
    assert item is not None
    if item.status not in IN_FORCE or item.code is None:
        raise IllegalTransition("the list's item is not in force")
    row.code = await coding_service.allocate(
        session,
        target=CodeTarget.INSPECTION_LIST,
        record_id=row.id,
        values={"agency_uscc": row.agency_uscc, "level_digit": row.level.digit},
    )
    row.status = ListStatus.PUBLISHED
    row.published_at = utc_now()
    await _stage_published(session, row, item)
    await _record_version(session, row, reason=None, actor=scope.principal.subject)
    return row


async def adjust(
    session: AsyncSession, list_id: uuid.UUID, *, data: InspectionListAdjustment, scope: DataScope
) -> InspectionList:
    """Adjust a published list: a new version under the same code, published again for the services that use it."""
    row = await get(session, list_id, scope, for_update=True)
    scope.check_write(region_code=row.region_code, department_id=row.department_id)
    if row.status is not ListStatus.PUBLISHED:
        raise IllegalTransition(
            f"only a published list is adjusted (this one is {row.status.value!r}); a draft is published as it is"
        )
    item = await session.get(SupervisionItem, row.item_id)
    assert item is not None
    if item.status not in IN_FORCE or item.code is None:
        raise IllegalTransition("the list's item is not in force")
    changes = data.changes.model_dump(exclude_unset=True)
    if "form" in changes:
        changes["form"] = [f.model_dump(mode="json", exclude_none=True) for f in data.changes.form or []]
    for key in ("content", "method"):
        if key in changes and changes[key] is None:
            raise InvalidField(["body", "changes", key], "may not be null")
    changed = {k: v for k, v in changes.items() if getattr(row, k) != v}
    if not changed:
        raise InvalidField(["body", "changes"], "the adjustment changes nothing")
    for key, value in changed.items():
        setattr(row, key, value)
    row.version += 1
    row.published_at = utc_now()
    await _stage_published(session, row, item)
    await _record_version(session, row, reason=data.reason, actor=scope.principal.subject)
    return row


async def abolish(
    session: AsyncSession, list_id: uuid.UUID, *, data: InspectionListAbolition, scope: DataScope
) -> InspectionList:
    """Abolish a list; its code is retired and never reused."""
    row = await get(session, list_id, scope, for_update=True)
    scope.check_write(region_code=row.region_code, department_id=row.department_id)
    if row.status is ListStatus.ABOLISHED:
        raise IllegalTransition("the list is abolished already")
    if row.code is not None:
        await coding_service.retire(session, row.code)
    row.status = ListStatus.ABOLISHED
    row.version += 1
    row.abolished_reason = data.reason
    row.abolished_at = utc_now()
    await session.flush()
    await _record_version(session, row, reason=data.reason, actor=scope.principal.subject)
    return row


async def _record_version(session: AsyncSession, row: InspectionList, *, reason: str | None, actor: str) -> None:
    await session.flush()
    await session.refresh(row)
    session.add(
        InspectionListVersion(
            list_id=row.id,
            version=row.version,
            status=row.status,
            snapshot=InspectionListRead.model_validate(row).model_dump(mode="json"),
            reason=reason,
            actor=actor,
            created_at=utc_now(),
        )
    )
    await session.flush()


async def versions(session: AsyncSession, list_id: uuid.UUID, scope: DataScope) -> list[InspectionListVersion]:
    """Every recorded version of a list, oldest first (a draft has none)."""
    await get(session, list_id, scope)
    return list(
        await session.scalars(
            select(InspectionListVersion)
            .where(InspectionListVersion.list_id == list_id)
            .order_by(InspectionListVersion.version)
        )
    )


async def _stage_published(session: AsyncSession, row: InspectionList, item: SupervisionItem) -> None:
    assert row.code is not None
    assert item.code is not None
    assert row.published_at is not None
    await outbox.stage(
        session,
        InspectionListPublished.build(
            source=SOURCE,
            subject=str(row.id),
            data=InspectionListPublishedData(
                list_id=row.id,
                code=row.code,
                item_id=item.id,
                item_code=item.code,
                level=int(row.level.digit),
                agency_uscc=row.agency_uscc,
                implementing_agency=row.implementing_agency,
                region_code=row.region_code,
                method=row.method.value,
                version=row.version,
                form=[
                    FormFieldSpec(
                        key=f["key"],
                        label=f["label"],
                        type=f["type"],
                        required=f.get("required", False),
                        options=f.get("options", []),
                    )
                    for f in row.form
                ],
                published_at=row.published_at,
            ),
        ),
    )


async def check_form(session: AsyncSession, list_id: uuid.UUID, values: dict[str, Any], scope: DataScope) -> FormCheck:
    row = await get(session, list_id, scope)
    errors = validate_values([FormField.model_validate(f) for f in row.form], values)
    return FormCheck(valid=not errors, errors=errors)
