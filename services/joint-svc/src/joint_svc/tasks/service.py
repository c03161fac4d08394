"""Joint tasks: creating them, taking actions through the engine, reading them and their timeline in scope."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import ColumnElement, Select, and_, func, insert, or_, select, text, true
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from joint_svc.deadlines import clock
from joint_svc.engine.machines import OPEN_NATIONAL, Action, Field_, Side, Transition, machine
from joint_svc.routing import service as routing
from joint_svc.settings import JointSettings
from joint_svc.tasks.effects import SYSTEM, Actor, Effects, append_event, notify, status_changed, step_message
from joint_svc.tasks.models import JointTask
from joint_svc.tasks.schemas import ActionRequest, AttachmentIn, CampaignProgress, ChildProgress
from supervision_schemas.joint import JointTaskKind, NationalStatus, NotificationReason, TaskOrigin
from supervision_schemas.risk import DisposalFeedbackData, DisposalFeedbackRecorded
from svc_runtime.db import utc_now
from svc_runtime.problems import Conflict, Forbidden, NotFound, Problem
from svc_runtime.scope import DEPARTMENT_ADMIN, DataScope, OutOfScope, region_contains
from svc_runtime.workdays import CHINA_TZ

KIND_PREFIX = {
    JointTaskKind.APPROVAL_LINKAGE: "SPLD",
    JointTaskKind.LEAD_FORWARDING: "CGCS",
    JointTaskKind.ASSISTANCE: "XCXB",
    JointTaskKind.CAMPAIGN: "ZXZZ",
    JointTaskKind.CAMPAIGN_TASK: "ZXRW",
    JointTaskKind.DISPOSAL: "FXCZ",
}
ACTION_FIELDS = ("reason", "result", "progress", "department_id", "outcome", "measures")


class TaskNotFound(NotFound):
    title = "Task not found"


class InvalidAction(Problem):
    status = 422
    title = "Validation failed"


class InvalidAttachment(Problem):
    status = 422
    title = "Attachment refused"


# --- data scope -----------------------------------------------------------------------------------


def scope_condition(scope: DataScope) -> ColumnElement[bool]:
    """Departments see tasks they initiated, received or supervise (escalated to them); leaders their region."""
    if scope.unrestricted:
        return true()
    t = JointTask
    prefix = scope.prefix
    if scope.all_departments:
        if not prefix:
            return true()
        return or_(
            t.region_code.startswith(prefix, autoescape=True),
            t.initiator_region_code.startswith(prefix, autoescape=True),
        )
    dept = scope.department
    if dept is None:
        raise OutOfScope("your token carries no department")
    clauses: list[ColumnElement[bool]] = [
        t.initiator_department_id == dept,
        t.assignee_department_id == dept,
        t.escalated_to_department_id == dept,
    ]
    if DEPARTMENT_ADMIN in scope.principal.roles:
        # a region's dispatcher sees the tasks of its region nobody has received yet
        region = t.region_code.startswith(prefix, autoescape=True) if prefix else true()
        clauses.append(and_(t.assignee_department_id.is_(None), region))
    return or_(*clauses)


def can_read(scope: DataScope, task: JointTask) -> bool:
    if scope.unrestricted:
        return True
    prefix = scope.prefix
    if scope.all_departments:
        return task.region_code.startswith(prefix) or task.initiator_region_code.startswith(prefix)
    dept = scope.department
    if dept is None:
        return False
    if dept in (task.initiator_department_id, task.assignee_department_id, task.escalated_to_department_id):
        return True
    return (
        DEPARTMENT_ADMIN in scope.principal.roles
        and task.assignee_department_id is None
        and task.region_code.startswith(prefix)
    )


def readable(scope: DataScope) -> Select[Any]:
    return select(JointTask).where(scope_condition(scope))


async def get(session: AsyncSession, scope: DataScope, task_id: uuid.UUID) -> JointTask:
    task = await session.get(JointTask, task_id)
    if task is None or not can_read(scope, task):
        raise TaskNotFound(f"no task {task_id} in your scope")
    return task


async def lock(session: AsyncSession, task_id: uuid.UUID) -> JointTask | None:
    """Lock a task for a change; a campaign task's campaign is locked first (always parent before child)."""
    parent_id = await session.scalar(select(JointTask.parent_id).where(JointTask.id == task_id))
    if parent_id is not None:
        await session.execute(select(JointTask.id).where(JointTask.id == parent_id).with_for_update())
    return (
        await session.scalars(
            select(JointTask).where(JointTask.id == task_id).with_for_update().execution_options(populate_existing=True)
        )
    ).first()


# --- creating -------------------------------------------------------------------------------------


@dataclass
class NewTask:
    """Everything a new task needs; `department` None leaves it unassigned for the region's dispatcher."""

    kind: JointTaskKind
    origin: TaskOrigin
    title: str
    region_code: str
    initiator_region_code: str
    department: routing.DepartmentRef | None
    initiator_department_id: uuid.UUID | None = None
    initiator_department_name: str | None = None
    initiator_subject: str | None = None
    content: str | None = None
    requirements: str | None = None
    parent: JointTask | None = None
    source_key: str | None = None
    upstream_task_no: str | None = None
    upstream_source: str | None = None
    supervision_item_code: str | None = None
    industry_code: str | None = None
    objects: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    deadline: datetime | None = None
    deadline_workdays: int | None = None
    state: str | None = None


async def task_numbers(session: AsyncSession, kind: JointTaskKind, count: int, now: datetime) -> list[str]:
    seqs = (
        await session.execute(text("SELECT nextval('joint_task_no_seq') FROM generate_series(1, :n)"), {"n": count})
    ).scalars()
    day = now.astimezone(CHINA_TZ).strftime("%Y%m%d")
    return [f"{KIND_PREFIX[kind]}{day}{n:08d}" for n in seqs]


async def create_tasks(
    session: AsyncSession,
    settings: JointSettings,
    specs: Sequence[NewTask],
    actor: Actor,
    effects: Effects,
    *,
    load: bool = True,
) -> list[JointTask]:
    """Create tasks; each gets its number, the first entry of its timeline, a notification and an event.

    The rows go in with one statement; `load=False` (consumers creating many) returns the tasks as
    built, without reading them back into the session.
    """
    if not specs:
        return []
    now = utc_now()
    numbers: dict[JointTaskKind, list[str]] = {}
    for kind, count in Counter(s.kind for s in specs).items():
        numbers[kind] = await task_numbers(session, kind, count, now)
    built: list[tuple[JointTask, NewTask, NationalStatus | None]] = []
    for spec in specs:
        m = machine(spec.kind)
        state = spec.state or (
            m.initial if spec.department is not None or spec.kind is JointTaskKind.CAMPAIGN else "unassigned"
        )
        national = m.national(state)
        task = JointTask(
            id=uuid.uuid4(),
            task_no=numbers[spec.kind].pop(0),
            kind=spec.kind.value,
            state=state,
            national_status=national.value if national else None,
            origin=spec.origin.value,
            title=spec.title,
            content=spec.content,
            requirements=spec.requirements,
            parent_id=spec.parent.id if spec.parent else None,
            source_key=spec.source_key,
            upstream_task_no=spec.upstream_task_no,
            upstream_source=spec.upstream_source,
            initiator_department_id=spec.initiator_department_id,
            initiator_department_name=spec.initiator_department_name,
            initiator_region_code=spec.initiator_region_code,
            initiator_subject=spec.initiator_subject,
            assignee_department_id=spec.department.department_id if spec.department else None,
            assignee_department_name=spec.department.name if spec.department else None,
            region_code=spec.region_code,
            supervision_item_code=spec.supervision_item_code,
            industry_code=spec.industry_code,
            objects=spec.objects,
            details=spec.details,
            attachments=spec.attachments,
            result=None,
            end_reason=None,
            progress=None,
            deadline=spec.deadline,
            deadline_workdays=spec.deadline_workdays,
            reminded_at=None,
            escalation_level=0,
            escalated_at=None,
            escalated_to_department_id=None,
            escalated_to_department_name=None,
            event_count=1,
            claimed_at=None,
            fed_back_at=None,
            ended_at=None,
            created_at=now,
            modified_at=None,
        )
        task.next_due_at = clock.next_due(settings, task, now)
        built.append((task, spec, national))
    columns = [c.key for c in JointTask.__table__.columns]
    await session.execute(insert(JointTask.__table__), [{c: getattr(t, c) for c in columns} for t, _, _ in built])
    for task, spec, national in built:
        seq = append_event(
            effects,
            task,
            action="create",
            actor=actor,
            at=now,
            side=Side.SYSTEM if actor.system else Side.INITIATOR,
            to_state=task.state,
            attachments=spec.attachments,
            data={"deadline": task.deadline.isoformat() if task.deadline else None, "origin": spec.origin.value},
            first=True,
        )
        if national is not None:
            notify(
                effects,
                task,
                task.assignee_department_id,
                NotificationReason.ASSIGNED,
                step_message(task, "create", task.initiator_department_name),
                at=now,
                seq=seq,
            )
        effects.events.append(
            status_changed(
                task,
                action="create",
                previous_state=None,
                actor=actor,
                at=now,
                parent_no=spec.parent.task_no if spec.parent else None,
            )
        )
    if not load:
        return [t for t, _, _ in built]
    ids = [t.id for t, _, _ in built]
    loaded = {t.id: t for t in (await session.scalars(select(JointTask).where(JointTask.id.in_(ids)))).all()}
    return [loaded[i] for i in ids]


# --- acting ---------------------------------------------------------------------------------------


def check_attachments(settings: JointSettings, attachments: Sequence[AttachmentIn], loc: str = "attachments") -> None:
    """Refuse attachments of a type or size the platform does not take, naming each one."""
    errors = []
    for i, a in enumerate(attachments):
        if a.media_type not in settings.joint_attachment_types:
            errors.append(
                {
                    "loc": ["body", loc, i, "media_type"],
                    "msg": f"{a.media_type} is not accepted; accepted: {', '.join(settings.joint_attachment_types)}",
                    "type": "value_error",
                }
            )
        if a.size_bytes > settings.joint_attachment_max_bytes:
            errors.append(
                {
                    "loc": ["body", loc, i, "size_bytes"],
                    "msg": f"{a.size_bytes} bytes exceeds the limit of {settings.joint_attachment_max_bytes}",
                    "type": "value_error",
                }
            )
    if errors:
        raise InvalidAttachment(
            "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in errors), errors=errors
        )


def side_of(t: Transition, task: JointTask, actor: Actor) -> Side | None:
    """Which side the actor takes this transition as, or None when they may not."""
    if actor.system:
        return Side.SYSTEM if Side.SYSTEM in t.sides else None
    scope = actor.scope
    if scope is None or scope.read_only:
        return None
    if scope.unrestricted:
        for side in (Side.ASSIGNEE, Side.INITIATOR, Side.DISPATCHER):
            if side in t.sides:
                return side
        return None
    dept = actor.department_id
    if Side.ASSIGNEE in t.sides and dept is not None and dept == task.assignee_department_id:
        return Side.ASSIGNEE
    if Side.INITIATOR in t.sides and dept is not None and dept == task.initiator_department_id:
        return Side.INITIATOR
    if (
        Side.DISPATCHER in t.sides
        and DEPARTMENT_ADMIN in actor.roles
        and actor.region_code is not None
        and region_contains(actor.region_code, task.region_code)
    ):
        return Side.DISPATCHER
    return None


_SIDE_NAMES = {
    Side.INITIATOR: "initiating department",
    Side.ASSIGNEE: "receiving department",
    Side.DISPATCHER: "region's department administrator",
    Side.SYSTEM: "system",
}


def authorize(t: Transition, task: JointTask, actor: Actor) -> Side:
    side = side_of(t, task, actor)
    if side is not None:
        return side
    if t.sides == {Side.SYSTEM}:
        raise Forbidden(f"{t.action.value} is taken by the system, not by a department")
    if actor.scope is not None and actor.scope.read_only:
        raise OutOfScope("your role may read but not change data")
    who = " or the ".join(_SIDE_NAMES[s] for s in sorted(t.sides, key=lambda s: s.value))
    raise OutOfScope(f"only the {who} may {t.action.value} this task")


def check_fields(t: Transition, body: ActionRequest) -> None:
    given = {f for f in ACTION_FIELDS if getattr(body, f) is not None}
    errors = [
        {"loc": ["body", f.value], "msg": f"required by {t.action.value}", "type": "missing"}
        for f in t.requires
        if getattr(body, f.value) is None
    ]
    errors += [
        {"loc": ["body", f], "msg": f"not used by {t.action.value}", "type": "extra_forbidden"}
        for f in sorted(given - t.accepts())
    ]
    if errors:
        raise InvalidAction(
            "; ".join(f"{e['loc'][1]}: {e['msg']}" for e in errors), errors=errors, action=t.action.value
        )


def available_actions(task: JointTask, actor: Actor) -> list[Action]:
    m = machine(task.kind)
    return sorted(
        {
            t.action
            for t in m.actions_from(task.state)
            if t.sides != {Side.SYSTEM} and side_of(t, task, actor) is not None
        },
        key=lambda a: a.value,
    )


async def act(
    session: AsyncSession,
    settings: JointSettings,
    scope: DataScope,
    task_id: uuid.UUID,
    action: Action,
    body: ActionRequest,
) -> JointTask:
    """Take an action on a task: checked against its machine, the caller's side and the fields it needs."""
    task = await lock(session, task_id)
    if task is None or not can_read(scope, task):
        raise TaskNotFound(f"no task {task_id} in your scope")
    actor = Actor.of(scope)
    t = machine(task.kind).find(task.state, action)
    side = authorize(t, task, actor)
    check_fields(t, body)
    check_attachments(settings, body.attachments)
    effects = Effects()
    await apply(session, settings, task, t, side, actor, body, effects)
    await effects.stage(session)
    return task


async def apply(
    session: AsyncSession,
    settings: JointSettings,
    task: JointTask,
    t: Transition,
    side: Side,
    actor: Actor,
    body: ActionRequest,
    effects: Effects,
    *,
    data: dict[str, Any] | None = None,
) -> None:
    """Apply a checked transition: effects of the action, new state, timeline, notifications, events."""
    now = utc_now()
    previous = task.state
    data = dict(data or {})
    notify_new_assignee: routing.DepartmentRef | None = None
    action = t.action

    # what the action does besides moving the state
    if action in (Action.ASSIGN, Action.REROUTE):
        assert body.department_id is not None
        dept = await routing.require_department(session, body.department_id, "department_id")
        if side is Side.DISPATCHER and actor.region_code and not region_contains(actor.region_code, dept.region_code):
            raise OutOfScope(f"department_id: {dept.name} is outside your region")
        data["previous_department_id"] = str(task.assignee_department_id) if task.assignee_department_id else None
        data["department_id"], data["department_name"] = str(dept.department_id), dept.name
        task.assignee_department_id, task.assignee_department_name = dept.department_id, dept.name
        task.end_reason = None
        notify_new_assignee = dept
    if body.reason is not None:
        data["reason"] = body.reason
        if machine(task.kind).national(t.target) is NationalStatus.ENDED or action is Action.RETURN:
            task.end_reason = body.reason
    if action is Action.RETURN and task.kind == JointTaskKind.DISPOSAL:
        # not ours: back to the region's dispatcher
        data["previous_department_id"] = str(task.assignee_department_id)
        task.assignee_department_id = task.assignee_department_name = None
    if body.result is not None:
        task.result = body.result.model_dump(mode="json")
        data["result"] = task.result
    if body.progress is not None:
        task.progress = body.progress
        data["progress"] = body.progress
    if action is Action.COMPLETE and task.kind == JointTaskKind.CAMPAIGN_TASK:
        task.progress = 100
    if action in (Action.REJECT_FEEDBACK, Action.RETURN_FOR_REWORK):
        task.fed_back_at = None
    if action is Action.DISPOSE:
        assert body.outcome is not None
        task.result = {
            "outcome": body.outcome.value,
            "measures": body.measures,
            "suggestion": body.result.suggestion if body.result else body.measures,
            "records": body.result.model_dump(mode="json")["records"] if body.result else [],
        }
        data["result"] = task.result
        if "warning_id" in task.details:  # opened by a risk warning: the outcome goes back to risk-svc
            effects.events.append(disposal_feedback(task, body, actor, now))
    if action is Action.SUMMARISE:
        open_children = await session.scalar(
            select(func.count())
            .select_from(JointTask)
            .where(JointTask.parent_id == task.id, JointTask.national_status.in_(OPEN_NATIONAL))
        )
        if open_children:
            raise Conflict(
                f"cannot summarise campaign {task.task_no}: {open_children} of its tasks are still open "
                "(dispatched or claimed)",
                state=task.state,
                open_tasks=open_children,
            )
    if action is Action.LAUNCH:
        if task.deadline_workdays is not None and task.details.get("deadline_given") == "workdays":
            task.deadline = clock.calendar(settings).deadline(now, task.deadline_workdays)
        if task.deadline is not None and task.deadline < now:
            raise Conflict(f"the campaign's deadline {task.deadline.date().isoformat()} has passed", state=task.state)

    # the move itself
    m = machine(task.kind)
    target_national = m.national(t.target)
    task.state = t.target
    task.national_status = target_national.value if target_national else None
    if target_national is NationalStatus.CLAIMED and task.claimed_at is None:
        task.claimed_at = now
    if target_national is NationalStatus.FEEDBACK:
        task.fed_back_at = now
    if target_national is NationalStatus.ENDED:
        task.ended_at = now
    elif task.ended_at is not None:
        task.ended_at = None  # re-opened (a returned task rerouted)
    task.modified_at = now
    task.next_due_at = clock.next_due(settings, task, now)
    seq = append_event(
        effects,
        task,
        action=action.value,
        actor=actor,
        at=now,
        side=side,
        from_state=previous,
        to_state=t.target,
        comment=body.comment,
        attachments=[a.model_dump(mode="json") for a in body.attachments],
        data=data,
    )

    # who is told
    actor_name = _actor_name(task, side, actor)
    message = step_message(task, action.value, actor_name)
    if notify_new_assignee is not None:
        notify(
            effects,
            task,
            notify_new_assignee.department_id,
            NotificationReason.ASSIGNED,
            message,
            at=now,
            seq=seq,
        )
    recipients: list[uuid.UUID | None] = []
    if side in (Side.ASSIGNEE, Side.DISPATCHER, Side.SYSTEM):
        recipients.append(task.initiator_department_id)
    if side in (Side.INITIATOR, Side.SYSTEM) and notify_new_assignee is None:
        recipients.append(task.assignee_department_id)
    if task.escalated_to_department_id is not None:
        recipients.append(task.escalated_to_department_id)  # the supervising level follows an escalated task
    if action is not Action.BEGIN:
        for dept_id in dict.fromkeys(r for r in recipients if r is not None and r != actor.department_id):
            notify(effects, task, dept_id, NotificationReason.STATUS_CHANGED, message, at=now, seq=seq)

    parent = await session.get(JointTask, task.parent_id) if task.parent_id else None
    effects.events.append(
        status_changed(
            task,
            action=action.value,
            previous_state=previous,
            actor=actor,
            at=now,
            parent_no=parent.task_no if parent else None,
        )
    )

    # cascades between a campaign and its tasks
    if action is Action.LAUNCH:
        await _distribute(session, settings, task, actor, effects)
    elif action is Action.CLAIM and parent is not None and parent.state == "launched":
        begin = machine(parent.kind).find(parent.state, Action.BEGIN)
        await apply(
            session,
            settings,
            parent,
            begin,
            Side.SYSTEM,
            SYSTEM,
            ActionRequest(),
            effects,
            data={"first_claim": task.task_no},
        )
    elif task.kind == JointTaskKind.CAMPAIGN and action in (Action.CLOSE, Action.CANCEL):
        await _cascade(session, settings, task, action, body.reason, effects)


def _actor_name(task: JointTask, side: Side, actor: Actor) -> str | None:
    if side is Side.ASSIGNEE:
        return task.assignee_department_name
    if side is Side.INITIATOR:
        return task.initiator_department_name
    if side is Side.SYSTEM:
        return "系统"
    return actor.subject


def disposal_feedback(task: JointTask, body: ActionRequest, actor: Actor, now: datetime) -> DisposalFeedbackRecorded:
    """The disposal outcome as risk-svc's feedback event on the warning that opened the task."""
    d = task.details
    assert body.outcome is not None
    return DisposalFeedbackRecorded.build(
        source="/joint-svc",
        subject=d["object_key"],
        data=DisposalFeedbackData(
            feedback_id=uuid.uuid5(task.id, "disposal-feedback"),
            warning_id=uuid.UUID(d["warning_id"]),
            object_key=d["object_key"],
            model_key=d["model_key"],
            model_version=d["model_version"],
            outcome=body.outcome,
            action=body.measures,
            note=(body.result.suggestion if body.result else None) or body.comment,
            department_id=task.assignee_department_id,
            recorded_by=actor.subject,
            recorded_at=now,
        ),
    )


async def _distribute(
    session: AsyncSession, settings: JointSettings, campaign: JointTask, actor: Actor, effects: Effects
) -> None:
    """A launched campaign distributes one task to each participating department."""
    specs = []
    for entry in campaign.details.get("departments", []):
        dept = await routing.department(session, uuid.UUID(entry["department_id"]))
        ref = (
            routing.DepartmentRef(dept.department_id, dept.name, dept.region_code)
            if dept is not None and dept.active
            else None
        )
        specs.append(
            NewTask(
                kind=JointTaskKind.CAMPAIGN_TASK,
                origin=TaskOrigin(campaign.origin),
                title=f"{campaign.title}（{entry['name']}）",
                region_code=ref.region_code if ref else campaign.region_code,
                initiator_region_code=campaign.initiator_region_code,
                department=ref,
                initiator_department_id=campaign.initiator_department_id,
                initiator_department_name=campaign.initiator_department_name,
                initiator_subject=actor.subject,
                content=campaign.content,
                requirements=campaign.requirements,
                parent=campaign,
                supervision_item_code=campaign.supervision_item_code,
                industry_code=campaign.industry_code,
                objects=campaign.objects,
                details={"campaign_id": str(campaign.id), "campaign_no": campaign.task_no},
                attachments=campaign.attachments,
                deadline=campaign.deadline,
                deadline_workdays=campaign.deadline_workdays,
            )
        )
    await create_tasks(session, settings, specs, actor, effects)


async def _cascade(
    session: AsyncSession,
    settings: JointSettings,
    campaign: JointTask,
    action: Action,
    reason: str | None,
    effects: Effects,
) -> None:
    """Closing a campaign closes its completed tasks; cancelling it cancels its open ones."""
    children = (
        await session.scalars(
            select(JointTask).where(JointTask.parent_id == campaign.id).order_by(JointTask.task_no).with_for_update()
        )
    ).all()
    for child in children:
        m = machine(child.kind)
        t = next((x for x in m.actions_from(child.state) if x.action == action and Side.SYSTEM in x.sides), None)
        if t is None:
            continue
        body = (
            ActionRequest(reason=reason or f"campaign {campaign.task_no} {action.value}")
            if Field_.REASON in t.requires
            else ActionRequest()
        )
        await apply(
            session, settings, child, t, Side.SYSTEM, SYSTEM, body, effects, data={"campaign": campaign.task_no}
        )


async def comment(
    session: AsyncSession,
    settings: JointSettings,
    scope: DataScope,
    task_id: uuid.UUID,
    text_: str,
    attachments: Sequence[AttachmentIn],
) -> int:
    """Add a comment (with attachments) to the timeline; the other side is told."""
    task = await lock(session, task_id)
    if task is None or not can_read(scope, task):
        raise TaskNotFound(f"no task {task_id} in your scope")
    if scope.read_only:
        raise OutOfScope("your role may read but not change data")
    check_attachments(settings, attachments)
    actor = Actor.of(scope)
    now = utc_now()
    effects = Effects()
    seq = append_event(
        effects,
        task,
        action="comment",
        actor=actor,
        at=now,
        side=_side_in(task, actor),
        comment=text_,
        attachments=[a.model_dump(mode="json") for a in attachments],
    )
    task.modified_at = now
    message = f"{actor.subject} 留言：{machine(task.kind).label}任务 {task.task_no}：{text_[:100]}"
    for dept_id in dict.fromkeys(
        d
        for d in (task.initiator_department_id, task.assignee_department_id, task.escalated_to_department_id)
        if d is not None and d != actor.department_id
    ):
        notify(effects, task, dept_id, NotificationReason.COMMENTED, message, at=now, seq=seq)
    await effects.stage(session)
    return seq


def _side_in(task: JointTask, actor: Actor) -> Side | None:
    if actor.department_id is not None:
        if actor.department_id == task.assignee_department_id:
            return Side.ASSIGNEE
        if actor.department_id == task.initiator_department_id:
            return Side.INITIATOR
    return None


# --- reading --------------------------------------------------------------------------------------


_TIMELINE_PAGE = """
    SELECT t.event_count, page.entries, page.last
    FROM joint_tasks t
    JOIN (SELECT '[' || coalesce(string_agg(e.rendered, ',' ORDER BY e.seq), '') || ']' AS entries,
                 max(e.seq) AS last
          FROM (SELECT seq, rendered FROM joint_task_events WHERE task_id = $1 AND seq > $2
                ORDER BY seq LIMIT $3) e) page ON true
    WHERE t.id = $1 AND ({scope})
"""


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def timeline_scope(scope: DataScope) -> tuple[str, list[Any]]:
    """`scope_condition` as SQL over `t` with parameters from $4 (the timeline read runs on the driver)."""
    if scope.unrestricted:
        return "true", []
    prefix = scope.prefix
    if scope.all_departments:
        if not prefix:
            return "true", []
        return "t.region_code LIKE $4 OR t.initiator_region_code LIKE $4", [_like_prefix(prefix)]
    dept = scope.department
    if dept is None:
        raise OutOfScope("your token carries no department")
    sql = "t.initiator_department_id = $4 OR t.assignee_department_id = $4 OR t.escalated_to_department_id = $4"
    if DEPARTMENT_ADMIN in scope.principal.roles:
        return sql + " OR (t.assignee_department_id IS NULL AND t.region_code LIKE $5)", [dept, _like_prefix(prefix)]
    return sql, [dept]


async def timeline(
    conn: AsyncConnection, scope: DataScope, task_id: uuid.UUID, *, after: int, limit: int
) -> tuple[int, str, int | None]:
    """A page of the timeline (entries after `after`, oldest first) as a JSON array, the number of entries
    in all, and the number of the page's last entry: one scope-checked statement.

    Entries are stored rendered (see TaskEvent.rendered), so a page is their concatenation; the statement
    runs on the driver's connection with its prepared-statement cache (the hottest read of the service).
    """
    predicate, args = timeline_scope(scope)
    raw = await conn.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection
    row = await driver.fetchrow(_TIMELINE_PAGE.format(scope=predicate), task_id, after, limit, *args)
    if row is None:
        raise TaskNotFound(f"no task {task_id} in your scope")
    return row["event_count"], row["entries"], row["last"]


async def campaign_progress(session: AsyncSession, scope: DataScope, task_id: uuid.UUID) -> CampaignProgress:
    campaign = await get(session, scope, task_id)
    if campaign.kind != JointTaskKind.CAMPAIGN:
        raise Conflict(f"task {campaign.task_no} is a {campaign.kind} task, not a campaign", state=campaign.state)
    children = (
        await session.scalars(select(JointTask).where(JointTask.parent_id == campaign.id).order_by(JointTask.task_no))
    ).all()
    now = utc_now()
    items = [
        ChildProgress(
            task_id=c.id,
            task_no=c.task_no,
            department_id=c.assignee_department_id,
            department_name=c.assignee_department_name,
            state=c.state,
            national_status=NationalStatus(c.national_status) if c.national_status else None,
            progress=c.progress,
            deadline=c.deadline,
            overdue=clock.overdue(c, now),
        )
        for c in children
    ]
    return CampaignProgress(
        task_id=campaign.id,
        state=campaign.state,
        tasks=len(items),
        by_state=dict(Counter(i.state for i in items)),
        by_national_status=dict(Counter(i.national_status.value for i in items if i.national_status)),
        average_progress=round(sum(i.progress or 0 for i in items) / len(items), 1) if items else 0.0,
        overdue=sum(i.overdue for i in items),
        items=items,
    )


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    return and_(
        JointTask.deadline < now,
        JointTask.national_status.in_(OPEN_NATIONAL),
    )
