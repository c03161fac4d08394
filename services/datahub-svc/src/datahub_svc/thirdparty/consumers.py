"""Keeps third-party data current from the observation signals."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from datahub_svc.thirdparty import service as thirdparty_service
from supervision_schemas.signals import THIRDPARTY_OBSERVATIONS_TOPIC, ObservationRecorded
from svc_runtime.consumer import Subscription


async def on_observations(session: AsyncSession, events: Sequence[ObservationRecorded]) -> None:
    await thirdparty_service.store(session, [thirdparty_service.from_event(e) for e in events])


subscription = Subscription(
    group="datahub.thirdparty",
    topics=(THIRDPARTY_OBSERVATIONS_TOPIC,),
    handlers={"gov.supervision.thirdparty.observation.recorded.v1": on_observations},
)
