"""The signal consumer: features updated per batch, then every champion model scores the touched objects."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from risk_svc.features import service as feature_service
from risk_svc.features.signals import (
    Signal,
    from_behaviour,
    from_complaint,
    from_hotspot,
    from_object,
    from_observation,
)
from risk_svc.scoring.service import ModelCache, score_and_warn
from supervision_schemas.datahub import (
    DATAHUB_BEHAVIOUR_TOPIC,
    DATAHUB_OBJECTS_TOPIC,
    BehaviourRecorded,
    ObjectChanged,
    ObjectCreated,
)
from supervision_schemas.signals import (
    COMPLAINT_SIGNALS_TOPIC,
    THIRDPARTY_OBSERVATIONS_TOPIC,
    ComplaintHotspotChanged,
    ComplaintSignalRecorded,
    HotspotDimension,
    ObservationRecorded,
)
from svc_runtime.consumer import Subscription
from svc_runtime.settings import ServiceSettings

GROUP = "risk.signals"
TOPICS = (THIRDPARTY_OBSERVATIONS_TOPIC, COMPLAINT_SIGNALS_TOPIC, DATAHUB_BEHAVIOUR_TOPIC, DATAHUB_OBJECTS_TOPIC)


class SignalProcessor:
    """Handlers of the signal topics; with `scoring=False` it only maintains features (replay, baseline)."""

    def __init__(
        self,
        settings: ServiceSettings,
        *,
        scoring: bool = True,
        topics: Sequence[str] = TOPICS,
        group: str = GROUP,
    ) -> None:
        self.settings = settings
        self.group = group
        self.scoring = scoring
        self.topics = tuple(topics)
        self.models = ModelCache()
        self.hot = feature_service.HotState(settings)
        self.source = f"/{settings.service_name}"
        self._pending: set[asyncio.Task[None]] = set()

    async def on_observations(self, session: AsyncSession, events: Sequence[ObservationRecorded]) -> None:
        await self.apply(session, [from_observation(e) for e in events])

    async def on_complaints(self, session: AsyncSession, events: Sequence[ComplaintSignalRecorded]) -> None:
        await self.apply(session, [from_complaint(e) for e in events])

    async def on_behaviour(self, session: AsyncSession, events: Sequence[BehaviourRecorded]) -> None:
        await self.apply(session, [s for e in events if (s := from_behaviour(e)) is not None])

    async def on_objects(self, session: AsyncSession, events: Sequence[ObjectCreated | ObjectChanged]) -> None:
        """Object records only refresh profiles (industry, supervising department); they score nothing."""
        await feature_service.upsert_profiles(session, [from_object(e) for e in events])

    async def on_hotspots(self, session: AsyncSession, events: Sequence[ComplaintHotspotChanged]) -> None:
        """Keep the hot spots current and re-score the objects whose hot-spot features changed."""
        await feature_service.upsert_profiles(session, [s for e in events if (s := from_hotspot(e)) is not None])
        keys = await feature_service.record_hotspots(session, events)
        if not self.scoring or not keys:
            return
        state = await feature_service.read_known(session, keys)
        latest = {feature_service.hotspot_key(e.data): e for e in events}
        group_events = [e for e in events if e.data.dimension is not HotspotDimension.OBJECT]
        signals = []
        for key, obj in state.objects.items():
            cause = latest.get(key) or (group_events[-1] if group_events else None)
            if cause is not None:
                at = cause.data.changed_at
                signals.append(Signal(cause.id, key, at, at.date(), obj.name, obj.region_code))
        models = await self.models.active(session)
        await score_and_warn(session, signals, state.vectors, state.objects, models, self.source, state.open_warnings)
        self._cache_after_commit(session, state.vectors)

    async def apply(self, session: AsyncSession, signals: list[Signal]) -> None:
        if not signals:
            return
        if not self.scoring:
            await feature_service.add_signals(session, signals)
            return
        state = await feature_service.add_and_read(session, signals)
        vectors = state.vectors
        models = await self.models.active(session)
        await score_and_warn(session, signals, vectors, state.objects, models, self.source, state.open_warnings)
        self._cache_after_commit(session, vectors)

    def _cache_after_commit(self, session: AsyncSession, vectors: dict[str, dict[str, float]]) -> None:
        """Write the hot feature vectors to Redis only once the batch is committed."""

        def after_commit(_: Any) -> None:
            task = asyncio.get_running_loop().create_task(self.hot.put(vectors))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

        event.listen(session.sync_session, "after_commit", after_commit, once=True)

    def subscription(self) -> Subscription:
        return Subscription(
            group=self.group,
            topics=self.topics,
            handlers={
                "gov.supervision.thirdparty.observation.recorded.v1": self.on_observations,
                "gov.supervision.signals.complaint.recorded.v1": self.on_complaints,
                "gov.supervision.complaint.hotspot.changed.v1": self.on_hotspots,
                "gov.supervision.datahub.behaviour.recorded.v1": self.on_behaviour,
                "gov.supervision.datahub.object.created.v1": self.on_objects,
                "gov.supervision.datahub.object.changed.v1": self.on_objects,
            },
        )
