"""Scoring a batch: every champion model over every object the batch touched, one predict_proba per model."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import TypeAdapter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from risk_svc.features.definitions import FEATURE_NAMES
from risk_svc.features.signals import Signal
from risk_svc.riskmodels.conditions import Condition, evaluate
from risk_svc.riskmodels.models import EstimatorKind, ModelVersion, VersionStatus
from risk_svc.riskmodels.schemas import Bands
from risk_svc.riskmodels.service import ensure_builtin_models
from risk_svc.riskmodels.training import load
from risk_svc.warnings.service import Candidate, OpenWarning, apply_candidates

CONDITION = TypeAdapter(Condition)


@dataclass
class LoadedModel:
    id: uuid.UUID
    key: str
    version: int
    title: str
    domain: str
    department: str
    features: list[str]
    rule: Any
    bands: Bands
    estimator_kind: EstimatorKind
    estimator: Any


class ModelCache:
    """The champion versions, re-read when the set of champions changes (checked at most once a second)."""

    def __init__(self, refresh_interval_s: float = 1.0) -> None:
        self.refresh_interval_s = refresh_interval_s
        self._models: dict[uuid.UUID, LoadedModel] = {}
        self._checked = 0.0

    async def champions(self, session: AsyncSession) -> list[LoadedModel]:
        now = time.monotonic()
        if now - self._checked < self.refresh_interval_s:
            return list(self._models.values())
        ids = set(
            (await session.scalars(select(ModelVersion.id).where(ModelVersion.status == VersionStatus.CHAMPION))).all()
        )
        if not ids and not await session.scalar(select(func.count()).select_from(ModelVersion)):
            await ensure_builtin_models(session)
            ids = set(
                (
                    await session.scalars(select(ModelVersion.id).where(ModelVersion.status == VersionStatus.CHAMPION))
                ).all()
            )
        missing = ids - set(self._models)
        if missing:
            rows = (await session.scalars(select(ModelVersion).where(ModelVersion.id.in_(missing)))).all()
            for r in rows:
                self._models[r.id] = LoadedModel(
                    id=r.id,
                    key=r.model_key,
                    version=r.version,
                    title=r.title,
                    domain=r.domain,
                    department=r.default_department,
                    features=list(r.features),
                    rule=CONDITION.validate_python(r.rule),
                    bands=Bands(**r.bands),
                    estimator_kind=EstimatorKind(r.estimator),
                    estimator=load(r.artifact) if r.artifact else None,
                )
        for stale in set(self._models) - ids:
            del self._models[stale]
        self._checked = now
        return list(self._models.values())

    def invalidate(self) -> None:
        self._checked = 0.0


def score(
    models: Sequence[LoadedModel],
    keys: list[str],
    vectors: dict[str, dict[str, float]],
    objects: dict[str, Any],
) -> list[Candidate]:
    """The (object, model) pairs whose rule holds and whose score reaches a band, scored per model in one call."""
    n = len(keys)
    if n == 0 or not models:
        return []
    matrix = np.array([[vectors[k][f] for f in FEATURE_NAMES] for k in keys], dtype=float).reshape(n, -1)
    columns = {f: matrix[:, i] for i, f in enumerate(FEATURE_NAMES)}
    fields = {
        "region_code": [objects[k].region_code if k in objects else None for k in keys],
        "industry_code": [objects[k].industry_code if k in objects else None for k in keys],
    }
    out: list[Candidate] = []
    for m in models:
        idx = np.flatnonzero(evaluate(m.rule, columns, fields, n))
        if idx.size == 0:
            continue
        if m.estimator is not None:
            x = np.column_stack([columns[f][idx] for f in m.features])
            scores = m.estimator.predict_proba(x)[:, 1]
        else:
            scores = np.ones(idx.size)
        keep = scores >= m.bands.blue
        for i, s in zip(idx[keep], scores[keep], strict=True):
            key = keys[int(i)]
            level = m.bands.level(float(s))
            assert level is not None
            out.append(
                Candidate(
                    key=key,
                    model_key=m.key,
                    model_version=m.version,
                    estimator=m.estimator_kind.value,
                    title=m.title,
                    domain=m.domain,
                    department=m.department,
                    score=round(float(s), 4),
                    level=level,
                    features={f: vectors[key][f] for f in m.features},
                )
            )
    return out


async def score_and_warn(
    session: AsyncSession,
    signals: Sequence[Signal],
    vectors: dict[str, dict[str, float]],
    objects: dict[str, Any],
    models: Sequence[LoadedModel],
    source: str,
    open_warnings: dict[tuple[str, str], OpenWarning] | None = None,
) -> int:
    """Score the batch's objects and raise or update their warnings; return how many warning events were staged."""
    keys = list(vectors)
    candidates = score(models, keys, vectors, objects)
    if not candidates:
        return 0
    return await apply_candidates(session, candidates, signals, objects, source, open_warnings)
