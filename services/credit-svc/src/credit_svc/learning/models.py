"""Outcome models: trained scikit-learn estimators with their held-out validation figures."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, DateTime, Index, Integer, LargeBinary, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from credit_svc.models import Base
from svc_runtime.db import utc_now


class EstimatorKind(StrEnum):
    LOGISTIC_REGRESSION = "logistic_regression"
    GRADIENT_BOOSTING = "gradient_boosting"


class ModelStatus(StrEnum):
    CANDIDATE = "candidate"
    ACTIVE = "active"
    RETIRED = "retired"


class OutcomeModel(Base):
    """A model that predicts an adverse outcome (penalty, failed inspection, listing) within a horizon."""

    __tablename__ = "credit_outcome_models"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    estimator: Mapped[EstimatorKind] = mapped_column(String(32))
    features: Mapped[list[str]] = mapped_column(JSONB)
    horizon_days: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[date] = mapped_column(Date)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONB)
    artifact: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[ModelStatus] = mapped_column(String(10))
    trained_by: Mapped[str] = mapped_column(String(200))
    trained_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("uq_credit_outcome_models_active", "status", unique=True, postgresql_where=text("status = 'active'")),
    )
