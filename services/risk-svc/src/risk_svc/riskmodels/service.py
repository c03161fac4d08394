"""The model registry: built-in seeding, new versions (trained and validated), promotion, rollback, retraining."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
from pydantic import TypeAdapter
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from risk_svc.riskmodels.builtin import BUILTIN, DEFAULT_BANDS, HOTSPOT_ESCALATIONS, generate
from risk_svc.riskmodels.conditions import Condition, features_of
from risk_svc.riskmodels.models import EstimatorKind, ModelVersion, VersionStatus
from risk_svc.riskmodels.schemas import (
    Bands,
    Escalation,
    ModelPrecision,
    ModelVersionCreate,
    PrecisionPoint,
    ShadowSummary,
)
from risk_svc.riskmodels.training import train, validation_problems
from risk_svc.warnings.models import Disposal
from supervision_schemas.risk import WarningLevel
from svc_runtime.db import utc_now
from svc_runtime.problems import Conflict, NotFound, Problem

CONDITION = TypeAdapter(Condition)
ESCALATION = TypeAdapter(Escalation)
FEEDBACK_WEIGHT = 5.0  # one disposal outcome counts as much as five generated examples
FLAG_WINDOW = 50  # latest disposals a version's live precision is judged on
FLAG_MIN_FEEDBACK = 10
FLAG_DROP = 0.2  # flagged when live precision falls this far below the validated precision


class ModelNotFound(NotFound):
    title = "Model not found"


class ModelValidationFailed(Problem):
    status = 422
    title = "Model failed validation"


async def ensure_builtin_models(session: AsyncSession, actor: str = "system") -> int:
    """Train and register version 1 of every built-in model that has no version yet; return how many."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('risk_svc.builtin_models'))"))
    have = set((await session.scalars(select(ModelVersion.model_key).distinct())).all())
    created = 0
    for model in BUILTIN.values():
        if model.key in have:
            continue
        x, y = generate(model)
        trained = await asyncio.to_thread(
            train, model.estimator, x, y, seed=model.seed, threshold=DEFAULT_BANDS["blue"]
        )
        session.add(
            ModelVersion(
                model_key=model.key,
                version=1,
                title=model.title,
                domain=model.domain.value,
                default_department=model.department,
                features=model.features,
                rule=model.rule,
                bands=dict(DEFAULT_BANDS),
                escalations=list(HOTSPOT_ESCALATIONS),
                estimator=model.estimator,
                artifact=trained.artifact,
                metrics=trained.metrics,
                training={"generator_seed": model.seed, "generated": len(y), "feedback_labels": 0},
                status=VersionStatus.CHAMPION,
                created_by=actor,
                promoted_at=utc_now(),
            )
        )
        created += 1
    await session.flush()
    return created


async def versions(session: AsyncSession, model_key: str) -> list[ModelVersion]:
    rows = (
        await session.scalars(
            select(ModelVersion).where(ModelVersion.model_key == model_key).order_by(ModelVersion.version)
        )
    ).all()
    if not rows:
        raise ModelNotFound(f"no model {model_key!r}")
    return list(rows)


async def all_versions(session: AsyncSession) -> list[ModelVersion]:
    return list(
        (await session.scalars(select(ModelVersion).order_by(ModelVersion.model_key, ModelVersion.version))).all()
    )


async def get_version(session: AsyncSession, model_key: str, version: int) -> ModelVersion:
    row = await session.scalar(
        select(ModelVersion).where(ModelVersion.model_key == model_key, ModelVersion.version == version)
    )
    if row is None:
        raise ModelNotFound(f"model {model_key!r} has no version {version}")
    return row


def _champion(rows: list[ModelVersion]) -> ModelVersion | None:
    return next((r for r in rows if r.status == VersionStatus.CHAMPION), None)


async def _feedback_samples(
    session: AsyncSession, model_key: str, features: list[str]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    rows = (
        await session.execute(select(Disposal.features, Disposal.label).where(Disposal.model_key == model_key))
    ).all()
    x = np.array([[float(f.get(n, 0.0)) for n in features] for f, _ in rows], dtype=float).reshape(-1, len(features))
    y = np.array([int(label) for _, label in rows], dtype=int)
    return x, y


async def _training_set(
    session: AsyncSession, model_key: str, features: list[str]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any], dict[str, Any], int]:
    """Generated history for the built-in features (0 for others) plus disposal outcomes as labels."""
    builtin = BUILTIN.get(model_key)
    seed = builtin.seed if builtin else 4100
    parts_x, parts_y, parts_w = [], [], []
    info: dict[str, Any] = {"generator_seed": seed, "generated": 0}
    if builtin is not None:
        gx, gy = generate(builtin)
        index = {n: i for i, n in enumerate(builtin.features)}
        cols = [gx[:, index[n]] if n in index else np.zeros(len(gy)) for n in features]
        parts_x.append(np.column_stack(cols))
        parts_y.append(gy)
        parts_w.append(np.ones(len(gy)))
        info["generated"] = len(gy)
    fx, fy = await _feedback_samples(session, model_key, features)
    info["feedback_labels"] = len(fy)
    if len(fy):
        parts_x.append(fx)
        parts_y.append(fy)
        parts_w.append(np.full(len(fy), FEEDBACK_WEIGHT))
    if not parts_y:
        raise ModelValidationFailed(f"no labelled history for {model_key!r}: neither generated data nor feedback")
    return np.vstack(parts_x), np.concatenate(parts_y), np.concatenate(parts_w), info, seed


async def create_version(
    session: AsyncSession, model_key: str, body: ModelVersionCreate, *, actor: str
) -> ModelVersion:
    """Train and validate a new version and register it as a challenger; refuse it when it fails validation."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('risk_svc.model.' || :k))"), {"k": model_key})
    existing = list((await session.scalars(select(ModelVersion).where(ModelVersion.model_key == model_key))).all())
    base = _champion(existing) or (max(existing, key=lambda r: r.version) if existing else None)
    if base is None and (body.title is None or body.domain is None or body.features is None or body.estimator is None):
        raise ModelValidationFailed("a new model needs title, domain, features and estimator")
    features = body.features or (base.features if base else [])
    estimator = EstimatorKind(body.estimator or (base.estimator if base else EstimatorKind.NONE))
    bands = body.bands or (Bands(**base.bands) if base else Bands())
    if body.escalations is not None:
        escalations = [e.model_dump(mode="json", by_alias=True) for e in body.escalations]
    else:
        escalations = list(base.escalations or []) if base else []
    rule_features = features_of(body.rule)
    missing = sorted(rule_features - set(features)) if estimator is not EstimatorKind.NONE else []
    metrics: dict[str, Any] = {}
    training: dict[str, Any] = {"rule_features": sorted(rule_features)}
    artifact = None
    if estimator is not EstimatorKind.NONE:
        x, y, w, info, seed = await _training_set(session, model_key, features)
        training.update(info)
        try:
            trained = await asyncio.to_thread(train, estimator, x, y, seed=seed, threshold=bands.blue, weights=w)
        except ValueError as exc:
            raise ModelValidationFailed(f"training failed: {exc}") from exc
        problems = validation_problems(trained.metrics)
        if problems:
            raise ModelValidationFailed("held-out validation failed: " + "; ".join(problems), metrics=trained.metrics)
        metrics, artifact = trained.metrics, trained.artifact
    if missing:
        training["rule_features_not_in_estimator"] = missing
    version = ModelVersion(
        model_key=model_key,
        version=max((r.version for r in existing), default=0) + 1,
        title=body.title or (base.title if base else model_key),
        domain=(body.domain or (base.domain if base else "market")),
        default_department=body.default_department or (base.default_department if base else "市场监督管理局"),
        features=features,
        rule=CONDITION.dump_python(body.rule, mode="json", by_alias=True),
        bands=bands.model_dump(),
        escalations=escalations,
        estimator=estimator,
        artifact=artifact,
        metrics=metrics,
        training=training,
        status=VersionStatus.CHALLENGER,
        created_by=actor,
    )
    session.add(version)
    await session.flush()
    return version


async def retrain(session: AsyncSession, model_key: str, *, actor: str) -> ModelVersion:
    """A challenger like the champion, retrained with disposal feedback as labels."""
    rows = await versions(session, model_key)
    champion = _champion(rows) or rows[-1]
    if champion.estimator == EstimatorKind.NONE:
        raise Conflict(f"{model_key} v{champion.version} is rule-only; there is nothing to retrain")
    body = ModelVersionCreate(
        rule=CONDITION.validate_python(champion.rule),
        features=champion.features,
        bands=Bands(**champion.bands),
        escalations=[ESCALATION.validate_python(e) for e in champion.escalations or []],
        estimator=champion.estimator,
    )
    return await create_version(session, model_key, body, actor=actor)


async def promote(session: AsyncSession, model_key: str, version: int) -> ModelVersion:
    """Make a challenger the champion; the old champion is retired (kept for rollback)."""
    rows = await versions(session, model_key)
    target = next((r for r in rows if r.version == version), None)
    if target is None:
        raise ModelNotFound(f"model {model_key!r} has no version {version}")
    if target.status == VersionStatus.CHAMPION:
        return target
    if target.status != VersionStatus.CHALLENGER:
        raise Conflict(f"only a challenger can be promoted; v{version} is {target.status}")
    if target.estimator != EstimatorKind.NONE and (problems := validation_problems(target.metrics)):
        raise ModelValidationFailed("; ".join(problems))
    now = utc_now()
    current = _champion(rows)
    if current is not None:
        current.status = VersionStatus.RETIRED
        current.retired_at = now
        await session.flush()
    target.status = VersionStatus.CHAMPION
    target.promoted_at = now
    target.retired_at = None
    await session.flush()
    return target


async def rollback(session: AsyncSession, model_key: str) -> ModelVersion:
    """Retire the champion and reinstate the champion before it."""
    rows = await versions(session, model_key)
    current = _champion(rows)
    if current is None or current.promoted_at is None:
        raise Conflict(f"{model_key} has no champion to roll back")
    earlier = [
        r
        for r in rows
        if r.status == VersionStatus.RETIRED and r.promoted_at is not None and r.promoted_at < current.promoted_at
    ]
    if not earlier:
        raise Conflict(f"{model_key} v{current.version} has no earlier champion to roll back to")
    previous = max(earlier, key=lambda r: r.promoted_at or utc_now())
    now = utc_now()
    current.status = VersionStatus.RETIRED
    current.retired_at = now
    await session.flush()
    previous.status = VersionStatus.CHAMPION
    previous.retired_at = None
    previous.promoted_at = now
    await session.flush()
    return previous


async def check_precision(session: AsyncSession, model_key: str, version: int) -> ModelVersion | None:
    """Flag the version when its live precision over the latest disposals dropped below its validated figure."""
    row = await get_version(session, model_key, version)
    labels = (
        await session.scalars(
            select(Disposal.label)
            .where(Disposal.model_key == model_key, Disposal.model_version == version)
            .order_by(Disposal.recorded_at.desc())
            .limit(FLAG_WINDOW)
        )
    ).all()
    if len(labels) < FLAG_MIN_FEEDBACK:
        return row
    live = sum(1 for label in labels if label) / len(labels)
    expected = float(row.metrics.get("precision", 0.8)) if row.metrics else 0.8
    floor = max(0.0, expected - FLAG_DROP)
    if live < floor:
        row.flagged = True
        row.flag_reason = (
            f"live precision {live:.2f} over the latest {len(labels)} disposals is below {floor:.2f} "
            f"(validated {expected:.2f}); retrain with feedback"
        )
    else:
        row.flagged = False
        row.flag_reason = None
    await session.flush()
    return row


async def precision_over_time(session: AsyncSession, model_key: str, period: str) -> ModelPrecision:
    await versions(session, model_key)
    bucket = func.date_trunc(period, Disposal.recorded_at).label("period_start")
    rows = (
        await session.execute(
            select(
                bucket,
                Disposal.model_version,
                func.count().filter(Disposal.label.is_(True)),
                func.count().filter(Disposal.label.is_(False)),
            )
            .where(Disposal.model_key == model_key)
            .group_by(bucket, Disposal.model_version)
            .order_by(bucket, Disposal.model_version)
        )
    ).all()
    points = [
        PrecisionPoint(
            period_start=start,
            version=v,
            confirmed=int(c),
            false_alarms=int(f),
            precision=round(c / (c + f), 4) if c + f else None,
        )
        for start, v, c, f in rows
    ]
    flagged = (
        await session.scalars(
            select(ModelVersion.version).where(ModelVersion.model_key == model_key, ModelVersion.flagged.is_(True))
        )
    ).all()
    return ModelPrecision(model_key=model_key, period=period, points=points, flagged_versions=list(flagged))


_SHADOW_SUMMARY = text(
    """
    WITH s AS (
        SELECT s.object_key, s.level, s.scored_at,
               EXISTS (SELECT 1 FROM risk_warnings w WHERE w.object_key = s.object_key AND w.model_key = s.model_key
                       AND w.model_version <> s.model_version) AS champion_warned,
               (SELECT bool_or(d.label) FROM risk_disposals d JOIN risk_warnings w ON w.id = d.warning_id
                WHERE w.object_key = s.object_key AND w.model_key = s.model_key
                  AND w.model_version <> s.model_version) AS label
        FROM risk_shadow_scores s WHERE s.version_id = :version_id
    )
    SELECT count(*) AS objects_scored,
           count(*) FILTER (WHERE level IS NOT NULL) AS would_warn,
           count(*) FILTER (WHERE level = 'red') AS red, count(*) FILTER (WHERE level = 'orange') AS orange,
           count(*) FILTER (WHERE level = 'yellow') AS yellow, count(*) FILTER (WHERE level = 'blue') AS blue,
           count(*) FILTER (WHERE level IS NOT NULL AND champion_warned) AS both_warned,
           count(*) FILTER (WHERE level IS NOT NULL AND NOT champion_warned) AS only_challenger,
           count(*) FILTER (WHERE level IS NULL AND champion_warned) AS only_champion,
           count(*) FILTER (WHERE label IS NOT NULL) AS labelled,
           count(*) FILTER (WHERE level IS NOT NULL AND label) AS tp,
           count(*) FILTER (WHERE level IS NOT NULL AND NOT label) AS fp,
           count(*) FILTER (WHERE level IS NULL AND label) AS fn,
           max(scored_at) AS last_scored_at
    FROM s
    """
)


async def shadow_summary(session: AsyncSession, model_key: str, version: int) -> ShadowSummary:
    """Compare a version's shadow scores with what the champion raised and how those warnings were disposed of."""
    row = await get_version(session, model_key, version)
    r = (await session.execute(_SHADOW_SUMMARY, {"version_id": row.id})).one()
    levels = {level: int(getattr(r, level.value)) for level in WarningLevel}
    return ShadowSummary(
        model_key=model_key,
        version=version,
        status=row.status,
        objects_scored=r.objects_scored,
        would_warn=r.would_warn,
        by_level=levels,
        both_warned=r.both_warned,
        only_challenger=r.only_challenger,
        only_champion=r.only_champion,
        labelled=r.labelled,
        true_positives=r.tp,
        false_positives=r.fp,
        false_negatives=r.fn,
        precision=round(r.tp / (r.tp + r.fp), 4) if r.tp + r.fp else None,
        recall=round(r.tp / (r.tp + r.fn), 4) if r.tp + r.fn else None,
        last_scored_at=r.last_scored_at,
    )
