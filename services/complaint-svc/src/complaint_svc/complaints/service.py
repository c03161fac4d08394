"""Intake, linking, routing, merging, the workflow's transitions, the timeline and the events they publish."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from complaint_svc import categories
from complaint_svc.complaints import workflow
from complaint_svc.complaints.models import Complaint, ComplaintEvent, IntakeKey
from complaint_svc.complaints.schemas import (
    ComplainantRead,
    ComplaintIn,
    ComplaintRead,
    ResultRead,
    RoutingRead,
    TargetRead,
)
from complaint_svc.objects.linking import Link, link_target
from complaint_svc.objects.names import bigrams, text_core
from complaint_svc.pii import Complainant, Vault
from complaint_svc.routing import service as routing
from complaint_svc.settings import ComplaintSettings
from supervision_schemas.complaint import (
    ComplaintAction,
    ComplaintChannel,
    ComplaintKind,
    ComplaintReceived,
    ComplaintReceivedData,
    ComplaintResult,
    ComplaintStatus,
    ComplaintStatusChanged,
    ComplaintStatusChangedData,
    ComplaintTarget,
)
from supervision_schemas.signals import ComplaintSignalData, ComplaintSignalRecorded, SignalObject
from svc_runtime import outbox
from svc_runtime.db import utc_now
from svc_runtime.problems import Conflict, NotFound
from svc_runtime.workdays import CHINA_TZ, WorkdayCalendar

SOURCE = "/complaint-svc"
_TRACKING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_INDUSTRY = re.compile(r"^[A-T](\d{2,4})?$")
KEY_TTL = timedelta(days=1)


class IdempotencyConflict(Conflict):
    title = "Idempotency key reused"


class DuplicateWorkOrder(Conflict):
    title = "Work order already received"


@dataclass
class Context:
    """What the service functions need besides the session."""

    settings: ComplaintSettings
    vault: Vault
    calendar: WorkdayCalendar


def make_context(settings: ComplaintSettings) -> Context:
    return Context(settings, Vault(settings.pii_key), settings.calendar())


def new_tracking_no(kind: ComplaintKind, at: datetime) -> str:
    prefix = "TS" if kind is ComplaintKind.COMPLAINT else "JB"
    day = at.astimezone(CHINA_TZ)  # the date on the tracking number is the complainant's (China) date
    return f"{prefix}{day:%Y%m%d}{''.join(secrets.choice(_TRACKING_ALPHABET) for _ in range(6))}"


def access_code(settings: ComplaintSettings, tracking_no: str) -> str:
    """The query code (查询码) of a complaint: 8 digits derived from its tracking number with the service's key."""
    digest = hmac.new(settings.pii_key.encode(), f"access:{tracking_no}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**8:08d}"


def request_hash(body: ComplaintIn) -> str:
    return hashlib.sha256(body.model_dump_json().encode()).hexdigest()


# ----------------------------------------------------------------------------------------------- reading


async def get(session: AsyncSession, ref: str | uuid.UUID, *, lock: bool = False) -> Complaint:
    """A complaint by id or tracking number; 404 when there is none."""
    statement = select(Complaint)
    try:
        statement = statement.where(Complaint.id == uuid.UUID(str(ref)))
    except ValueError:
        statement = statement.where(Complaint.tracking_no == str(ref).upper())
    if lock:
        statement = statement.with_for_update()
    complaint = await session.scalar(statement)
    if complaint is None:
        raise NotFound(f"no complaint {ref}")
    return complaint


def render(complaint: Complaint, now: datetime, clear: Complainant | None = None) -> dict[str, Any]:
    """The API view of a complaint: the complainant masked unless `clear` is given (the handler's view)."""
    c = complaint
    person = ComplainantRead(
        anonymous=c.anonymous,
        name=clear.name if clear else c.name_masked,
        phone=clear.phone if clear else c.phone_masked,
        id_number=clear.id_number if clear else c.id_number_masked,
        email=clear.email if clear else c.email_masked,
        masked=clear is None,
    )
    return ComplaintRead(
        id=c.id,
        tracking_no=c.tracking_no,
        kind=ComplaintKind(c.kind),
        channel=ComplaintChannel(c.channel),
        channel_ref=c.channel_ref,
        status=ComplaintStatus(c.status),
        title=c.title,
        content=c.content,
        category=c.category,
        category_name=categories.BY_CODE.get(c.category, categories.OTHER).name,
        routing=RoutingRead(
            routed_by=c.routed_by,
            declared_category=c.declared_category,
            proposed_category=c.proposed_category,
            proposed_department_type=c.proposed_department_type,
            confidence=c.confidence,
            department_type=c.department_type,
        ),
        department_id=c.department_id,
        department_name=c.department_name,
        region_code=c.region_code,
        address=c.address,
        lat=c.lat,
        long=c.long,
        occurred_at=c.occurred_at,
        received_at=c.received_at,
        target=TargetRead(
            name=c.target_name,
            uscc=c.target_uscc,
            address=c.target_address,
            object_id=c.target_object_id,
            industry_code=c.target_industry_code,
            department_id=c.target_department_id,
            department_name=c.target_department_name,
            link_method=c.link_method,
            link_score=c.link_score,
        ),
        complainant=person,
        merged_into=c.merged_into,
        repeat_count=c.repeat_count,
        accept_due=c.accept_due,
        handle_due=c.handle_due,
        overdue=workflow.is_overdue(c, now),
        escalation_level=c.escalation_level,
        accepted_at=c.accepted_at,
        replied_at=c.replied_at,
        closed_at=c.closed_at,
        result=ResultRead(code=c.result_code, summary=c.result_summary) if c.result_code and c.result_summary else None,
        visit_note=c.visit_note,
        satisfaction=c.satisfaction,
        satisfaction_comment=c.satisfaction_comment,
        media_urls=list(c.media_urls or []),
        created_at=c.created_at,
        modified_at=c.modified_at,
    ).model_dump()


def reveal(ctx: Context, complaint: Complaint) -> Complainant:
    v = ctx.vault
    return Complainant(
        anonymous=complaint.anonymous,
        name=v.open(complaint.name_enc),
        phone=v.open(complaint.phone_enc),
        id_number=v.open(complaint.id_number_enc),
        email=v.open(complaint.email_enc),
    )


# ------------------------------------------------------------------------------------------------ events


def _target(c: Complaint) -> ComplaintTarget:
    return ComplaintTarget(
        name=c.target_name,
        uscc=c.target_uscc,
        object_id=c.target_object_id,
        industry_code=c.target_industry_code,
        department_id=c.target_department_id,
        department_name=c.target_department_name,
        link_method=c.link_method,
    )


def received_event(c: Complaint) -> ComplaintReceived:
    return ComplaintReceived.build(
        source=SOURCE,
        subject=str(c.id),
        data=ComplaintReceivedData(
            complaint_id=c.id,
            tracking_no=c.tracking_no,
            kind=ComplaintKind(c.kind),
            channel=ComplaintChannel(c.channel),
            channel_ref=c.channel_ref,
            category=c.category,
            region_code=c.region_code,
            department_id=c.department_id,
            routed_by=c.routed_by if c.routed_by != "handler" else "declared",
            target=_target(c),
            anonymous=c.anonymous,
            merged_into=c.merged_into,
            received_at=c.received_at,
            accept_due=c.accept_due,
            handle_due=c.handle_due,
        ),
    )


def signal_event(c: Complaint) -> ComplaintSignalRecorded | None:
    """The risk signal of a complaint about an identified object (None when the target is unknown)."""
    if c.target_uscc is None and c.target_object_id is None:
        return None
    industry = c.target_industry_code if c.target_industry_code and _INDUSTRY.match(c.target_industry_code) else None
    obj = SignalObject(
        uscc=c.target_uscc,
        object_id=str(c.target_object_id) if c.target_object_id else None,
        name=(c.target_name or c.target_uscc or "未知")[:300],
        region_code=c.region_code,
        industry_code=industry,
        department_id=c.target_department_id,
        department_name=c.target_department_name,
    )
    return ComplaintSignalRecorded.build(
        source=SOURCE,
        subject=obj.key,
        data=ComplaintSignalData(
            complaint_id=c.id,
            object=obj,
            category=categories.signal_category(c.category, c.content),
            channel=c.channel,
            is_report=c.kind == ComplaintKind.REPORT,
            received_at=c.received_at,
            summary=(c.title or c.content)[:2000],
        ),
    )


def status_event(
    c: Complaint,
    action: ComplaintAction,
    from_status: str,
    actor: str,
    *,
    reason: str | None = None,
    previous_department_id: uuid.UUID | None = None,
    due: datetime | None = None,
) -> ComplaintStatusChanged:
    result = (
        ComplaintResult(code=c.result_code, summary=c.result_summary)
        if c.result_code and c.result_summary and action in (ComplaintAction.REPLY, ComplaintAction.CLOSE)
        else None
    )
    return ComplaintStatusChanged.build(
        source=SOURCE,
        subject=str(c.id),
        data=ComplaintStatusChangedData(
            complaint_id=c.id,
            tracking_no=c.tracking_no,
            kind=ComplaintKind(c.kind),
            channel=ComplaintChannel(c.channel),
            channel_ref=c.channel_ref,
            action=action,
            from_status=ComplaintStatus(from_status),
            to_status=ComplaintStatus(c.status),
            region_code=c.region_code,
            department_id=c.department_id,
            previous_department_id=previous_department_id,
            actor=actor[:200],
            reason=reason,
            result=result,
            satisfaction=c.satisfaction if action in (ComplaintAction.RATE, ComplaintAction.VISIT) else None,
            escalation_level=c.escalation_level,
            due=due,
            changed_at=utc_now(),
        ),
    )


def timeline(
    c: Complaint,
    action: str,
    actor: str,
    *,
    from_status: str | None = None,
    reason: str | None = None,
    **details: Any,
) -> ComplaintEvent:
    return ComplaintEvent(
        complaint_id=c.id,
        at=utc_now(),
        action=action,
        from_status=from_status,
        to_status=c.status,
        actor=actor[:200],
        reason=reason,
        details={k: v for k, v in details.items() if v is not None},
    )


# ------------------------------------------------------------------------------------------------ intake


async def _replay(session: AsyncSession, principal: str, key: str, digest: str) -> Complaint | None:
    stored = await session.get(IntakeKey, (principal, key))
    if stored is None:
        return None
    if stored.created_at < utc_now() - KEY_TTL and key.startswith("fp:"):
        await session.execute(delete(IntakeKey).where(IntakeKey.principal == principal, IntakeKey.key == key))
        return None
    if stored.request_hash != digest:
        raise IdempotencyConflict(
            "this Idempotency-Key was already used with a different submission; use a new key for a new one"
        )
    return await session.get(Complaint, stored.complaint_id)


async def _find_master(session: AsyncSession, ctx: Context, c: Complaint) -> Complaint | None:
    """An open complaint of the same kind and category about the same target, with similar content."""
    if ctx.settings.merge_window_days <= 0:
        return None
    same_target = []
    if c.target_object_id is not None:
        same_target.append(Complaint.target_object_id == c.target_object_id)
    if c.target_uscc:
        same_target.append(Complaint.target_uscc == c.target_uscc)
    if c.target_name_core:
        same_target.append(Complaint.target_name_core == c.target_name_core)
    if not same_target:
        return None
    candidates = (
        await session.scalars(
            select(Complaint)
            .where(
                or_(*same_target),
                Complaint.kind == c.kind,
                Complaint.category == c.category,
                Complaint.status.in_([s.value for s in workflow.OPEN]),
                Complaint.merged_into.is_(None),
                Complaint.received_at >= c.received_at - timedelta(days=ctx.settings.merge_window_days),
            )
            .order_by(Complaint.received_at.desc())
            .limit(20)
        )
    ).all()
    best, best_score = None, ctx.settings.merge_min_similarity
    mine = set(c.content_bigrams)
    for candidate in candidates:
        score = 2 * len(mine & set(candidate.content_bigrams)) / max(len(mine) + len(candidate.content_bigrams), 1)
        if score >= best_score:
            best, best_score = candidate, score
    return best


async def intake(
    session: AsyncSession,
    ctx: Context,
    body: ComplaintIn,
    *,
    principal: str,
    idempotency_key: str | None,
    attributes: dict[str, Any] | None = None,
    upstream_due: datetime | None = None,
) -> tuple[Complaint, bool]:
    """Receive a complaint: replay of a known submission, else link, route, merge or open, and publish.

    `upstream_due` is the reply deadline a dispatching platform set: it binds when earlier than ours.
    """
    digest = request_hash(body)
    if idempotency_key:
        existing = await _replay(session, principal, idempotency_key, digest)
        if existing is not None:
            return existing, True
    if body.channel_ref:
        existing = await session.scalar(
            select(Complaint).where(Complaint.channel == body.channel.value, Complaint.channel_ref == body.channel_ref)
        )
        if existing is not None:
            if existing.content != body.content:
                raise DuplicateWorkOrder(
                    f"work order {body.channel_ref} of channel {body.channel.value} was already received as "
                    f"{existing.tracking_no} with other content",
                    tracking_no=existing.tracking_no,
                )
            return existing, True
    now = utc_now()
    target = body.target
    link = (
        await link_target(
            session,
            name=target.name,
            uscc=target.uscc,
            region_code=body.region_code,
            min_score=ctx.settings.link_min_score,
        )
        if target is not None
        else Link(name=None, uscc=None)
    )
    text = " ".join(filter(None, [body.title, body.content]))
    decision = await routing.route(
        session,
        ctx.settings,
        text=text,
        declared_category=body.category,
        region_code=body.region_code,
        target=link,
    )
    policy = ctx.settings.policy(body.kind, body.channel, decision.category)
    proposal = decision.proposal
    c = Complaint(
        id=uuid.uuid4(),
        tracking_no=new_tracking_no(body.kind, now),
        kind=body.kind.value,
        channel=body.channel.value,
        channel_ref=body.channel_ref,
        status=ComplaintStatus.RECEIVED.value,
        title=body.title,
        content=body.content,
        content_bigrams=bigrams(text_core(body.content))[:400],
        category=decision.category,
        declared_category=body.category,
        proposed_category=proposal.category if proposal else None,
        proposed_department_type=proposal.department_type if proposal else None,
        confidence=proposal.category_p if proposal else None,
        routed_by=decision.routed_by,
        department_type=decision.department_type,
        department_id=decision.department_id,
        department_name=decision.department_name,
        region_code=body.region_code,
        address=body.address,
        lat=body.lat,
        long=body.long,
        occurred_at=body.occurred_at,
        received_at=now,
        target_name=link.name,
        target_name_core=link.name_core,
        target_uscc=link.uscc,
        target_address=target.address if target else None,
        target_object_id=link.object_id,
        target_industry_code=link.industry_code,
        target_department_id=link.department_id,
        target_department_name=link.department_name,
        link_method=link.method,
        link_score=link.score,
        accept_due=ctx.calendar.deadline(now, policy.accept_days) if policy.accept_days is not None else None,
        handle_due=ctx.calendar.deadline(now, policy.handle_days)
        if policy.handle_days and policy.handle_from == "receipt"
        else None,
        handle_days=policy.handle_days,
        repeat_count=0,
        escalation_level=0,
        signalled=False,
        media_urls=body.media_urls,
        attributes=attributes or {},
        submitted_by=principal[:200],
        **ctx.vault.columns(body.complainant.person()),
    )
    if upstream_due is not None:
        c.handle_due = min(c.handle_due, upstream_due) if c.handle_due else upstream_due
    master = await _find_master(session, ctx, c)
    if master is not None:
        c.status = ComplaintStatus.MERGED.value
        c.merged_into = master.id
        c.accept_due = c.handle_due = None
    session.add(c)
    await session.flush()
    events: list[Any] = [received_event(c)]
    session.add(
        timeline(
            c,
            ComplaintAction.RECEIVE.value,
            principal,
            channel=c.channel,
            routed_by=c.routed_by,
            category=c.category,
            department_id=str(c.department_id) if c.department_id else None,
            link_method=c.link_method,
            merged_into=master.tracking_no if master else None,
        )
    )
    if master is not None:
        await session.execute(
            update(Complaint).where(Complaint.id == master.id).values(repeat_count=Complaint.repeat_count + 1)
        )
        session.add(timeline(master, "repeat_merged", principal, repeat=c.tracking_no, channel=c.channel))
    elif (signal := signal_event(c)) is not None:
        c.signalled = True
        events.append(signal)
    await outbox.stage(session, *events)
    if idempotency_key:
        inserted = await session.execute(
            insert(IntakeKey)
            .values(principal=principal, key=idempotency_key, request_hash=digest, complaint_id=c.id)
            .on_conflict_do_nothing()
            .returning(IntakeKey.key)
        )
        if inserted.first() is None:
            raise IdempotencyConflict("a submission with this Idempotency-Key is being processed; retry in a moment")
    return c, False


# --------------------------------------------------------------------------------------------- workflow


async def apply(
    session: AsyncSession,
    ctx: Context,
    c: Complaint,
    action: ComplaintAction,
    actor: str,
    *,
    reason: str | None = None,
    **details: Any,
) -> Complaint:
    """Move a complaint by one action (409 naming the state if not allowed); timeline and event written."""
    before = c.status
    after = workflow.check(c, action)
    now = utc_now()
    previous_department = c.department_id
    due = None
    match action:
        case ComplaintAction.ACCEPT:
            c.accepted_at = now
            c.handle_due = workflow.handle_due_after_acceptance(ctx.calendar, c, now)
        case ComplaintAction.REJECT | ComplaintAction.REOPEN:
            pass
        case ComplaintAction.DISPATCH | ComplaintAction.REASSIGN:
            if details.get("department_id") is not None:
                c.department_id = details["department_id"]
                c.department_name = details.get("department_name")
                c.department_type = details.get("department_type") or c.department_type
            if details.get("category"):
                c.category = details["category"]
            if action is ComplaintAction.REASSIGN:
                c.routed_by = "handler"
        case ComplaintAction.REPLY:
            c.result_code, c.result_summary, c.replied_at = details["result_code"], details["summary"], now
        case ComplaintAction.CLOSE:
            c.closed_at = now
        case ComplaintAction.VISIT:
            c.visit_note = details["note"]
            if details.get("satisfaction") is not None:
                c.satisfaction, c.satisfaction_comment = details["satisfaction"], details.get("comment")
        case ComplaintAction.RATE:
            c.satisfaction, c.satisfaction_comment = details["satisfaction"], details.get("comment")
        case ComplaintAction.SUPERVISE:
            current = workflow.current_due(c)
            due = current[1] if current else None
            key = workflow.due_key(*current) if current else None
            c.escalation_level = (c.escalation_level if c.escalated_for == key else 0) + 1
            c.escalated_for = key
        case _:
            pass
    c.status = after.value
    c.modified_at = now
    clean = {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in details.items() if k != "department_name"}
    session.add(timeline(c, action.value, actor, from_status=before, reason=reason, **clean))
    events: list[Any] = [
        status_event(
            c,
            action,
            before,
            actor,
            reason=reason,
            previous_department_id=previous_department if previous_department != c.department_id else None,
            due=due,
        )
    ]
    if action in (ComplaintAction.REPLY, ComplaintAction.CLOSE, ComplaintAction.REJECT):
        events.extend(await _tell_repeats(session, c, action, actor))
    await outbox.stage(session, *events)
    return c


async def _tell_repeats(
    session: AsyncSession, master: Complaint, action: ComplaintAction, actor: str
) -> list[ComplaintStatusChanged]:
    """Complaints merged into this one get its result too (each complainant is answered)."""
    repeats = (await session.scalars(select(Complaint).where(Complaint.merged_into == master.id))).all()
    events = []
    for r in repeats:
        r.result_code, r.result_summary = master.result_code, master.result_summary
        if action is ComplaintAction.REJECT:
            r.result_code, r.result_summary = "rejected", "主件不予受理"
        r.replied_at = master.replied_at
        r.closed_at = master.closed_at
        session.add(timeline(r, f"master_{action.value}", actor, master=master.tracking_no))
        events.append(status_event(r, action, r.status, actor, reason=f"merged into {master.tracking_no}"))
    return events


async def merge_into(
    session: AsyncSession, ctx: Context, c: Complaint, master: Complaint, actor: str, reason: str
) -> None:
    if master.id == c.id or master.merged_into is not None or master.status not in workflow.OPEN:
        raise workflow.IllegalTransition(
            f"cannot merge into {master.tracking_no}: it is in state {master.status!r}"
            + (" and itself merged" if master.merged_into else ""),
            state=master.status,
            action="merge",
        )
    c.merged_into = master.id
    await apply(session, ctx, c, ComplaintAction.MERGE, actor, reason=reason, into=master.tracking_no)
    c.accept_due = c.handle_due = None
    await session.execute(
        update(Complaint).where(Complaint.id == master.id).values(repeat_count=Complaint.repeat_count + 1)
    )
    session.add(timeline(master, "repeat_merged", actor, repeat=c.tracking_no, reason=reason))


async def relink(session: AsyncSession, c: Complaint, link: Link, actor: str, reason: str) -> None:
    """Link the target by hand; a complaint about an object now identified is signalled to risk-svc."""
    before = c.status
    c.target_object_id, c.target_name, c.target_uscc = link.object_id, link.name, link.uscc
    c.target_name_core = link.name_core
    c.target_industry_code, c.target_department_id = link.industry_code, link.department_id
    c.target_department_name, c.link_method, c.link_score = link.department_name, "manual", 1.0
    c.modified_at = utc_now()
    session.add(
        timeline(c, ComplaintAction.LINK.value, actor, from_status=before, reason=reason, object_id=str(link.object_id))
    )
    events: list[Any] = [status_event(c, ComplaintAction.LINK, before, actor, reason=reason)]
    if not c.signalled and c.merged_into is None and (signal := signal_event(c)) is not None:
        c.signalled = True
        events.append(signal)
    await outbox.stage(session, *events)
