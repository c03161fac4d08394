"""Keeps the credit library current from credit-svc's grades and list entries."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from datahub_svc.credit import service as credit_service
from supervision_schemas.credit import CREDIT_GRADES_TOPIC, CREDIT_LISTS_TOPIC, GradeChanged, ListEntryChanged
from svc_runtime.consumer import Subscription


async def on_grades(session: AsyncSession, events: Sequence[GradeChanged]) -> None:
    await credit_service.store(session, [credit_service.from_grade(e) for e in events])


async def on_list_entries(session: AsyncSession, events: Sequence[ListEntryChanged]) -> None:
    await credit_service.store(session, [credit_service.from_list_entry(e) for e in events])


subscription = Subscription(
    group="datahub.credit",
    topics=(CREDIT_GRADES_TOPIC, CREDIT_LISTS_TOPIC),
    handlers={
        "gov.supervision.credit.grade.changed.v1": on_grades,
        "gov.supervision.credit.list.changed.v1": on_list_entries,
    },
)
