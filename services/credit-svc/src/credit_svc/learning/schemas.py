"""API shapes of outcome models."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from credit_svc.learning.models import EstimatorKind, ModelStatus


class TrainIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    estimator: EstimatorKind = EstimatorKind.GRADIENT_BOOSTING
    horizon_days: int = Field(
        default=365, ge=30, le=1825, description="Outcomes counted within this many days after the cut-off."
    )
    seed: int = Field(default=7, ge=0, le=2**31 - 1, description="Seed of the split and the estimator.")


class ModelRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    version: int
    estimator: EstimatorKind
    features: list[str]
    horizon_days: int
    as_of: date = Field(description="The cut-off: features as of this date, outcomes after it.")
    metrics: dict[str, Any] = Field(description="Held-out validation: precision, recall, roc_auc and more.")
    status: ModelStatus
    trained_by: str
    trained_at: datetime
    activated_at: datetime | None
