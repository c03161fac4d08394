"""Department lists: creating and changing them, and putting objects on them by decision."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from credit_svc.audit.service import Actor, audit
from credit_svc.lists.models import CreditList, ListStatus
from credit_svc.lists.rules import sync_auto_lists
from credit_svc.lists.schemas import EntryCreate, ListCreate, ListUpdate
from credit_svc.records import service as record_service
from credit_svc.records.models import CreditRecord, RecordStatus, RecordType
from credit_svc.records.schemas import RecordCreate
from svc_runtime.db import get_or_not_found
from svc_runtime.problems import Conflict, Problem
from svc_runtime.scope import region_prefix

LIST_FIELDS = (
    "list_type",
    "name",
    "criteria",
    "department_id",
    "region_code",
    "default_validity_days",
    "auto_classes",
    "auto_same_department",
    "status",
)
_LABEL_RE = re.compile(r"^[A-Z][A-Z0-9]?$")


class InvalidList(Problem):
    status = 422
    title = "Invalid list"


def _check_classes(classes: list[str]) -> list[str]:
    bad = [c for c in classes if not _LABEL_RE.match(c)]
    if bad:
        raise InvalidList(f"auto_classes: {', '.join(bad)} are not class labels (A, B, ... as the active scheme)")
    return list(dict.fromkeys(classes))


async def get_list(session: AsyncSession, list_id: uuid.UUID, *, for_update: bool = False) -> CreditList:
    return await get_or_not_found(
        session, CreditList, list_id, for_update=for_update, missing=f"list {list_id} does not exist"
    )


async def create_list(session: AsyncSession, actor: Actor, body: ListCreate) -> CreditList:
    """Create a department list; a list with rules is filled from current grades at once."""
    scope = actor.scope
    assert scope is not None
    department_id = body.department_id or actor.department_id
    if department_id is None:
        raise InvalidList("department_id: a list belongs to a department; your token has none, so name one")
    region_code = body.region_code or actor.region_code
    if region_code is None:
        raise InvalidList("region_code: name the region the list covers")
    scope.check_write(region_code=region_code, department_id=department_id)
    clash = await session.scalar(
        select(CreditList.id).where(CreditList.department_id == department_id, CreditList.name == body.name)
    )
    if clash is not None:
        raise Conflict(f"the department has a list named {body.name!r} already ({clash})")
    row = CreditList(
        id=uuid.uuid4(),
        list_type=body.list_type,
        name=body.name,
        description=body.description,
        criteria=body.criteria,
        department_id=department_id,
        department_name=body.department_name,
        region_code=region_code,
        region_prefix=region_prefix(region_code),
        default_validity_days=body.default_validity_days,
        auto_classes=_check_classes(body.auto_classes),
        auto_same_department=body.auto_same_department,
        status=ListStatus.ACTIVE,
        created_by=actor.subject,
    )
    session.add(row)
    await session.flush()
    await audit(
        session,
        actor,
        action="list.created",
        entity_type="list",
        entity_id=row.id,
        region_code=region_code,
        department_id=department_id,
        after=record_service.snapshot(row, *LIST_FIELDS),
    )
    if row.auto_classes:
        await sync_auto_lists(session, None, list_id=row.id)
    return row


async def update_list(session: AsyncSession, actor: Actor, list_id: uuid.UUID, body: ListUpdate) -> CreditList:
    """Change a list; entries made by its rule follow the new rule (or leave when the list is archived)."""
    scope = actor.scope
    assert scope is not None
    row = await get_list(session, list_id, for_update=True)
    scope.check_write(region_code=row.region_code, department_id=row.department_id)
    before = record_service.snapshot(row, *LIST_FIELDS)
    changes = body.model_dump(exclude_unset=True)
    if "auto_classes" in changes:
        changes["auto_classes"] = _check_classes(changes["auto_classes"] or [])
    if "name" in changes and changes["name"] != row.name:
        clash = await session.scalar(
            select(CreditList.id).where(
                CreditList.department_id == row.department_id, CreditList.name == changes["name"]
            )
        )
        if clash is not None:
            raise Conflict(f"the department has a list named {changes['name']!r} already ({clash})")
    for key, value in changes.items():
        if value is None and key in ("name", "status", "auto_same_department"):
            continue
        setattr(row, key, value)
    row.updated_at = datetime.now(UTC)
    await session.flush()
    await audit(
        session,
        actor,
        action="list.updated",
        entity_type="list",
        entity_id=row.id,
        region_code=row.region_code,
        department_id=row.department_id,
        before=before,
        after=record_service.snapshot(row, *LIST_FIELDS),
    )
    await sync_auto_lists(session, None, list_id=row.id)
    return row


async def add_entry(session: AsyncSession, actor: Actor, list_id: uuid.UUID, body: EntryCreate) -> CreditRecord:
    """Put an object on the list by decision (at most one active entry per object and list)."""
    row = await get_list(session, list_id, for_update=True)
    if row.status != ListStatus.ACTIVE:
        raise Conflict("the list is archived")
    scope = actor.scope
    assert scope is not None
    scope.check_write(region_code=row.region_code, department_id=row.department_id)
    current = await session.scalar(
        select(CreditRecord).where(
            CreditRecord.list_id == row.id,
            CreditRecord.object_id == body.object_id,
            CreditRecord.status == RecordStatus.ACTIVE,
        )
    )
    if current is not None and not current.automatic:
        raise Conflict(f"the object is on this list already (entry {current.id})")
    if current is not None:  # a rule-made entry gives way to the decision
        await record_service.end_record(
            session,
            actor,
            current,
            RecordStatus.REMOVED,
            body.decided_on,
            "replaced by a decision",
            list_name=row.name,
            regrade_now=False,
        )
    until = body.effective_until
    if until is None and row.default_validity_days:
        until = body.decided_on + timedelta(days=row.default_validity_days)
    record_type = RecordType.RED_LIST if row.list_type == "red" else RecordType.BLACK_LIST
    record = RecordCreate.model_construct(
        object_id=body.object_id,
        record_type=record_type,
        reason=body.reason,
        decided_on=body.decided_on,
        effective_from=body.decided_on,
        effective_until=until,
        department_id=row.department_id,
        department_name=row.department_name,
        legal_basis=body.legal_basis,
        document_number=body.document_number,
        amount=None,
        source=None,
        source_ref=None,
        public=body.public,
    )
    obj = await record_service.get_object(session, body.object_id)
    if not obj.region_code.startswith(row.region_prefix):
        raise InvalidList(
            f"object_id: the object's region {obj.region_code} is outside the list's region {row.region_code}"
        )
    return await record_service.create_record(
        session, actor, record, list_id=row.id, list_name=row.name, record_type=record_type
    )


async def active_counts(session: AsyncSession, list_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not list_ids:
        return {}
    rows = await session.execute(
        select(CreditRecord.list_id, func.count())
        .where(CreditRecord.list_id.in_(list_ids), CreditRecord.status == RecordStatus.ACTIVE)
        .group_by(CreditRecord.list_id)
    )
    # list_id is nullable in the table but not in these rows (WHERE list_id IN ...)
    return {cast(uuid.UUID, r[0]): int(r[1]) for r in rows.all()}
