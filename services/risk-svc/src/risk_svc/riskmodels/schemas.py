"""API shapes of risk models and their versions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from risk_svc.features.definitions import FEATURES
from risk_svc.riskmodels.conditions import Condition, check_size
from risk_svc.riskmodels.models import EstimatorKind, VersionStatus
from supervision_schemas.risk import RiskDomain, WarningLevel


class Bands(BaseModel):
    """Lowest score of each level; red > orange > yellow > blue."""

    model_config = ConfigDict(extra="forbid")

    red: float = Field(0.9, gt=0, le=1)
    orange: float = Field(0.75, gt=0, le=1)
    yellow: float = Field(0.6, gt=0, le=1)
    blue: float = Field(0.5, gt=0, le=1)

    @model_validator(mode="after")
    def _descending(self) -> Bands:
        if not self.red > self.orange > self.yellow > self.blue:
            raise ValueError("bands must descend strictly: red > orange > yellow > blue")
        return self

    def level(self, score: float) -> WarningLevel | None:
        for level in (WarningLevel.RED, WarningLevel.ORANGE, WarningLevel.YELLOW, WarningLevel.BLUE):
            if score >= getattr(self, level.value):
                return level
        return None


_ORDER = (WarningLevel.BLUE, WarningLevel.YELLOW, WarningLevel.ORANGE, WarningLevel.RED)
MAX_ESCALATIONS = 8


class Escalation(BaseModel):
    """A condition that raises the level of a warning the version raises, e.g. a growing complaint hot spot.

    It raises no warning by itself: the rule and the score decide whether there is one. When several
    hold, the largest step applies; red stays red.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    when: Condition
    levels: int = Field(1, ge=1, le=3, description="How many levels up (blue -> yellow is one).")
    reason: str = Field(min_length=1, max_length=200, description="Shown in the warning's properties.")

    @field_validator("when")
    @classmethod
    def _bounded(cls, when: Any) -> Any:
        check_size(when)
        return when


def raise_level(level: WarningLevel, steps: int) -> WarningLevel:
    return _ORDER[min(_ORDER.index(level) + steps, len(_ORDER) - 1)]


class ModelVersionCreate(BaseModel):
    """A new version: its rule, features, bands and estimator (trained and validated on creation)."""

    model_config = ConfigDict(extra="forbid")

    rule: Condition
    features: list[str] | None = Field(
        default=None, min_length=1, max_length=20, description="Estimator inputs; the champion's when omitted."
    )
    bands: Bands | None = None
    escalations: list[Escalation] | None = Field(
        default=None, max_length=MAX_ESCALATIONS, description="The champion's when omitted; [] for none."
    )
    estimator: EstimatorKind | None = Field(default=None, description="The champion's kind when omitted.")
    title: str | None = Field(default=None, min_length=1, max_length=200)
    domain: RiskDomain | None = None
    default_department: str | None = Field(default=None, min_length=1, max_length=200)

    @field_validator("features")
    @classmethod
    def _known_features(cls, names: list[str] | None) -> list[str] | None:
        if names is None:
            return None
        unknown = [n for n in names if n not in FEATURES]
        if unknown:
            raise ValueError(f"unknown features {unknown}; known: {', '.join(sorted(FEATURES))}")
        if len(set(names)) != len(names):
            raise ValueError("features are listed twice")
        return names

    @field_validator("rule")
    @classmethod
    def _bounded(cls, rule: Any) -> Any:
        check_size(rule)
        return rule


class ModelVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    model_key: str
    version: int
    title: str
    domain: RiskDomain
    default_department: str
    features: list[str]
    rule: dict[str, Any]
    bands: dict[str, float]
    escalations: list[dict[str, Any]]
    estimator: EstimatorKind
    metrics: dict[str, Any]
    training: dict[str, Any]
    status: VersionStatus
    flagged: bool
    flag_reason: str | None
    created_by: str
    created_at: datetime
    promoted_at: datetime | None
    retired_at: datetime | None


class ModelSummary(BaseModel):
    model_key: str
    title: str
    domain: RiskDomain
    champion: ModelVersionRead | None
    challengers: list[ModelVersionRead]


class PrecisionPoint(BaseModel):
    """Disposal outcomes of one period for one model."""

    period_start: datetime
    version: int
    confirmed: int
    false_alarms: int
    precision: float | None


class ModelPrecision(BaseModel):
    model_key: str
    period: str
    points: list[PrecisionPoint]
    flagged_versions: list[int]


class ShadowSummary(BaseModel):
    """How a challenger scored alongside the champion: what it would have raised, against the champion and the labels."""

    model_key: str
    version: int
    status: VersionStatus
    objects_scored: int = Field(description="Objects it scored (its rule selected them or its champion warned).")
    would_warn: int = Field(description="Objects it would have raised a warning about.")
    by_level: dict[WarningLevel, int]
    both_warned: int = Field(description="Objects both it and the champion (another version) warned about.")
    only_challenger: int
    only_champion: int
    labelled: int = Field(description="Scored objects whose champion warning was disposed of (the labels).")
    true_positives: int
    false_positives: int
    false_negatives: int
    precision: float | None = Field(description="On the disposed warnings; null without any it would have raised.")
    recall: float | None
    last_scored_at: datetime | None
