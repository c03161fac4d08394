"""HTTP interface of complaints and reports: intake, lists, details, timeline and the workflow's actions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import JSONResponse
from sqlalchemy import and_, func, or_, select

from complaint_svc import access
from complaint_svc.complaints import service, workflow
from complaint_svc.complaints.models import Complaint, ComplaintEvent
from complaint_svc.complaints.schemas import (
    ComplainantRead,
    ComplaintIn,
    ComplaintRead,
    DispatchIn,
    IntakeRead,
    LinkIn,
    MergeIn,
    Note,
    RateIn,
    Reason,
    ReassignIn,
    ReplyIn,
    TimelineEntry,
    VisitIn,
)
from complaint_svc.deps import ContextDep
from complaint_svc.objects.linking import Link, link_object
from complaint_svc.objects.models import DepartmentView
from supervision_schemas.complaint import ComplaintAction, ComplaintChannel, ComplaintKind, ComplaintStatus
from svc_runtime.db import SessionDep, utc_now
from svc_runtime.pagination import Page, PaginationDep, order_by, paginate
from svc_runtime.problems import NotFound, Problem
from svc_runtime.scope import DataScope, DataScopeDep, OutOfScope

router = APIRouter(prefix="/complaints", tags=["complaints"])
SORTABLE = {
    "received_at": Complaint.received_at,
    "accept_due": Complaint.accept_due,
    "handle_due": Complaint.handle_due,
    "status": Complaint.status,
    "category": Complaint.category,
}
ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Outside your data scope"},
    404: {"description": "No such complaint"},
    409: {"description": "Illegal state transition (names the state), or an idempotency conflict"},
    422: {"description": "Invalid input: the field is named"},
}
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="The same key and submission again returns the complaint first created; another submission gets 409.",
    ),
]


class UnknownDepartment(Problem):
    status = 422
    title = "Unknown department"


def _actor(scope: DataScope) -> str:
    return scope.principal.subject


@router.post("", status_code=201, response_model=IntakeRead, responses={200: {"description": "Replayed"}, **ERRORS})
async def receive_complaint(
    body: ComplaintIn, session: SessionDep, scope: DataScopeDep, ctx: ContextDep, idempotency_key: IdempotencyKey = None
) -> Response:
    """Receive a complaint or report from a channel: linked, classified, routed, merged with repeats, published."""
    scope.check_write(region_code=body.region_code)
    complaint, replayed = await service.intake(
        session, ctx, body, principal=scope.principal.subject, idempotency_key=idempotency_key
    )
    view = IntakeRead(
        **service.render(complaint, utc_now()),
        access_code=service.access_code(ctx.settings, complaint.tracking_no),
        replayed=replayed,
    )
    return JSONResponse(
        view.model_dump(mode="json"),
        status_code=200 if replayed else 201,
        headers={"Location": f"/v1/complaints/{complaint.id}", **({"Idempotent-Replayed": "true"} if replayed else {})},
    )


@router.get("", response_model=Page[ComplaintRead])
async def list_complaints(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    status: Annotated[list[ComplaintStatus] | None, Query(description="Only these states.")] = None,
    kind: Annotated[ComplaintKind | None, Query(description="complaint (投诉) or report (举报).")] = None,
    channel: Annotated[ComplaintChannel | None, Query(description="Only this channel.")] = None,
    category: Annotated[str | None, Query(max_length=50, description="Only this category.")] = None,
    department_id: Annotated[uuid.UUID | None, Query(description="Only this responsible department.")] = None,
    unrouted: Annotated[bool, Query(description="Only complaints routed to no department yet.")] = False,
    region_code: Annotated[str | None, Query(pattern=r"^\d{2,6}$", description="Region code or prefix.")] = None,
    uscc: Annotated[str | None, Query(max_length=18, description="Target's unified social credit code.")] = None,
    object_id: Annotated[uuid.UUID | None, Query(description="Target object of the data hub.")] = None,
    overdue: Annotated[
        bool | None, Query(description="Only complaints past (true) or within (false) their deadline.")
    ] = None,
    escalated: Annotated[bool | None, Query(description="Only complaints under supervision (督办).")] = None,
    q: Annotated[str | None, Query(max_length=100, description="Words the title or content contain.")] = None,
    received_from: Annotated[datetime | None, Query(description="Received at or after.")] = None,
    received_to: Annotated[datetime | None, Query(description="Received before.")] = None,
    sort: Annotated[
        str | None, Query(description="received_at, accept_due, handle_due, status, category; `-` descending.")
    ] = None,
) -> Page[ComplaintRead]:
    """List complaints and reports within your data scope (complainants masked)."""
    statement = select(Complaint).where(access.visible(scope))
    if status:
        statement = statement.where(Complaint.status.in_([s.value for s in status]))
    if kind is not None:
        statement = statement.where(Complaint.kind == kind.value)
    if channel is not None:
        statement = statement.where(Complaint.channel == channel.value)
    if category:
        statement = statement.where(Complaint.category == category)
    if department_id is not None:
        statement = statement.where(Complaint.department_id == department_id)
    if unrouted:
        statement = statement.where(Complaint.department_id.is_(None))
    if region_code:
        statement = statement.where(Complaint.region_code.startswith(region_code))
    if uscc:
        statement = statement.where(Complaint.target_uscc == uscc.upper())
    if object_id is not None:
        statement = statement.where(Complaint.target_object_id == object_id)
    if overdue is not None:
        db_now = func.now()
        late = or_(
            and_(Complaint.status == "received", Complaint.accept_due < db_now),
            and_(Complaint.status.in_(["accepted", "dispatched", "handling"]), Complaint.handle_due < db_now),
        )
        statement = statement.where(late if overdue else ~late)
    if escalated is not None:
        statement = statement.where(Complaint.escalation_level > 0 if escalated else Complaint.escalation_level == 0)
    if q:
        pattern = f"%{q.replace('%', '').replace('_', '')}%"
        statement = statement.where(or_(Complaint.content.ilike(pattern), Complaint.title.ilike(pattern)))
    if received_from is not None:
        statement = statement.where(Complaint.received_at >= received_from)
    if received_to is not None:
        statement = statement.where(Complaint.received_at < received_to)
    statement = statement.order_by(*order_by(sort, SORTABLE, "-received_at"), Complaint.id)
    items, total = await paginate(session, statement, pagination)
    now = utc_now()
    return Page(
        items=[ComplaintRead(**service.render(c, now)) for c in items],
        total=total,
        page=pagination.page,
        limit=pagination.limit,
    )


async def _load(session: SessionDep, scope: DataScope, ref: str, *, lock: bool = False) -> Complaint:
    complaint = await service.get(session, ref, lock=lock)
    try:
        access.check_read(scope, complaint)
    except OutOfScope:
        raise NotFound(f"no complaint {ref}") from None  # do not tell what exists outside the scope
    return complaint


@router.get("/{ref}", response_model=ComplaintRead, responses=ERRORS)
async def get_complaint(ref: str, session: SessionDep, scope: DataScopeDep) -> ComplaintRead:
    """Get one complaint by id or tracking number (complainant masked)."""
    complaint = await _load(session, scope, ref)
    return ComplaintRead(**service.render(complaint, utc_now()))


@router.get("/{ref}/complainant", response_model=ComplainantRead, responses=ERRORS)
async def get_complainant(ref: str, session: SessionDep, scope: DataScopeDep, ctx: ContextDep) -> ComplainantRead:
    """The complainant's personal data in the clear, for the handler only; every view is recorded."""
    complaint = await _load(session, scope, ref)
    if not access.sees_personal_data(scope, complaint):
        raise OutOfScope("only staff of the responsible department see the complainant's personal data")
    person = service.reveal(ctx, complaint)
    session.add(service.timeline(complaint, "personal_data_viewed", _actor(scope)))
    return ComplainantRead(
        anonymous=person.anonymous,
        name=person.name,
        phone=person.phone,
        id_number=person.id_number,
        email=person.email,
        masked=False,
    )


@router.get("/{ref}/timeline", response_model=list[TimelineEntry], responses=ERRORS)
async def get_timeline(ref: str, session: SessionDep, scope: DataScopeDep) -> list[TimelineEntry]:
    """Who did what to the complaint and when, oldest first."""
    complaint = await _load(session, scope, ref)
    rows = await session.scalars(
        select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id).order_by(ComplaintEvent.seq)
    )
    return [TimelineEntry.model_validate(r) for r in rows]


async def _act(
    session: SessionDep,
    scope: DataScope,
    ctx: ContextDep,
    ref: str,
    action: ComplaintAction,
    *,
    reason: str | None = None,
    **details: Any,
) -> ComplaintRead:
    complaint = await _load(session, scope, ref, lock=True)
    access.check_write(scope, complaint)
    await service.apply(session, ctx, complaint, action, _actor(scope), reason=reason, **details)
    await session.flush()
    return ComplaintRead(**service.render(complaint, utc_now()))


async def _department(session: SessionDep, department_id: uuid.UUID) -> dict[str, Any]:
    row = await session.get(DepartmentView, department_id)
    known = (await session.scalar(select(func.count()).select_from(DepartmentView))) or 0
    if row is None and known:
        raise UnknownDepartment(
            f"department {department_id} is not in the organisation tree",
            errors=[{"loc": ["body", "department_id"], "msg": "unknown department"}],
        )
    return {
        "department_id": department_id,
        "department_name": row.name if row else None,
        "department_type": row.department_type if row else None,
    }


@router.post("/{ref}/accept", response_model=ComplaintRead, responses=ERRORS)
async def accept(ref: str, body: Note, session: SessionDep, scope: DataScopeDep, ctx: ContextDep) -> ComplaintRead:
    """Accept (受理): the handling deadline starts (mediation 45 working days; report verification runs from receipt)."""
    return await _act(session, scope, ctx, ref, ComplaintAction.ACCEPT, note=body.note)


@router.post("/{ref}/reject", response_model=ComplaintRead, responses=ERRORS)
async def reject(ref: str, body: Reason, session: SessionDep, scope: DataScopeDep, ctx: ContextDep) -> ComplaintRead:
    """Refuse to accept (不予受理) with the reason told to the complainant."""
    return await _act(session, scope, ctx, ref, ComplaintAction.REJECT, reason=body.reason)


@router.post("/{ref}/dispatch", response_model=ComplaintRead, responses=ERRORS)
async def dispatch(
    ref: str, body: DispatchIn, session: SessionDep, scope: DataScopeDep, ctx: ContextDep
) -> ComplaintRead:
    """Dispatch (派单) to the routed department, or to the one named."""
    complaint = await _load(session, scope, ref, lock=True)
    access.check_dispatch(scope, complaint)
    details: dict[str, Any] = {"note": body.note}
    if body.department_id is not None:
        details.update(await _department(session, body.department_id))
    elif complaint.department_id is None:
        raise UnknownDepartment(
            "the complaint is routed to no department; name one",
            errors=[{"loc": ["body", "department_id"], "msg": "required: the complaint has no department"}],
        )
    await service.apply(session, ctx, complaint, ComplaintAction.DISPATCH, _actor(scope), **details)
    await session.flush()
    return ComplaintRead(**service.render(complaint, utc_now()))


@router.post("/{ref}/reassign", response_model=ComplaintRead, responses=ERRORS)
async def reassign(
    ref: str, body: ReassignIn, session: SessionDep, scope: DataScopeDep, ctx: ContextDep
) -> ComplaintRead:
    """Reassign to another department (and category) with a reason; routing corrections are kept for retraining."""
    complaint = await _load(session, scope, ref, lock=True)
    access.check_dispatch(scope, complaint)
    details = await _department(session, body.department_id)
    if body.category:
        details["category"] = body.category
    await service.apply(session, ctx, complaint, ComplaintAction.REASSIGN, _actor(scope), reason=body.reason, **details)
    await session.flush()
    return ComplaintRead(**service.render(complaint, utc_now()))


@router.post("/{ref}/start", response_model=ComplaintRead, responses=ERRORS)
async def start(ref: str, body: Note, session: SessionDep, scope: DataScopeDep, ctx: ContextDep) -> ComplaintRead:
    """The department takes the dispatched complaint and starts handling it (mediation or verification)."""
    return await _act(session, scope, ctx, ref, ComplaintAction.START, note=body.note)


@router.post("/{ref}/reply", response_model=ComplaintRead, responses=ERRORS)
async def reply(ref: str, body: ReplyIn, session: SessionDep, scope: DataScopeDep, ctx: ContextDep) -> ComplaintRead:
    """Reply with the result (答复); for national dispatches the result goes back in the event."""
    complaint = await _load(session, scope, ref, lock=True)
    access.check_write(scope, complaint)
    workflow.check(complaint, ComplaintAction.REPLY)
    workflow.check_result(ComplaintKind(complaint.kind), body.result_code)
    await service.apply(
        session,
        ctx,
        complaint,
        ComplaintAction.REPLY,
        _actor(scope),
        result_code=body.result_code,
        summary=body.summary,
    )
    await session.flush()
    return ComplaintRead(**service.render(complaint, utc_now()))


@router.post("/{ref}/close", response_model=ComplaintRead, responses=ERRORS)
async def close(ref: str, body: Note, session: SessionDep, scope: DataScopeDep, ctx: ContextDep) -> ComplaintRead:
    """Close (办结) a replied complaint."""
    return await _act(session, scope, ctx, ref, ComplaintAction.CLOSE, note=body.note)


@router.post("/{ref}/visit", response_model=ComplaintRead, responses=ERRORS)
async def visit(ref: str, body: VisitIn, session: SessionDep, scope: DataScopeDep, ctx: ContextDep) -> ComplaintRead:
    """Record the follow-up visit (回访), with the complainant's rating if they gave one."""
    return await _act(
        session,
        scope,
        ctx,
        ref,
        ComplaintAction.VISIT,
        note=body.note,
        satisfaction=body.satisfaction,
        comment=body.comment,
    )


@router.post("/{ref}/rate", response_model=ComplaintRead, responses=ERRORS)
async def rate(ref: str, body: RateIn, session: SessionDep, scope: DataScopeDep, ctx: ContextDep) -> ComplaintRead:
    """Record the complainant's satisfaction rating (满意度) taken by the handler."""
    return await _act(
        session, scope, ctx, ref, ComplaintAction.RATE, satisfaction=body.satisfaction, comment=body.comment
    )


@router.post("/{ref}/reopen", response_model=ComplaintRead, responses=ERRORS)
async def reopen(ref: str, body: Reason, session: SessionDep, scope: DataScopeDep, ctx: ContextDep) -> ComplaintRead:
    """Reopen a replied or closed complaint (e.g. the complainant is not satisfied) for handling again."""
    return await _act(session, scope, ctx, ref, ComplaintAction.REOPEN, reason=body.reason)


@router.post("/{ref}/supervise", response_model=ComplaintRead, responses=ERRORS)
async def supervise(ref: str, body: Reason, session: SessionDep, scope: DataScopeDep, ctx: ContextDep) -> ComplaintRead:
    """Supervise (督办): raise the escalation level of an open complaint, with the reason."""
    complaint = await _load(session, scope, ref, lock=True)
    access.check_supervise(scope, complaint)
    await service.apply(session, ctx, complaint, ComplaintAction.SUPERVISE, _actor(scope), reason=body.reason)
    await session.flush()
    return ComplaintRead(**service.render(complaint, utc_now()))


@router.post("/{ref}/merge", response_model=ComplaintRead, responses=ERRORS)
async def merge(ref: str, body: MergeIn, session: SessionDep, scope: DataScopeDep, ctx: ContextDep) -> ComplaintRead:
    """Merge (并案) a repeat into the complaint about the same matter; it gets that complaint's result."""
    complaint = await _load(session, scope, ref, lock=True)
    access.check_write(scope, complaint)
    master = await _load(session, scope, body.into, lock=True)
    await service.merge_into(session, ctx, complaint, master, _actor(scope), body.reason)
    await session.flush()
    return ComplaintRead(**service.render(complaint, utc_now()))


@router.post("/{ref}/link", response_model=ComplaintRead, responses=ERRORS)
async def link(ref: str, body: LinkIn, session: SessionDep, scope: DataScopeDep) -> ComplaintRead:
    """Link the target to a supervised object by hand (when the name did not match clearly)."""
    complaint = await _load(session, scope, ref, lock=True)
    access.check_write(scope, complaint)
    workflow.check(complaint, ComplaintAction.LINK)
    found = Link(name=None, uscc=None)
    if not await link_object(session, body.object_id, found):
        raise NotFound(f"no supervised object {body.object_id} is known here yet")
    await service.relink(session, complaint, found, _actor(scope), body.reason)
    await session.flush()
    return ComplaintRead(**service.render(complaint, utc_now()))
