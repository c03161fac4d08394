"""Keeps the enforcement-personnel library current from auth-svc's inspector events."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from datahub_svc.personnel import service as personnel_service
from supervision_schemas.auth import STAFF_TOPIC, InspectorChanged
from svc_runtime.consumer import Subscription


async def on_inspectors_changed(session: AsyncSession, events: Sequence[InspectorChanged]) -> None:
    """Upsert the officers; an older event never overwrites a newer one."""
    await personnel_service.store(session, [personnel_service.from_event(e) for e in events])


subscription = Subscription(
    group="datahub.staff",
    topics=(STAFF_TOPIC,),
    handlers={"gov.supervision.auth.inspector.changed.v1": on_inspectors_changed},
)
