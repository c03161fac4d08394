"""The deadline sweep: reminders before a deadline, escalation (督办) to the supervising level after it.

Every open task with a deadline carries `next_due_at`, the next moment something is due for it. The
sweep claims due tasks with `SELECT ... FOR UPDATE SKIP LOCKED`, so several replicas share the work
without waiting on each other and no task is handled twice; what it does (reminded_at, the escalation
level, the timeline entry, notifications, events) commits in the same transaction as the new
`next_due_at`, so running it again finds nothing left to do: it is idempotent.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from joint_svc.deadlines import clock
from joint_svc.engine.machines import Side, machine
from joint_svc.routing import service as routing
from joint_svc.settings import JointSettings
from joint_svc.tasks.effects import KIND_LABELS, SYSTEM, Effects, append_event, notify
from joint_svc.tasks.models import JointTask
from supervision_schemas.joint import JointTaskKind, NotificationReason
from svc_runtime.db import utc_now
from svc_runtime.workdays import CHINA_TZ

_log = logging.getLogger("joint_svc.sweep")


@dataclass
class SweepResult:
    tasks: int = 0
    reminders: int = 0
    escalations: int = 0


def _label(task: JointTask) -> str:
    return f"{KIND_LABELS[JointTaskKind(task.kind)]}任务 {task.task_no}《{task.title}》"


async def _remind(session: AsyncSession, effects: Effects, task: JointTask, now: datetime) -> None:
    assert task.deadline is not None
    due = task.deadline.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
    seq = append_event(
        effects,
        task,
        action="reminder",
        actor=SYSTEM,
        at=now,
        side=Side.SYSTEM,
        data={"deadline": task.deadline.isoformat()},
    )
    notify(
        effects,
        task,
        task.assignee_department_id,
        NotificationReason.REMINDER,
        f"到期提醒：{_label(task)} 将于 {due} 到期",
        at=now,
        seq=seq,
    )
    task.reminded_at = now


async def _escalate(
    session: AsyncSession, settings: JointSettings, effects: Effects, task: JointTask, level: int, now: datetime
) -> None:
    """One step up: level 1 goes to the receiving department's supervising level, level 2 to the one above, ..."""
    base = (
        task.escalated_to_department_id
        if level > 1 and task.escalated_to_department_id
        else task.assignee_department_id
    )
    if base is None:  # nobody received it: the initiator's supervising level
        base = task.initiator_department_id
    target = await routing.supervisor_of(session, base)
    assert task.deadline is not None
    overdue_days = clock.workdays_overdue(settings, task.deadline, now)
    seq = append_event(
        effects,
        task,
        action="escalation",
        actor=SYSTEM,
        at=now,
        side=Side.SYSTEM,
        data={
            "level": level,
            "deadline": task.deadline.isoformat(),
            "escalated_to_department_id": str(target.department_id) if target else None,
            "escalated_to_department_name": target.name if target else None,
        },
    )
    task.escalation_level = level
    task.escalated_at = now
    if target is not None:
        task.escalated_to_department_id, task.escalated_to_department_name = target.department_id, target.name
    receiver = task.assignee_department_name or "（未分派）"
    message = f"督办（第 {level} 级）：{_label(task)} 已超期 {overdue_days} 个工作日，承办部门：{receiver}"
    for dept in dict.fromkeys(
        d
        for d in (target.department_id if target else None, task.assignee_department_id, task.initiator_department_id)
        if d
    ):
        notify(effects, task, dept, NotificationReason.ESCALATED, message, at=now, seq=seq, escalation_level=level)


async def process(
    session: AsyncSession, settings: JointSettings, task: JointTask, now: datetime, result: SweepResult
) -> None:
    """Do what is due for one (locked) task and set when it is next due."""
    effects = Effects()
    if task.deadline is not None and machine(task.kind).clock_runs(task.state):
        if task.reminded_at is None and clock.reminder_time(settings, task.deadline) <= now < task.deadline:
            await _remind(session, effects, task, now)
            result.reminders += 1
        ladder = settings.joint_escalation_ladder_workdays
        while (
            task.escalation_level < len(ladder)
            and clock.escalation_time(settings, task.deadline, task.escalation_level + 1) <= now
        ):
            await _escalate(session, settings, effects, task, task.escalation_level + 1, now)
            result.escalations += 1
    task.next_due_at = clock.next_due(settings, task, now)
    await effects.stage(session)


async def sweep_once(
    sessionmaker: async_sessionmaker[AsyncSession], settings: JointSettings, *, now: datetime | None = None
) -> SweepResult:
    """Handle every task that is due now, one batch per transaction; returns what was done."""
    result = SweepResult()
    while True:
        at = now or utc_now()
        async with sessionmaker() as session, session.begin():
            tasks = (
                await session.scalars(
                    select(JointTask)
                    .where(JointTask.next_due_at <= at)
                    .order_by(JointTask.next_due_at)
                    .limit(settings.joint_sweep_batch)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for task in tasks:
                await process(session, settings, task, at, result)
            result.tasks += len(tasks)
        if len(tasks) < settings.joint_sweep_batch:
            return result


class DeadlineSweeper:
    """Runs the sweep every `joint_sweep_interval_s` for the life of the process."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], settings: JointSettings) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings

    async def run(self) -> None:
        while True:
            try:
                result = await sweep_once(self.sessionmaker, self.settings)
                if result.tasks:
                    _log.info(
                        "deadline sweep",
                        extra={"tasks": result.tasks, "reminders": result.reminders, "escalations": result.escalations},
                    )
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                _log.warning("deadline sweep failed; retrying", extra={"error": repr(exc)})
            await asyncio.sleep(self.settings.joint_sweep_interval_s)
