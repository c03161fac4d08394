"""Keeps the complaints library current from complaint-svc's events and complaint signals."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from datahub_svc.complaints import service as complaint_service
from supervision_schemas.complaint import COMPLAINTS_TOPIC, ComplaintReceived, ComplaintStatusChanged
from supervision_schemas.signals import COMPLAINT_SIGNALS_TOPIC, ComplaintSignalRecorded
from svc_runtime.consumer import Subscription


async def on_received(session: AsyncSession, events: Sequence[ComplaintReceived]) -> None:
    await complaint_service.store(session, [complaint_service.from_received(e) for e in events])


async def on_status_changed(session: AsyncSession, events: Sequence[ComplaintStatusChanged]) -> None:
    await complaint_service.store(session, [complaint_service.from_status(e) for e in events])


async def on_signals(session: AsyncSession, events: Sequence[ComplaintSignalRecorded]) -> None:
    await complaint_service.store(session, [complaint_service.from_signal(e) for e in events])


subscription = Subscription(
    group="datahub.complaints",
    topics=(COMPLAINTS_TOPIC, COMPLAINT_SIGNALS_TOPIC),
    handlers={
        "gov.supervision.complaint.received.v1": on_received,
        "gov.supervision.complaint.status.changed.v1": on_status_changed,
        "gov.supervision.signals.complaint.recorded.v1": on_signals,
    },
)
