"""What every step of a task leaves behind: a timeline entry, notifications and events (all in one transaction)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from joint_svc.engine.machines import Side, machine, national_label
from joint_svc.notifications.models import Notification
from joint_svc.tasks.models import JointTask, TaskEvent
from supervision_schemas.envelope import CloudEvent
from supervision_schemas.joint import (
    JointFeedbackRecord,
    JointTaskKind,
    JointTaskNotified,
    JointTaskNotifiedData,
    JointTaskStatusChanged,
    JointTaskStatusChangedData,
    NationalStatus,
    NotificationReason,
    TaskOrigin,
)
from svc_runtime import outbox
from svc_runtime.scope import DataScope

SOURCE = "/joint-svc"

KIND_LABELS = {kind: machine(kind).label for kind in JointTaskKind}

ACTION_LABELS: dict[str, str] = {
    "create": "发起",
    "claim": "认领",
    "return": "退回",
    "reroute": "改派",
    "start": "开始办理",
    "feed_back": "反馈结果",
    "reject_feedback": "退回反馈",
    "close": "办结",
    "cancel": "撤回",
    "receive": "接收",
    "complete": "办理完毕并反馈",
    "accept": "接受协助",
    "decline": "拒绝协助",
    "submit_result": "反馈协助结果",
    "confirm": "确认办结",
    "launch": "启动并分发任务",
    "begin": "开始实施",
    "report_progress": "报告进展",
    "return_for_rework": "退回重办",
    "summarise": "总结",
    "assign": "分派",
    "dispose": "处置并反馈",
    "warning_closed": "预警已关闭",
    "comment": "留言",
    "reminder": "到期提醒",
    "escalation": "督办",
    "warning_updated": "预警更新",
}


@dataclass(frozen=True)
class Actor:
    """Who takes a step: a caller (with their data scope) or the service itself."""

    subject: str
    department_id: uuid.UUID | None = None
    region_code: str | None = None
    roles: frozenset[str] = frozenset()
    scope: DataScope | None = None
    system: bool = False

    @classmethod
    def of(cls, scope: DataScope) -> Actor:
        p = scope.principal
        dept = uuid.UUID(str(p.department_id)) if p.department_id else None
        return cls(p.subject, dept, p.region_code, p.roles, scope)


SYSTEM = Actor("system:joint-svc", system=True)


@dataclass
class Effects:
    """What an operation leaves besides the task rows: timeline entries, notifications and events.

    Collected while the operation runs and written at its end, in its transaction, with one
    statement per table (COPY for the outbox when there are many), so a batch of a thousand new
    tasks costs a handful of round trips.
    """

    timeline: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    events: list[CloudEvent] = field(default_factory=list)

    async def stage(self, session: AsyncSession) -> None:
        if self.timeline:
            await session.execute(insert(TaskEvent.__table__), self.timeline)
            self.timeline.clear()
        if self.notifications:
            await session.execute(insert(Notification.__table__), self.notifications)
            self.notifications.clear()
        if self.events:
            await outbox.stage_many(session, self.events)
            self.events.clear()


def append_event(
    effects: Effects,
    task: JointTask,
    *,
    action: str,
    actor: Actor,
    at: datetime,
    side: Side | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    comment: str | None = None,
    attachments: list[dict[str, Any]] | None = None,
    data: dict[str, Any] | None = None,
    first: bool = False,
) -> int:
    """Add an entry to the task's timeline (the caller holds the task's row lock); returns its number.

    `first`: the task was just created with `event_count` 1 already (saves an UPDATE per new task).
    """
    if not first:
        task.event_count = (task.event_count or 0) + 1
    entry: dict[str, Any] = {
        "seq": task.event_count,
        "at": at,
        "action": action,
        "from_state": from_state,
        "to_state": to_state,
        "actor": actor.subject,
        "actor_side": side.value if side else None,
        "actor_department_id": actor.department_id,
        "comment": comment,
        "attachments": attachments or [],
        "data": data or {},
    }
    effects.timeline.append({"task_id": task.id, **entry, "rendered": render_entry(entry)})
    return task.event_count


def render_entry(entry: dict[str, Any]) -> str:
    """A timeline entry as the API serves it (JSON object text)."""
    return orjson.dumps(entry, default=str).decode()


def notify(
    effects: Effects,
    task: JointTask,
    department_id: uuid.UUID | None,
    reason: NotificationReason,
    message: str,
    *,
    at: datetime,
    seq: int | None = None,
    escalation_level: int | None = None,
) -> None:
    """Tell a department about a step of a task: a row in its inbox and an event for push channels."""
    if department_id is None:
        return
    notification_id = uuid.uuid4()
    effects.notifications.append(
        {
            "id": notification_id,
            "department_id": department_id,
            "task_id": task.id,
            "task_no": task.task_no,
            "kind": task.kind,
            "reason": reason.value,
            "message": message,
            "event_seq": seq,
            "escalation_level": escalation_level,
            "created_at": at,
        }
    )
    effects.events.append(
        JointTaskNotified.build(
            source=SOURCE,
            subject=str(department_id),
            data=JointTaskNotifiedData(
                notification_id=notification_id,
                task_id=task.id,
                task_no=task.task_no,
                kind=JointTaskKind(task.kind),
                department_id=department_id,
                reason=reason,
                message=message,
                escalation_level=escalation_level,
                created_at=at,
            ),
        )
    )


def status_changed(
    task: JointTask, *, action: str, previous_state: str | None, actor: Actor, at: datetime, parent_no: str | None
) -> JointTaskStatusChanged:
    """The outbound status event with the national status and the process fields (supervisionProcess)."""
    national = NationalStatus(task.national_status) if task.national_status else None
    result = task.result or {}
    records = [JointFeedbackRecord.model_validate(r) for r in result.get("records", [])]
    return JointTaskStatusChanged.build(
        source=SOURCE,
        subject=task.task_no,
        data=JointTaskStatusChangedData(
            task_id=task.id,
            task_no=task.task_no,
            kind=JointTaskKind(task.kind),
            action=action,
            state=task.state,
            previous_state=previous_state,
            national_status=national,
            national_status_label=national_label(national),
            origin=TaskOrigin(task.origin),
            upstream_task_no=task.upstream_task_no,
            upstream_source=task.upstream_source,
            parent_task_no=parent_no,
            initiator_department_id=task.initiator_department_id,
            initiator_department_name=task.initiator_department_name,
            union_department_id=task.assignee_department_id,
            union_department_name=task.assignee_department_name,
            union_region_code=task.region_code,
            supervision_matter_code=task.supervision_item_code,
            actor=actor.subject,
            claim_time=task.claimed_at,
            end_time=task.ended_at,
            end_reason=task.end_reason,
            feedback_time=task.fed_back_at,
            feedback_suggestion=result.get("suggestion"),
            feedback_records=records,
            deadline=task.deadline,
            changed_at=at,
        ),
    )


def step_message(task: JointTask, action: str, actor_name: str | None) -> str:
    who = actor_name or "系统"
    return f"{who}{ACTION_LABELS.get(action, action)}：{KIND_LABELS[JointTaskKind(task.kind)]}任务 {task.task_no}《{task.title}》"
