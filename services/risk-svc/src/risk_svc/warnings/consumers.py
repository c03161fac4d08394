"""The disposal-feedback consumer: joint-svc's disposal outcomes close warnings and become labels."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from risk_svc.riskmodels import service as model_service
from risk_svc.warnings import service as warning_service
from supervision_schemas.risk import RISK_DISPOSALS_TOPIC, DisposalFeedbackRecorded
from svc_runtime.consumer import Subscription

GROUP = "risk.disposals"


class FeedbackProcessor:
    """Applies `DisposalFeedbackRecorded` events to the warnings they name, then re-checks model precision."""

    def __init__(self, *, group: str = GROUP, topic: str = RISK_DISPOSALS_TOPIC) -> None:
        self.group = group
        self.topic = topic

    async def on_feedback(self, session: AsyncSession, events: Sequence[DisposalFeedbackRecorded]) -> None:
        versions: set[tuple[str, int]] = set()
        for event in events:
            disposal = await warning_service.apply_feedback_event(session, event)
            if disposal is not None:
                versions.add((disposal.model_key, disposal.model_version))
        for model_key, version in sorted(versions):
            await model_service.check_precision(session, model_key, version)

    def subscription(self) -> Subscription:
        return Subscription(
            group=self.group,
            topics=(self.topic,),
            handlers={"gov.supervision.risk.disposal.recorded.v1": self.on_feedback},
        )
