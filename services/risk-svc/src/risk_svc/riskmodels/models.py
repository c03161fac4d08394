"""Registered risk model versions: rule, features, estimator artifact, validation figures, status."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from risk_svc.models import Base
from svc_runtime.db import utc_now


class VersionStatus(StrEnum):
    CHALLENGER = "challenger"
    CHAMPION = "champion"
    RETIRED = "retired"
    REJECTED = "rejected"


class EstimatorKind(StrEnum):
    LOGISTIC_REGRESSION = "logistic_regression"
    GRADIENT_BOOSTING = "gradient_boosting"
    NONE = "none"


class ModelVersion(Base):
    """One version of a risk model; at most one champion per model key is active."""

    __tablename__ = "risk_model_versions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    model_key: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    domain: Mapped[str] = mapped_column(String(32))
    default_department: Mapped[str] = mapped_column(String(200))
    features: Mapped[list[str]] = mapped_column(JSONB)
    rule: Mapped[dict[str, Any]] = mapped_column(JSONB)
    bands: Mapped[dict[str, float]] = mapped_column(JSONB)
    escalations: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb"), comment="Conditions that raise a warning's level."
    )
    estimator: Mapped[EstimatorKind] = mapped_column(String(32))
    artifact: Mapped[bytes | None] = mapped_column(LargeBinary)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    training: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    status: Mapped[VersionStatus] = mapped_column(String(16))
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    flag_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
    promoted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("model_key", "version", name="uq_risk_model_versions_key_version"),
        Index(
            "uq_risk_model_versions_champion",
            "model_key",
            unique=True,
            postgresql_where=text("status = 'champion'"),
        ),
    )


class ShadowScore(Base):
    """A challenger's latest score of an object, computed alongside the champion and never published."""

    __tablename__ = "risk_shadow_scores"

    version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("risk_model_versions.id"), primary_key=True)
    object_key: Mapped[str] = mapped_column(String(120), primary_key=True)
    model_key: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Double)
    level: Mapped[str | None] = mapped_column(String(8), comment="The level it would have raised; null: no warning.")
    rule_matched: Mapped[bool] = mapped_column(Boolean)
    features: Mapped[dict[str, float]] = mapped_column(JSONB)
    trigger_event_id: Mapped[str] = mapped_column(String(200))
    first_scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    times: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (Index("ix_risk_shadow_scores_model", "model_key", "object_key"),)
