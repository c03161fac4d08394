"""Reminders before a deadline and escalation (督办) after it, found by a periodic scan.

For each open complaint the current deadline is the acceptance decision (while received) or the
handling deadline (mediation / verification). A reminder goes out `remind_before_workdays` working
days ahead; once late, the escalation level follows the ladder of working days overdue (催办 the day
after, 通报 after 5 by default). Each reminder and each level is recorded once per deadline (the row
remembers which), so scans on several replicas or repeated scans do not repeat them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from complaint_svc.complaints import service, workflow
from complaint_svc.complaints.models import Complaint
from complaint_svc.complaints.service import Context
from supervision_schemas.complaint import ComplaintAction
from svc_runtime import outbox
from svc_runtime.workdays import CHINA_TZ

ACTOR = "system:deadlines"


@dataclass
class ScanResult:
    examined: int = 0
    reminded: int = 0
    escalated: int = 0


def _level(ctx: Context, due: datetime, now: datetime) -> int:
    """Escalation level for a deadline `due` at `now` (0: not late)."""
    if now <= due:
        return 0
    late = ctx.calendar.workdays_between(due.astimezone(CHINA_TZ).date(), now.astimezone(CHINA_TZ).date())
    return sum(1 for step in ctx.settings.escalation_ladder_workdays if late >= step)


async def scan(session: AsyncSession, ctx: Context, now: datetime, batch: int = 500) -> ScanResult:
    """One pass over open complaints near or past their deadline (rows locked, skipped if another scan has them)."""
    horizon = now + timedelta(days=ctx.settings.remind_before_workdays * 3 + 4)  # calendar days >= working days
    rows = (
        await session.scalars(
            select(Complaint)
            .where(
                or_(
                    and_(Complaint.status == "received", Complaint.accept_due <= horizon),
                    and_(Complaint.status.in_(["accepted", "dispatched", "handling"]), Complaint.handle_due <= horizon),
                )
            )
            .order_by(Complaint.received_at)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
    ).all()
    result = ScanResult(examined=len(rows))
    for c in rows:
        current = workflow.current_due(c)
        if current is None:
            continue
        stage, due = current
        key = workflow.due_key(stage, due)
        remind_from = ctx.calendar.add_workdays(due.astimezone(CHINA_TZ).date(), -ctx.settings.remind_before_workdays)
        if c.reminded_for != key and now.astimezone(CHINA_TZ).date() >= remind_from and now <= due:
            c.reminded_for = key
            session.add(
                service.timeline(
                    c, ComplaintAction.REMIND.value, ACTOR, from_status=c.status, stage=stage, due=due.isoformat()
                )
            )
            await outbox.stage(
                session,
                service.status_event(c, ComplaintAction.REMIND, c.status, ACTOR, reason=f"{stage} due", due=due),
            )
            result.reminded += 1
        level = _level(ctx, due, now)
        reached = c.escalation_level if c.escalated_for == key else 0
        if level > reached:
            c.escalated_for, c.escalation_level = key, level
            reason = f"{stage} deadline passed; escalation level {level}"
            session.add(
                service.timeline(
                    c,
                    ComplaintAction.SUPERVISE.value,
                    ACTOR,
                    from_status=c.status,
                    reason=reason,
                    stage=stage,
                    due=due.isoformat(),
                    level=level,
                )
            )
            await outbox.stage(
                session, service.status_event(c, ComplaintAction.SUPERVISE, c.status, ACTOR, reason=reason, due=due)
            )
            result.escalated += 1
    return result
