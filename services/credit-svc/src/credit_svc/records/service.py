"""Credit records: entering them, and the removal (移出) and repair (信用修复) process, each step audited."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from credit_svc.audit.service import Actor, audit
from credit_svc.dates import today
from credit_svc.grading.models import GradeTrigger
from credit_svc.grading.service import bump_inputs, regrade
from credit_svc.lists.rules import sync_auto_lists
from credit_svc.objects.models import CreditObject, ObjectStatus
from credit_svc.records.models import (
    LIST_TYPES,
    CreditRecord,
    RecordRequest,
    RecordStatus,
    RecordType,
    RequestKind,
    RequestStatus,
)
from credit_svc.records.schemas import DecisionIn, RecordCreate, RequestCreate, ReviewIn
from credit_svc.sqlevents import SOURCE
from supervision_schemas.credit import ListAction, ListEntryChanged, ListEntryChangedData
from svc_runtime import outbox
from svc_runtime.db import get_or_not_found
from svc_runtime.problems import Conflict, Forbidden, NotFound
from svc_runtime.scope import DEPARTMENT_ADMIN, INSPECTOR, PLATFORM_ADMIN, DataScope

#: Which requests each record type allows.
ALLOWED_REQUESTS: dict[RecordType, frozenset[RequestKind]] = {
    RecordType.PENALTY: frozenset({RequestKind.REPAIR}),
    RecordType.ABNORMAL_OPERATION: frozenset({RequestKind.REMOVAL, RequestKind.REPAIR}),
    RecordType.SERIOUS_VIOLATION: frozenset({RequestKind.REMOVAL, RequestKind.REPAIR}),
    RecordType.BLACK_LIST: frozenset({RequestKind.REMOVAL, RequestKind.REPAIR}),
    RecordType.RED_LIST: frozenset({RequestKind.REMOVAL}),
    RecordType.COMMENDATION: frozenset({RequestKind.REMOVAL}),
}
REVIEWER_ROLES = frozenset({PLATFORM_ADMIN, DEPARTMENT_ADMIN, INSPECTOR})
DECIDER_ROLES = frozenset({PLATFORM_ADMIN, DEPARTMENT_ADMIN})


class InvalidState(Conflict):
    title = "Not allowed in this state"


def snapshot(row: Any, *fields: str) -> dict[str, Any]:
    """The audit view of some fields of a row (JSON-ready)."""
    data: dict[str, Any] = to_jsonable_python({f: getattr(row, f) for f in fields})
    return data


RECORD_FIELDS = (
    "object_id",
    "record_type",
    "list_id",
    "status",
    "source",
    "source_ref",
    "region_code",
    "department_id",
    "reason",
    "decided_on",
    "effective_from",
    "effective_until",
    "ended_on",
    "end_reason",
    "amount",
    "public",
)
REQUEST_FIELDS = ("status", "kind", "reason", "review_opinion", "recommendation", "decision_note")


async def get_object(session: AsyncSession, object_id: uuid.UUID) -> CreditObject:
    obj = await session.get(CreditObject, object_id)
    if obj is None or obj.status != ObjectStatus.ACTIVE:
        raise NotFound(f"object {object_id} is not in the credit view (or was merged into another)")
    return obj


async def get_record(session: AsyncSession, record_id: uuid.UUID, *, for_update: bool = False) -> CreditRecord:
    return await get_or_not_found(
        session, CreditRecord, record_id, for_update=for_update, missing=f"credit record {record_id} does not exist"
    )


def list_event(
    record: CreditRecord, action: ListAction, *, list_name: str | None = None, reason: str | None = None
) -> ListEntryChanged:
    """The ListEntryChanged event of a list-type record."""
    assert record.object_id is not None
    return ListEntryChanged.build(
        source=SOURCE,
        subject=str(record.object_id),
        data=ListEntryChangedData(
            entry_id=record.id,
            list_type=LIST_TYPES[RecordType(record.record_type)],
            action=action,
            object_id=record.object_id,
            uscc=record.uscc,
            name=record.object_name,
            region_code=record.region_code,
            department_id=record.department_id,
            reason=reason or record.reason,
            effective_from=record.effective_from,
            effective_until=record.effective_until,
            changed_at=datetime.now(UTC),
            list_id=record.list_id,
            list_name=list_name,
            department_name=record.department_name,
            automatic=record.automatic,
        ),
    )


async def regrade_after_change(session: AsyncSession, object_id: uuid.UUID, trigger: GradeTrigger, ref: str) -> None:
    """A record of this object changed: count it and regrade now (the GradeChanged event commits with it)."""
    known = await bump_inputs(session, [object_id])
    changed = await regrade(session, known, trigger=trigger, trigger_ref=ref)
    if changed:
        await sync_auto_lists(session, [c[0] for c in changed])


async def create_record(
    session: AsyncSession,
    actor: Actor,
    body: RecordCreate,
    *,
    list_id: uuid.UUID | None = None,
    list_name: str | None = None,
    record_type: RecordType | None = None,
) -> CreditRecord:
    """Enter a record for an object of the view; list entries are announced, the object regraded."""
    scope = actor.scope
    assert scope is not None
    obj = await get_object(session, body.object_id)
    department_id = body.department_id or actor.department_id
    scope.check_write(region_code=obj.region_code, department_id=department_id)
    if body.source_ref is not None:
        existing = await session.scalar(select(CreditRecord.id).where(CreditRecord.source_ref == body.source_ref))
        if existing is not None:
            raise Conflict(f"a record with source_ref {body.source_ref!r} exists already ({existing})")
    kind = record_type or body.record_type
    record = CreditRecord(
        id=uuid.uuid4(),
        object_id=obj.object_id,
        origin_object_id=obj.object_id,
        uscc=obj.uscc,
        object_name=obj.name,
        record_type=kind,
        list_id=list_id,
        status=RecordStatus.ACTIVE,
        automatic=False,
        source=body.source or f"api:{actor.client_id or actor.subject}",
        source_ref=body.source_ref,
        region_code=obj.region_code,
        department_id=department_id,
        department_name=body.department_name,
        reason=body.reason,
        legal_basis=body.legal_basis,
        document_number=body.document_number,
        amount=body.amount,
        decided_on=body.decided_on,
        effective_from=body.effective_from or body.decided_on,
        effective_until=body.effective_until,
        public=body.public,
        created_by=actor.subject,
    )
    session.add(record)
    await session.flush()
    if kind in LIST_TYPES:
        await outbox.stage(session, list_event(record, ListAction.ADDED, list_name=list_name))
    await audit(
        session,
        actor,
        action="record.created",
        entity_type="record",
        entity_id=record.id,
        object_id=obj.object_id,
        region_code=record.region_code,
        department_id=record.department_id,
        after=snapshot(record, *RECORD_FIELDS),
    )
    await regrade_after_change(session, obj.object_id, GradeTrigger.RECORD, str(record.id))
    return record


def _check_not_self(actor: Actor, *others: str | None) -> None:
    if actor.subject in {o for o in others if o}:
        raise Forbidden("the same person may not apply, review and decide the same request (separation of duties)")


def _require_role(actor: Actor, roles: frozenset[str], what: str) -> None:
    if not set(actor.roles) & roles:
        raise Forbidden(f"{what} needs one of the roles {', '.join(sorted(roles))}")


async def submit_request(
    session: AsyncSession, actor: Actor, record_id: uuid.UUID, body: RequestCreate
) -> RecordRequest:
    """Apply for the removal or repair of an active record (one open request per record)."""
    scope = actor.scope
    assert scope is not None
    record = await get_record(session, record_id, for_update=True)
    scope.check_write(region_code=record.region_code)
    if record.object_id is None:
        raise InvalidState("the record is not linked to an object yet")
    if record.status != RecordStatus.ACTIVE:
        raise InvalidState(f"the record is {record.status}; only active records can be removed or repaired")
    if record.automatic:
        raise InvalidState("this entry was made by a list rule; it leaves the list when the rule no longer holds")
    allowed = ALLOWED_REQUESTS[RecordType(record.record_type)]
    if body.kind not in allowed:
        raise InvalidState(
            f"a {record.record_type} record allows {', '.join(sorted(allowed))} requests, not {body.kind}"
        )
    open_request = await session.scalar(
        select(RecordRequest.id).where(
            RecordRequest.record_id == record.id,
            RecordRequest.status.in_([RequestStatus.SUBMITTED, RequestStatus.UNDER_REVIEW]),
        )
    )
    if open_request is not None:
        raise InvalidState(f"request {open_request} for this record is still open")
    request = RecordRequest(
        id=uuid.uuid4(),
        record_id=record.id,
        object_id=record.object_id,
        kind=body.kind,
        status=RequestStatus.SUBMITTED,
        region_code=record.region_code,
        department_id=record.department_id,
        reason=body.reason,
        evidence=[e.model_dump() for e in body.evidence],
        applicant=actor.subject,
        applicant_name=body.applicant_name,
    )
    session.add(request)
    await session.flush()
    await audit(
        session,
        actor,
        action=f"request.{body.kind}.submitted",
        entity_type="request",
        entity_id=request.id,
        object_id=record.object_id,
        region_code=record.region_code,
        department_id=record.department_id,
        after=snapshot(request, *REQUEST_FIELDS, "record_id", "evidence"),
    )
    return request


async def get_request(session: AsyncSession, request_id: uuid.UUID, *, for_update: bool = False) -> RecordRequest:
    return await get_or_not_found(
        session, RecordRequest, request_id, for_update=for_update, missing=f"request {request_id} does not exist"
    )


async def review_request(session: AsyncSession, actor: Actor, request_id: uuid.UUID, body: ReviewIn) -> RecordRequest:
    """Review a submitted request (审核): the deciding department's staff give an opinion."""
    scope = actor.scope
    assert scope is not None
    request = await get_request(session, request_id, for_update=True)
    scope.check_write(region_code=request.region_code, department_id=request.department_id)
    _require_role(actor, REVIEWER_ROLES, "reviewing a request")
    _check_not_self(actor, request.applicant)
    if request.status != RequestStatus.SUBMITTED:
        raise InvalidState(f"the request is {request.status}; only submitted requests are reviewed")
    before = snapshot(request, *REQUEST_FIELDS)
    request.status = RequestStatus.UNDER_REVIEW
    request.review_opinion = body.opinion
    request.recommendation = body.recommendation
    request.reviewed_by = actor.subject
    request.reviewed_at = datetime.now(UTC)
    await session.flush()
    await audit(
        session,
        actor,
        action=f"request.{request.kind}.reviewed",
        entity_type="request",
        entity_id=request.id,
        object_id=request.object_id,
        region_code=request.region_code,
        department_id=request.department_id,
        before=before,
        after=snapshot(request, *REQUEST_FIELDS),
    )
    return request


async def decide_request(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID, body: DecisionIn, *, approve: bool
) -> RecordRequest:
    """Approve or refuse a reviewed request (审批); an approval ends the record and regrades the object."""
    scope = actor.scope
    assert scope is not None
    request = await get_request(session, request_id, for_update=True)
    scope.check_write(region_code=request.region_code, department_id=request.department_id)
    _require_role(actor, DECIDER_ROLES, "deciding a request")
    _check_not_self(actor, request.applicant, request.reviewed_by)
    if request.status != RequestStatus.UNDER_REVIEW:
        raise InvalidState(f"the request is {request.status}; a request is decided after its review")
    record = await get_record(session, request.record_id, for_update=True)
    if approve and record.status != RecordStatus.ACTIVE:
        raise InvalidState(f"the record is {record.status} already")
    before = snapshot(request, *REQUEST_FIELDS)
    request.status = RequestStatus.APPROVED if approve else RequestStatus.REFUSED
    request.decision_note = body.note
    request.decided_by = actor.subject
    request.decided_at = datetime.now(UTC)
    await audit(
        session,
        actor,
        action=f"request.{request.kind}.{'approved' if approve else 'refused'}",
        entity_type="request",
        entity_id=request.id,
        object_id=request.object_id,
        region_code=request.region_code,
        department_id=request.department_id,
        before=before,
        after=snapshot(request, *REQUEST_FIELDS),
    )
    if approve:
        status = RecordStatus.REMOVED if request.kind == RequestKind.REMOVAL else RecordStatus.REPAIRED
        await end_record(session, actor, record, status, today(), body.note, request_id=request.id)
    await session.flush()
    return request


async def end_record(
    session: AsyncSession,
    actor: Actor,
    record: CreditRecord,
    status: RecordStatus,
    ended_on: date,
    reason: str,
    *,
    request_id: uuid.UUID | None = None,
    list_name: str | None = None,
    regrade_now: bool = True,
) -> None:
    """End an active record (removed, repaired or expired): announced if a list entry, audited, regraded."""
    before = snapshot(record, *RECORD_FIELDS)
    record.status = status
    record.ended_on = ended_on
    record.end_reason = reason
    record.updated_at = datetime.now(UTC)
    await session.flush()
    if RecordType(record.record_type) in LIST_TYPES and record.object_id is not None:
        action = ListAction.REPAIRED if status == RecordStatus.REPAIRED else ListAction.REMOVED
        await outbox.stage(session, list_event(record, action, list_name=list_name, reason=reason))
    await audit(
        session,
        actor,
        action=f"record.{status}",
        entity_type="record",
        entity_id=record.id,
        object_id=record.object_id,
        region_code=record.region_code,
        department_id=record.department_id,
        before=before,
        after=snapshot(record, *RECORD_FIELDS),
        note=f"request {request_id}" if request_id else None,
    )
    if regrade_now and record.object_id is not None:
        await regrade_after_change(session, record.object_id, GradeTrigger.RECORD, str(record.id))


def readable_records(scope: DataScope) -> Any:
    """SELECT of the records the caller may read."""
    return scope.filter(select(CreditRecord), region=CreditRecord.region_code, department=CreditRecord.department_id)
