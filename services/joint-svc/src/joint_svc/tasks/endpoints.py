"""Joint tasks: starting each kind of work, acting on tasks, their timeline, and the machines behind them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Response
from sqlalchemy import SQLColumnExpression, or_

from joint_svc.deadlines import clock
from joint_svc.deps import ReadConnectionDep, SettingsDep
from joint_svc.engine.machines import MACHINES, Action
from joint_svc.tasks import kinds
from joint_svc.tasks import service as task_service
from joint_svc.tasks.effects import Actor
from joint_svc.tasks.models import JointTask
from joint_svc.tasks.schemas import (
    ActionRequest,
    ApprovalLinkageCreate,
    AssistanceCreate,
    CampaignCreate,
    CampaignProgress,
    CommentCreate,
    LeadForwardingCreate,
    MachineInfo,
    Scope,
    TaskDetail,
    TaskRead,
    Timeline,
    TransitionInfo,
)
from supervision_schemas.joint import NATIONAL_STATUS_LABELS, JointTaskKind, NationalStatus, TaskOrigin
from svc_runtime.db import SessionDep, utc_now
from svc_runtime.pagination import Page, PaginationDep, order_by, paginate
from svc_runtime.scope import DataScope, DataScopeDep, OutOfScope
from svc_runtime.workdays import CHINA_TZ

router = APIRouter(tags=["tasks"])
_SORT: dict[str, SQLColumnExpression[Any]] = {
    "created_at": JointTask.created_at,
    "modified_at": JointTask.modified_at,
    "deadline": JointTask.deadline,
    "task_no": JointTask.task_no,
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such task in your scope."}}
_REFUSED: dict[int | str, dict[str, Any]] = {
    403: {"description": "Outside your data scope or not your side of the task."},
    422: {"description": "A field is missing, not used by the action, or invalid (named in `errors`)."},
}


def to_read(task: JointTask, model: type[TaskRead] = TaskRead) -> TaskRead:
    national = NationalStatus(task.national_status) if task.national_status else None
    read = model.model_validate(task)
    read.national_status_label = NATIONAL_STATUS_LABELS[national] if national else None
    read.overdue = clock.overdue(task, utc_now())
    return read


def detail(task: JointTask, scope: DataScope) -> TaskDetail:
    read = to_read(task, TaskDetail)
    assert isinstance(read, TaskDetail)
    read.available_actions = task_service.available_actions(task, Actor.of(scope))
    return read


@router.post(
    "/approval-linkages",
    response_model=TaskRead,
    status_code=201,
    tags=["approval linkage"],
    responses={409: {"description": "The approval was already pushed."}, **_REFUSED},
)
async def push_approval(
    body: ApprovalLinkageCreate, session: SessionDep, scope: DataScopeDep, settings: SettingsDep
) -> TaskRead:
    """Push an approval (incl. 先照后证 and 告知承诺) to its supervising department, found from the item and industry."""
    return to_read(await kinds.approval_linkage(session, settings, scope, body))


@router.post(
    "/lead-forwardings",
    response_model=list[TaskRead],
    status_code=201,
    tags=["lead forwarding"],
    responses=_REFUSED,
)
async def forward_lead(
    body: LeadForwardingCreate, session: SessionDep, scope: DataScopeDep, settings: SettingsDep
) -> list[TaskRead]:
    """Send a case lead or a copy (抄告抄送) to departments: one task per recipient."""
    return [to_read(t) for t in await kinds.lead_forwarding(session, settings, scope, body)]


@router.post("/assistance-requests", response_model=TaskRead, status_code=201, tags=["assistance"], responses=_REFUSED)
async def request_assistance(
    body: AssistanceCreate, session: SessionDep, scope: DataScopeDep, settings: SettingsDep
) -> TaskRead:
    """Ask another department to investigate or co-handle a matter (协查协办)."""
    return to_read(await kinds.assistance(session, settings, scope, body))


@router.post("/campaigns", response_model=TaskRead, status_code=201, tags=["campaigns"], responses=_REFUSED)
async def create_campaign(
    body: CampaignCreate, session: SessionDep, scope: DataScopeDep, settings: SettingsDep
) -> TaskRead:
    """Draft a special rectification campaign (专项整治); the `launch` action distributes its tasks."""
    return to_read(await kinds.campaign(session, settings, scope, body))


@router.get("/tasks", response_model=Page[TaskRead])
async def list_tasks(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    kind: Annotated[JointTaskKind | None, Query(description="Only tasks of this kind.")] = None,
    state: Annotated[str | None, Query(max_length=20, description="Only tasks in this state.")] = None,
    national_status: Annotated[
        NationalStatus | None, Query(description="Only tasks with this national status (分发/认领/结束/反馈).")
    ] = None,
    role: Annotated[
        Scope, Query(description="Tasks you initiated, received, supervise (escalated), or all.")
    ] = Scope.ALL,
    overdue: Annotated[
        bool | None, Query(description="Only open tasks past their deadline (true) or not (false).")
    ] = None,
    origin: Annotated[TaskOrigin | None, Query(description="Only tasks from this origin.")] = None,
    parent_id: Annotated[uuid.UUID | None, Query(description="Only the tasks a campaign distributed.")] = None,
    region_code: Annotated[str | None, Query(pattern=r"^\d{2,6}$", description="Region code prefix.")] = None,
    upstream_task_no: Annotated[
        str | None, Query(max_length=100, description="The national/provincial task number.")
    ] = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=100, description="Words in the title or task number.")
    ] = None,
    created_from: Annotated[date | None, Query(description="Created on or after this day (China time).")] = None,
    created_to: Annotated[date | None, Query(description="Created on or before this day (China time).")] = None,
    sort: Annotated[
        str | None, Query(description="Sort by created_at, modified_at, deadline or task_no; '-' for descending.")
    ] = None,
) -> Page[TaskRead]:
    """List the tasks in your scope: those you initiated, received or supervise (leaders: your region's)."""
    stmt = task_service.readable(scope)
    if kind is not None:
        stmt = stmt.where(JointTask.kind == kind.value)
    if state is not None:
        stmt = stmt.where(JointTask.state == state)
    if national_status is not None:
        stmt = stmt.where(JointTask.national_status == national_status.value)
    if role is not Scope.ALL:
        if scope.department is None:
            raise OutOfScope("your token carries no department")
        column = {
            Scope.INITIATED: JointTask.initiator_department_id,
            Scope.RECEIVED: JointTask.assignee_department_id,
            Scope.ESCALATED: JointTask.escalated_to_department_id,
        }[role]
        stmt = stmt.where(column == scope.department)
    if overdue is not None:
        condition = task_service.overdue_condition(utc_now())
        stmt = stmt.where(condition if overdue else ~condition)
    if origin is not None:
        stmt = stmt.where(JointTask.origin == origin.value)
    if parent_id is not None:
        stmt = stmt.where(JointTask.parent_id == parent_id)
    if region_code is not None:
        stmt = stmt.where(JointTask.region_code.startswith(region_code, autoescape=True))
    if upstream_task_no is not None:
        stmt = stmt.where(JointTask.upstream_task_no == upstream_task_no)
    if q is not None:
        stmt = stmt.where(or_(JointTask.title.contains(q, autoescape=True), JointTask.task_no == q))
    if created_from is not None:
        stmt = stmt.where(JointTask.created_at >= datetime.combine(created_from, datetime.min.time(), CHINA_TZ))
    if created_to is not None:
        stmt = stmt.where(JointTask.created_at <= datetime.combine(created_to, datetime.max.time(), CHINA_TZ))
    stmt = stmt.order_by(*order_by(sort, _SORT, "-created_at"), JointTask.id)
    items, total = await paginate(session, stmt, pagination)
    return Page(items=[to_read(t) for t in items], total=total, page=pagination.page, limit=pagination.limit)


@router.get("/tasks/{task_id}", response_model=TaskDetail, responses=_NOT_FOUND)
async def get_task(task_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> TaskDetail:
    """Get a task with its objects and evidence pack, and the actions you may take next."""
    return detail(await task_service.get(session, scope, task_id), scope)


@router.post(
    "/tasks/{task_id}/actions/{action}",
    response_model=TaskDetail,
    responses={
        **_NOT_FOUND,
        **_REFUSED,
        409: {
            "description": "The action is not allowed in the task's state (the state and allowed actions are named)."
        },
    },
)
async def take_action(
    task_id: uuid.UUID,
    action: Action,
    body: ActionRequest,
    session: SessionDep,
    scope: DataScopeDep,
    settings: SettingsDep,
) -> TaskDetail:
    """Take an action on a task (claim, feed_back, decline, dispose, ...); illegal transitions are refused with 409."""
    task = await task_service.act(session, settings, scope, task_id, action, body)
    return detail(task, scope)


@router.get("/tasks/{task_id}/timeline", response_model=Timeline, responses=_NOT_FOUND)
async def get_timeline(
    task_id: uuid.UUID,
    conn: ReadConnectionDep,
    scope: DataScopeDep,
    after: Annotated[int, Query(ge=0, description="Entries after this number (0: from the start).")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000, description="Entries per page (at most 1,000).")] = 100,
) -> Response:
    """Read a task's timeline, oldest first: who did what, when, with comments and attachments."""
    total, items, last = await task_service.timeline(conn, scope, task_id, after=after, limit=limit)
    next_after = last if last is not None and last < total else None
    head = orjson.dumps({"task_id": task_id, "total": total, "next_after": next_after})
    return Response(head[:-1] + b',"items":' + items.encode() + b"}", media_type="application/json")


@router.post("/tasks/{task_id}/comments", status_code=201, responses={**_NOT_FOUND, **_REFUSED})
async def add_comment(
    task_id: uuid.UUID, body: CommentCreate, session: SessionDep, scope: DataScopeDep, settings: SettingsDep
) -> dict[str, int]:
    """Add a comment with attachments to a task's timeline; the other departments of the task are told."""
    seq = await task_service.comment(session, settings, scope, task_id, body.comment, body.attachments)
    return {"seq": seq}


@router.get(
    "/tasks/{task_id}/progress",
    response_model=CampaignProgress,
    tags=["campaigns"],
    responses={**_NOT_FOUND, 409: {"description": "The task is not a campaign."}},
)
async def campaign_progress(task_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> CampaignProgress:
    """How far the tasks a campaign distributed have come: states, progress, overdue."""
    return await task_service.campaign_progress(session, scope, task_id)


@router.get("/machines", response_model=list[MachineInfo])
async def list_machines(scope: DataScopeDep) -> list[MachineInfo]:
    """The state machine of each kind of joint work: states, their national status, transitions and who takes them."""
    return [
        MachineInfo(
            kind=m.kind,
            label=m.label,
            initial_state=m.initial,
            states=m.states,
            terminal_states=sorted(m.terminal),
            transitions=[
                TransitionInfo(
                    action=t.action,
                    from_states=sorted(t.sources),
                    to_state=t.target,
                    taken_by=" or ".join(sorted(s.value for s in t.sides)),
                    requires=[f.value for f in t.requires],
                )
                for t in m.transitions
            ],
        )
        for m in MACHINES.values()
    ]
