"""Risk models: versions, validation figures, promotion, rollback, retraining and precision over time."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from risk_svc.auth import RiskAdmin
from risk_svc.riskmodels import service as model_service
from risk_svc.riskmodels.models import ModelVersion, VersionStatus
from risk_svc.riskmodels.schemas import (
    ModelPrecision,
    ModelSummary,
    ModelVersionCreate,
    ModelVersionRead,
    ShadowSummary,
)
from svc_runtime.auth import CurrentPrincipal
from svc_runtime.db import SessionDep

router = APIRouter(prefix="/models", tags=["models"])
ModelKey = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{2,63}$", description="Model key, e.g. false_medical_ad.")]
_422: dict[int | str, dict[str, Any]] = {
    422: {"description": "The rule, features or held-out validation were refused."}
}


@router.get("", response_model=list[ModelSummary])
async def list_models(session: SessionDep, principal: CurrentPrincipal) -> list[ModelSummary]:
    """List the models with their champion and challengers."""
    await model_service.ensure_builtin_models(session)
    by_key: dict[str, list[ModelVersion]] = {}
    for row in await model_service.all_versions(session):
        by_key.setdefault(row.model_key, []).append(row)
    out = []
    for key, rows in by_key.items():
        champion = next((r for r in rows if r.status == VersionStatus.CHAMPION), None)
        head = champion or rows[-1]
        out.append(
            ModelSummary(
                model_key=key,
                title=head.title,
                domain=head.domain,
                champion=ModelVersionRead.model_validate(champion) if champion else None,
                challengers=[ModelVersionRead.model_validate(r) for r in rows if r.status == VersionStatus.CHALLENGER],
            )
        )
    return out


@router.get("/{model_key}/versions", response_model=list[ModelVersionRead], responses={404: {}})
async def list_versions(model_key: ModelKey, session: SessionDep, principal: CurrentPrincipal) -> list[ModelVersion]:
    """List every version of a model with its validation figures."""
    return await model_service.versions(session, model_key)


@router.post("/{model_key}/versions", response_model=ModelVersionRead, status_code=201, responses=_422)
async def create_version(
    model_key: ModelKey, body: ModelVersionCreate, session: SessionDep, admin: RiskAdmin
) -> ModelVersion:
    """Register a new version (rule, features, bands, estimator); it is trained, validated and becomes a challenger."""
    await model_service.ensure_builtin_models(session)
    return await model_service.create_version(session, model_key, body, actor=admin.subject)


@router.post("/{model_key}/retrain", response_model=ModelVersionRead, status_code=201, responses=_422)
async def retrain(model_key: ModelKey, session: SessionDep, admin: RiskAdmin) -> ModelVersion:
    """Retrain the champion with disposal feedback as labels; the result is a challenger."""
    return await model_service.retrain(session, model_key, actor=admin.subject)


@router.post(
    "/{model_key}/versions/{version}/promote",
    response_model=ModelVersionRead,
    responses={404: {}, 409: {"description": "Not a challenger."}, **_422},
)
async def promote(model_key: ModelKey, version: int, session: SessionDep, admin: RiskAdmin) -> ModelVersion:
    """Promote a challenger to champion; the old champion is retired."""
    return await model_service.promote(session, model_key, version)


@router.get("/{model_key}/versions/{version}/shadow", response_model=ShadowSummary, responses={404: {}})
async def shadow(model_key: ModelKey, version: int, session: SessionDep, principal: CurrentPrincipal) -> ShadowSummary:
    """Compare a challenger's shadow scores (never published) with the champion's warnings and their labels."""
    return await model_service.shadow_summary(session, model_key, version)


@router.post(
    "/{model_key}/rollback",
    response_model=ModelVersionRead,
    responses={409: {"description": "Nothing to roll back to."}},
)
async def rollback(model_key: ModelKey, session: SessionDep, admin: RiskAdmin) -> ModelVersion:
    """Retire the champion and reinstate the previous one."""
    return await model_service.rollback(session, model_key)


@router.get("/{model_key}/precision", response_model=ModelPrecision, responses={404: {}})
async def precision(
    model_key: ModelKey,
    session: SessionDep,
    principal: CurrentPrincipal,
    period: Annotated[Literal["day", "week", "month"], Query(description="Length of each period.")] = "week",
) -> ModelPrecision:
    """Precision over time from disposal feedback, per period and version, and which versions are flagged."""
    return await model_service.precision_over_time(session, model_key, period)
