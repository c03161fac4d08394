"""Deadlines in working days: when a task is due, when to remind, when each escalation level is reached."""

from __future__ import annotations

from datetime import date, datetime, time
from functools import lru_cache

from joint_svc.engine.machines import machine
from joint_svc.settings import JointSettings
from joint_svc.tasks.models import JointTask
from svc_runtime.problems import Problem
from svc_runtime.workdays import CHINA_TZ, WorkdayCalendar


class DeadlineInPast(Problem):
    status = 422
    title = "Deadline in the past"


@lru_cache(maxsize=8)
def _calendar(source: str | None) -> WorkdayCalendar:
    return WorkdayCalendar.from_json(source) if source else WorkdayCalendar()


def calendar(settings: JointSettings) -> WorkdayCalendar:
    return _calendar(settings.workday_calendar)


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=CHINA_TZ)


def deadline_for(
    settings: JointSettings, now: datetime, *, workdays: int | None, day: date | None, default_workdays: int | None
) -> tuple[datetime | None, int | None]:
    """The deadline of a new task: the end of a given day, or of the n-th working day from now."""
    if day is not None:
        if day < now.astimezone(CHINA_TZ).date():
            raise DeadlineInPast(
                f"deadline: {day.isoformat()} lies in the past",
                errors=[{"loc": ["body", "deadline"], "msg": "lies in the past", "type": "value_error"}],
            )
        return end_of_day(day), calendar(settings).workdays_between(now.astimezone(CHINA_TZ).date(), day)
    days = workdays if workdays is not None else default_workdays
    if days is None:
        return None, None
    return calendar(settings).deadline(now, days), days


def reminder_time(settings: JointSettings, deadline: datetime) -> datetime:
    """The start of the working day `joint_reminder_workdays` before the deadline's day."""
    day = calendar(settings).add_workdays(deadline.astimezone(CHINA_TZ).date(), -settings.joint_reminder_workdays)
    return datetime.combine(day, time(0, 0), tzinfo=CHINA_TZ)


def escalation_time(settings: JointSettings, deadline: datetime, level: int) -> datetime:
    """When escalation level `level` (from 1) is reached: overdue by the ladder's working days."""
    days = settings.joint_escalation_ladder_workdays[level - 1]
    return deadline if days == 0 else calendar(settings).deadline(deadline, days)


def next_due(settings: JointSettings, task: JointTask, now: datetime) -> datetime | None:
    """The next moment the sweep has something to do for this task (None: nothing more)."""
    if task.deadline is None or not machine(task.kind).clock_runs(task.state):
        return None
    candidates: list[datetime] = []
    if task.reminded_at is None and now < task.deadline:
        remind = reminder_time(settings, task.deadline)
        if remind < task.deadline:
            candidates.append(remind)
    if task.escalation_level < len(settings.joint_escalation_ladder_workdays):
        candidates.append(escalation_time(settings, task.deadline, task.escalation_level + 1))
    return min(candidates) if candidates else None


def overdue(task: JointTask, now: datetime) -> bool:
    return task.deadline is not None and task.deadline < now and machine(task.kind).clock_runs(task.state)


def workdays_overdue(settings: JointSettings, deadline: datetime, now: datetime) -> int:
    """Working days since the deadline's day (0 on that day)."""
    return calendar(settings).workdays_between(deadline.astimezone(CHINA_TZ).date(), now.astimezone(CHINA_TZ).date())
