"""Features: their definitions, an object's current values, and rebuilding them by replaying the topics."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from risk_svc.auth import RiskAdmin
from risk_svc.features import service as feature_service
from risk_svc.features.definitions import FEATURES
from risk_svc.features.models import FeatureRebuild, RebuildStatus, RiskObject
from risk_svc.features.schemas import FeatureDefinition, ObjectFeatures, RebuildRead
from risk_svc.scoring.consumers import GROUP, TOPICS, SignalProcessor
from svc_runtime.auth import CurrentPrincipal
from svc_runtime.db import SessionDep
from svc_runtime.problems import Conflict, NotFound
from svc_runtime.scope import DataScopeDep
from svc_runtime.settings import ServiceSettings

router = APIRouter(tags=["features"])
_rebuilds: set[asyncio.Task[None]] = set()
ObjectKey = Annotated[str, Path(min_length=1, max_length=120, description="USCC, or obj:<object id>.")]


@router.get("/features", response_model=list[FeatureDefinition])
async def list_features(principal: CurrentPrincipal) -> list[FeatureDefinition]:
    """List the features rules and models may use."""
    return [FeatureDefinition(**vars(f)) for f in FEATURES.values()]


@router.get("/objects/{object_key}/features", response_model=ObjectFeatures, responses={404: {}})
async def object_features(
    object_key: ObjectKey, request: Request, session: SessionDep, scope: DataScopeDep
) -> ObjectFeatures:
    """Get an object's current feature values (hot cache, else computed from the day buckets)."""
    obj = await session.get(RiskObject, object_key)
    if obj is None or not scope.can_read(region_code=obj.region_code):
        raise NotFound(f"no signals about {object_key}")
    hot = feature_service.HotState(request.state.settings)
    try:
        values, source = await feature_service.get_features(session, hot, object_key)
    finally:
        await hot.close()
    return ObjectFeatures(object_key=object_key, source=source, features=values)


async def _run_rebuild(
    settings: ServiceSettings,
    sessionmaker: async_sessionmaker[AsyncSession],
    rebuild_id: uuid.UUID,
    group: str,
    topics: tuple[str, ...] = TOPICS,
) -> None:
    processor = SignalProcessor(settings, scoring=False, group=group, topics=topics)
    try:
        await feature_service.rebuild(settings, sessionmaker, processor.subscription(), processor.hot, rebuild_id)
    finally:
        await processor.hot.close()


@router.post("/features/rebuild", response_model=RebuildRead, status_code=202, responses={409: {}})
async def rebuild(request: Request, session: SessionDep, admin: RiskAdmin) -> FeatureRebuild:
    """Empty the feature state and replay every signal topic from the beginning (runs in the background)."""
    if await feature_service.running_rebuild(session) is not None:
        raise Conflict("a rebuild is already running")
    row = FeatureRebuild(status=RebuildStatus.RUNNING, requested_by=admin.subject, records_read=0)
    session.add(row)
    await session.flush()
    task = asyncio.get_running_loop().create_task(
        _delayed(request.state.settings, request.state.sessionmaker, row.id, _group(request), _topics(request))
    )
    _rebuilds.add(task)
    task.add_done_callback(_rebuilds.discard)
    return row


def _group(request: Request) -> str:
    return str(getattr(request.app.state, "risk_signal_group", GROUP))


def _topics(request: Request) -> tuple[str, ...]:
    return tuple(getattr(request.app.state, "risk_signal_topics", TOPICS))


async def _delayed(
    settings: ServiceSettings,
    sessionmaker: async_sessionmaker[AsyncSession],
    rebuild_id: uuid.UUID,
    group: str,
    topics: tuple[str, ...],
) -> None:
    for _ in range(100):  # the request's transaction commits the rebuild row first
        async with sessionmaker() as session:
            if await session.get(FeatureRebuild, rebuild_id) is not None:
                break
        await asyncio.sleep(0.05)
    await _run_rebuild(settings, sessionmaker, rebuild_id, group, topics)


@router.get("/features/rebuilds/{rebuild_id}", response_model=RebuildRead, responses={404: {}})
async def get_rebuild(rebuild_id: uuid.UUID, session: SessionDep, admin: RiskAdmin) -> FeatureRebuild:
    """Get the state of a rebuild."""
    row = await session.get(FeatureRebuild, rebuild_id)
    if row is None:
        raise NotFound(f"no rebuild {rebuild_id}")
    return row
