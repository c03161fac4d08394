"""Scoring a batch: every champion model over every object the batch touched, one predict_proba per model."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from pydantic import TypeAdapter
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from risk_svc.features.definitions import FEATURE_NAMES
from risk_svc.features.signals import Signal
from risk_svc.riskmodels.conditions import Condition, evaluate, features_of
from risk_svc.riskmodels.models import EstimatorKind, ModelVersion, VersionStatus
from risk_svc.riskmodels.schemas import Bands, Escalation, raise_level
from risk_svc.riskmodels.service import ensure_builtin_models
from risk_svc.riskmodels.training import load
from risk_svc.warnings.service import Candidate, OpenWarning, apply_candidates
from supervision_schemas.risk import WarningLevel
from svc_runtime.db import utc_now

CONDITION = TypeAdapter(Condition)
ESCALATIONS = TypeAdapter(list[Escalation])


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
    status: VersionStatus = VersionStatus.CHAMPION
    escalations: tuple[Escalation, ...] = ()

    @property
    def evidence_features(self) -> list[str]:
        """The estimator's features, then those its escalations test (shown in a warning's evidence)."""
        extra = sorted(set().union(*(features_of(e.when) for e in self.escalations)) - set(self.features))
        return self.features + extra


class ModelCache:
    """The champion and challenger versions, re-read when that set changes (checked at most once a second)."""

    def __init__(self, refresh_interval_s: float = 1.0) -> None:
        self.refresh_interval_s = refresh_interval_s
        self._models: dict[uuid.UUID, LoadedModel] = {}
        self._checked = 0.0

    async def champions(self, session: AsyncSession) -> list[LoadedModel]:
        """The versions that raise warnings."""
        return [m for m in await self.active(session) if m.status is VersionStatus.CHAMPION]

    async def active(self, session: AsyncSession) -> list[LoadedModel]:
        """Champions and challengers (which are only shadow-scored)."""
        now = time.monotonic()
        if now - self._checked < self.refresh_interval_s:
            return list(self._models.values())
        live = (VersionStatus.CHAMPION, VersionStatus.CHALLENGER)
        current = {
            r.id: VersionStatus(r.status)
            for r in (
                await session.execute(select(ModelVersion.id, ModelVersion.status).where(ModelVersion.status.in_(live)))
            ).all()
        }
        if not current and not await session.scalar(select(func.count()).select_from(ModelVersion)):
            await ensure_builtin_models(session)
            current = {
                r.id: VersionStatus(r.status)
                for r in (
                    await session.execute(
                        select(ModelVersion.id, ModelVersion.status).where(ModelVersion.status.in_(live))
                    )
                ).all()
            }
        missing = set(current) - set(self._models)
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
                    escalations=tuple(ESCALATIONS.validate_python(r.escalations or [])),
                )
        for stale in set(self._models) - set(current):
            del self._models[stale]
        for model_id, status in current.items():
            self._models[model_id].status = status  # a challenger promoted in place
        self._checked = now
        return list(self._models.values())

    def invalidate(self) -> None:
        self._checked = 0.0


@dataclass
class _Batch:
    keys: list[str]
    vectors: dict[str, dict[str, float]]
    columns: dict[str, np.ndarray[Any, Any]]
    fields: dict[str, list[str | None]]

    @classmethod
    def of(cls, keys: list[str], vectors: dict[str, dict[str, float]], objects: dict[str, Any]) -> _Batch:
        n = len(keys)
        matrix = np.array([[vectors[k][f] for f in FEATURE_NAMES] for k in keys], dtype=float).reshape(n, -1)
        return cls(
            keys=keys,
            vectors=vectors,
            columns={f: matrix[:, i] for i, f in enumerate(FEATURE_NAMES)},
            fields={
                "region_code": [objects[k].region_code if k in objects else None for k in keys],
                "industry_code": [objects[k].industry_code if k in objects else None for k in keys],
            },
        )

    def rule(self, m: LoadedModel) -> np.ndarray[Any, Any]:
        return np.asarray(evaluate(m.rule, self.columns, self.fields, len(self.keys)), dtype=bool)

    def escalation(self, m: LoadedModel, idx: np.ndarray[Any, Any]) -> tuple[np.ndarray[Any, Any], list[list[str]]]:
        """For the rows `idx`: how many levels up the model's escalations raise each, and their reasons."""
        steps = np.zeros(idx.size, dtype=int)
        reasons: list[list[str]] = [[] for _ in range(idx.size)]
        for e in m.escalations:
            hit = np.asarray(evaluate(e.when, self.columns, self.fields, len(self.keys)), dtype=bool)[idx]
            for j in np.flatnonzero(hit):
                steps[j] = max(steps[j], e.levels)
                reasons[j].append(e.reason)
        return steps, reasons

    def scores(self, m: LoadedModel, idx: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        if m.estimator is None:
            return np.ones(idx.size)
        x = np.column_stack([self.columns[f][idx] for f in m.features])
        return np.asarray(m.estimator.predict_proba(x)[:, 1], dtype=float)


def score(
    models: Sequence[LoadedModel],
    keys: list[str],
    vectors: dict[str, dict[str, float]],
    objects: dict[str, Any],
) -> list[Candidate]:
    """The (object, model) pairs whose rule holds and whose score reaches a band, scored per model in one call."""
    if not keys or not models:
        return []
    batch = _Batch.of(keys, vectors, objects)
    out: list[Candidate] = []
    for m in models:
        idx = np.flatnonzero(batch.rule(m))
        if idx.size == 0:
            continue
        scores = batch.scores(m, idx)
        keep = scores >= m.bands.blue
        idx, scores = idx[keep], scores[keep]
        steps, reasons = batch.escalation(m, idx)
        shown = m.evidence_features
        for j, (i, s) in enumerate(zip(idx, scores, strict=True)):
            key = keys[int(i)]
            level = m.bands.level(float(s))
            assert level is not None
            if steps[j]:
                level = raise_level(level, int(steps[j]))
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
                    features={f: vectors[key][f] for f in shown},
                    escalated_by=tuple(reasons[j]),
                )
            )
    return out


@dataclass
class Shadow:
    """What a challenger says about an object: its score, and the level it would have raised (None: none)."""

    model: LoadedModel
    key: str
    score: float
    level: WarningLevel | None
    rule_matched: bool
    features: dict[str, float]


def shadow_score(
    challengers: Sequence[LoadedModel],
    keys: list[str],
    vectors: dict[str, dict[str, float]],
    objects: dict[str, Any],
    champion_hits: set[tuple[str, str]],
) -> list[Shadow]:
    """Each challenger's score of the objects its rule selects or its champion warned about (to compare them)."""
    if not keys or not challengers:
        return []
    batch = _Batch.of(keys, vectors, objects)
    out: list[Shadow] = []
    for m in challengers:
        rule = batch.rule(m)
        warned = np.array([(k, m.key) in champion_hits for k in keys], dtype=bool)
        idx = np.flatnonzero(rule | warned)
        if idx.size == 0:
            continue
        scores = batch.scores(m, idx)
        steps, _ = batch.escalation(m, idx)
        shown = m.evidence_features
        for j, (i, s) in enumerate(zip(idx, scores, strict=True)):
            key = keys[int(i)]
            matched = bool(rule[int(i)])
            if not matched:
                s = 0.0 if m.estimator is None else s
            level = m.bands.level(float(s)) if matched else None
            if level is not None and steps[j]:
                level = raise_level(level, int(steps[j]))
            out.append(
                Shadow(
                    model=m,
                    key=key,
                    score=round(float(s), 4),
                    level=level,
                    rule_matched=matched,
                    features={f: vectors[key][f] for f in shown},
                )
            )
    return out


_UPSERT_SHADOW = text(
    """
    INSERT INTO risk_shadow_scores AS t (version_id, object_key, model_key, model_version, score, level, rule_matched,
                                         features, trigger_event_id, first_scored_at, scored_at, times)
    SELECT u.version_id, u.object_key, u.model_key, u.model_version, u.score, u.level, u.rule_matched,
           CAST(u.features AS jsonb), u.trigger_event_id, :now, :now, 1
    FROM unnest(CAST(:version_ids AS uuid[]), CAST(:keys AS text[]), CAST(:model_keys AS text[]),
                CAST(:versions AS int[]), CAST(:scores AS double precision[]), CAST(:levels AS text[]),
                CAST(:matched AS boolean[]), CAST(:features AS text[]), CAST(:triggers AS text[]))
         AS u(version_id, object_key, model_key, model_version, score, level, rule_matched, features, trigger_event_id)
    ON CONFLICT (version_id, object_key) DO UPDATE SET
        score = excluded.score, level = excluded.level, rule_matched = excluded.rule_matched,
        features = excluded.features, trigger_event_id = excluded.trigger_event_id, scored_at = excluded.scored_at,
        times = t.times + 1
    """
)


async def store_shadow(session: AsyncSession, shadows: Sequence[Shadow], signals: Sequence[Signal]) -> None:
    """Keep each challenger's latest score per object (one statement); nothing is published."""
    if not shadows:
        return
    last_event = {s.key: s.event_id for s in signals}
    await session.execute(
        _UPSERT_SHADOW,
        {
            "version_ids": [x.model.id for x in shadows],
            "keys": [x.key for x in shadows],
            "model_keys": [x.model.key for x in shadows],
            "versions": [x.model.version for x in shadows],
            "scores": [x.score for x in shadows],
            "levels": [x.level.value if x.level else None for x in shadows],
            "matched": [x.rule_matched for x in shadows],
            "features": [orjson.dumps(x.features).decode() for x in shadows],
            "triggers": [last_event.get(x.key, "") for x in shadows],
            "now": utc_now(),
        },
    )


async def score_and_warn(
    session: AsyncSession,
    signals: Sequence[Signal],
    vectors: dict[str, dict[str, float]],
    objects: dict[str, Any],
    models: Sequence[LoadedModel],
    source: str,
    open_warnings: dict[tuple[str, str], OpenWarning] | None = None,
) -> int:
    """Score the batch's objects and raise or update their warnings; shadow-score the challengers.

    Return how many warning events were staged (challengers never stage any).
    """
    keys = list(vectors)
    champions = [m for m in models if m.status is VersionStatus.CHAMPION]
    challengers = [m for m in models if m.status is VersionStatus.CHALLENGER]
    candidates = score(champions, keys, vectors, objects)
    staged = 0
    if candidates:
        staged = await apply_candidates(session, candidates, signals, objects, source, open_warnings)
    if challengers:
        hits = {(c.key, c.model_key) for c in candidates}
        await store_shadow(session, shadow_score(challengers, keys, vectors, objects, hits), signals)
    return staged
