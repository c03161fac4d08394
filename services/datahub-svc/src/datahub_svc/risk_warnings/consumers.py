"""Keeps risk warnings current from risk-svc's events."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from datahub_svc.risk_warnings import service as warning_service
from supervision_schemas.risk import RISK_WARNINGS_TOPIC, WarningClosed, WarningRaised, WarningUpdated
from svc_runtime.consumer import Subscription


async def on_warnings(session: AsyncSession, events: Sequence[WarningRaised | WarningUpdated]) -> None:
    await warning_service.store_warnings(session, events)


async def on_closed(session: AsyncSession, events: Sequence[WarningClosed]) -> None:
    await warning_service.close_warnings(session, events)


subscription = Subscription(
    group="datahub.risk",
    topics=(RISK_WARNINGS_TOPIC,),
    handlers={
        "gov.supervision.risk.warning.raised.v1": on_warnings,
        "gov.supervision.risk.warning.updated.v1": on_warnings,
        "gov.supervision.risk.warning.closed.v1": on_closed,
    },
)
