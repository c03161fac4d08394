"""The training job: history as of the cut-off, outcomes since, a fitted and validated candidate model."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from credit_svc.audit.service import Actor, audit
from credit_svc.dates import today
from credit_svc.grading.features import FeatureSQL, parse_binary_copy
from credit_svc.learning.models import EstimatorKind, ModelStatus, OutcomeModel
from credit_svc.learning.service import MODEL_FEATURES, OUTCOME_SQL, cut_off, fit, next_version, sample
from credit_svc.settings import CreditSettings
from svc_runtime.db import driver_connection
from svc_runtime.problems import Conflict, NotFound

Report = Callable[..., Awaitable[None]]


async def train_outcome_model(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: CreditSettings,
    *,
    estimator: EstimatorKind,
    horizon_days: int,
    seed: int,
    requested_by: str,
    report: Report | None = None,
) -> dict[str, Any]:
    """Train a candidate on outcomes within `horizon_days` after the cut-off; store it with its figures."""
    t0 = time.perf_counter()
    as_of = today()
    cut = cut_off(as_of, horizon_days)
    if report:
        await report(phase="reading history", progress=0.05)
    async with sessionmaker() as session, session.begin():
        await session.execute(text(f"SET LOCAL work_mem = '{settings.credit_recompute_work_mem}'"))
        conn = await driver_connection(session)
        chunks: list[bytes] = []

        async def sink(chunk: bytes) -> None:
            chunks.append(chunk)

        await conn.copy_from_query(FeatureSQL(MODEL_FEATURES, cut).sql(ids=False), output=sink, format="binary")
        outcomes = (await session.execute(text(OUTCOME_SQL), {"cut": cut, "today": as_of})).scalars().all()
    frame = await asyncio.to_thread(parse_binary_copy, MODEL_FEATURES, b"".join(chunks))
    positive = {o.bytes for o in outcomes if o is not None}
    y = np.fromiter((bytes(v) in positive for v in frame.object_ids), dtype=bool, count=len(frame)).astype(np.int8)
    rows = sample(y, settings.credit_training_max_objects, seed)
    if report:
        await report(phase="fitting", progress=0.4, total=len(frame), processed=len(rows))
    fitted = await asyncio.to_thread(fit, estimator, frame.x[rows], y[rows], seed=seed)
    fitted.metrics.update(
        {
            "objects": len(frame),
            "sampled": len(rows),
            "cut_off": cut.isoformat(),
            "horizon_days": horizon_days,
            "seconds": round(time.perf_counter() - t0, 2),
        }
    )
    async with sessionmaker() as session, session.begin():
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('credit-svc:model-version'))"))
        model = OutcomeModel(
            id=uuid.uuid4(),
            version=await next_version(session),
            estimator=estimator,
            features=list(MODEL_FEATURES),
            horizon_days=horizon_days,
            as_of=cut,
            metrics=fitted.metrics,
            artifact=fitted.artifact,
            status=ModelStatus.CANDIDATE,
            trained_by=requested_by,
        )
        session.add(model)
        await session.flush()
        await audit(
            session,
            Actor.system("training"),
            action="model.trained",
            entity_type="model",
            entity_id=model.id,
            after={"version": model.version, "estimator": estimator.value, "metrics": fitted.metrics},
            note=f"requested by {requested_by}",
        )
    return {"model_id": str(model.id), "version": model.version, "metrics": fitted.metrics}


async def activate_model(session: AsyncSession, actor: Actor, model_id: uuid.UUID) -> OutcomeModel:
    """Serve this model (the previous active one is retired); schemes blend it in with their model_weight."""
    model = await session.scalar(select(OutcomeModel).where(OutcomeModel.id == model_id).with_for_update())
    if model is None:
        raise NotFound(f"model {model_id} does not exist")
    if model.status == ModelStatus.ACTIVE:
        raise Conflict("the model is active already")
    current = await session.scalar(
        select(OutcomeModel).where(OutcomeModel.status == ModelStatus.ACTIVE).with_for_update()
    )
    if current is not None:
        current.status = ModelStatus.RETIRED
        await session.flush()
    model.status = ModelStatus.ACTIVE
    model.activated_at = datetime.now(UTC)
    await session.flush()
    await audit(
        session,
        actor,
        action="model.activated",
        entity_type="model",
        entity_id=model.id,
        before={"active": str(current.id) if current else None},
        after={"active": str(model.id), "version": model.version},
    )
    return model
