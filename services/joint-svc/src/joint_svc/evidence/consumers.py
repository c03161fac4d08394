"""Keeps each object's evidence pack from credit-svc, complaint signals and risk-svc events."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from joint_svc.evidence import service as evidence
from supervision_schemas.credit import (
    CREDIT_GRADES_TOPIC,
    CREDIT_LISTS_TOPIC,
    CreditListType,
    GradeChanged,
    ListAction,
    ListEntryChanged,
)
from supervision_schemas.joint import JointComplaintRecord, JointCreditAssess, JointListRecord
from supervision_schemas.risk import RISK_WARNINGS_TOPIC, WarningClosed, WarningRaised, WarningUpdated
from supervision_schemas.signals import COMPLAINT_SIGNALS_TOPIC, ComplaintSignalRecorded
from svc_runtime.consumer import Subscription

LIST_FIELD = {
    CreditListType.ABNORMAL_OPERATION: "operating_abnormal",
    CreditListType.SERIOUS_VIOLATION: "serious_illegal",
}


async def on_grades(session: AsyncSession, events: Sequence[GradeChanged]) -> None:
    changes = []
    for e in sorted(events, key=lambda e: e.data.graded_at):
        d = e.data
        value = JointCreditAssess(
            risk_class=d.risk_class, score=d.score, scheme_id=d.scheme_id, graded_at=d.graded_at
        ).model_dump(mode="json")
        changes.append(
            (evidence.object_key(d.uscc, str(d.object_id)), d.uscc, str(d.object_id), evidence.set_credit(value))
        )
    await evidence.update(session, changes)


async def on_lists(session: AsyncSession, events: Sequence[ListEntryChanged]) -> None:
    changes = []
    for e in events:
        d = e.data
        field = LIST_FIELD.get(d.list_type)
        if field is None:
            continue
        key = evidence.object_key(d.uscc, str(d.object_id))
        if d.action is ListAction.ADDED:
            record = JointListRecord(
                entry_id=str(d.entry_id),
                reason=d.reason,
                decided_by=str(d.department_id) if d.department_id else None,
                effective_from=d.effective_from,
                effective_until=d.effective_until,
            ).model_dump(mode="json")
            changes.append((key, d.uscc, str(d.object_id), evidence.upsert_entry(field, record)))
        else:
            changes.append((key, d.uscc, str(d.object_id), evidence.remove_entry(field, str(d.entry_id))))
    await evidence.update(session, changes)


async def on_complaints(session: AsyncSession, events: Sequence[ComplaintSignalRecorded]) -> None:
    changes = []
    for e in events:
        d = e.data
        record = JointComplaintRecord(
            complaint_id=str(d.complaint_id),
            channel=d.channel,
            category=d.category.value,
            summary=d.summary,
            received_at=d.received_at,
        ).model_dump(mode="json")
        field = "tip_info" if d.is_report else "complaint_info"
        changes.append((d.object.key, d.object.uscc, d.object.object_id, evidence.upsert_entry(field, record)))
    await evidence.update(session, changes)


async def on_warnings(session: AsyncSession, events: Sequence[WarningRaised | WarningUpdated]) -> None:
    changes = [
        (
            e.data.object.key,
            e.data.object.uscc,
            e.data.object.object_id,
            evidence.upsert_entry("risk_warning", evidence.warning_record(e.data).model_dump(mode="json")),
        )
        for e in events
    ]
    await evidence.update(session, changes)


async def on_warnings_closed(session: AsyncSession, events: Sequence[WarningClosed]) -> None:
    changes = [
        (e.data.object_key, None, None, evidence.remove_entry("risk_warning", str(e.data.warning_id))) for e in events
    ]
    await evidence.update(session, changes)


def subscription(group: str = "joint.evidence") -> Subscription:
    return Subscription(
        group=group,
        topics=(CREDIT_GRADES_TOPIC, CREDIT_LISTS_TOPIC, COMPLAINT_SIGNALS_TOPIC, RISK_WARNINGS_TOPIC),
        handlers={
            "gov.supervision.credit.grade.changed.v1": on_grades,
            "gov.supervision.credit.list.changed.v1": on_lists,
            "gov.supervision.signals.complaint.recorded.v1": on_complaints,
            "gov.supervision.risk.warning.raised.v1": on_warnings,
            "gov.supervision.risk.warning.updated.v1": on_warnings,
            "gov.supervision.risk.warning.closed.v1": on_warnings_closed,
        },
    )
