"""API shapes of features and rebuilds."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from risk_svc.features.definitions import Aggregate
from risk_svc.features.models import RebuildStatus


class FeatureDefinition(BaseModel):
    name: str
    window_days: int
    aggregate: Aggregate
    description: str


class ObjectFeatures(BaseModel):
    object_key: str
    source: str
    features: dict[str, float]


class RebuildRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    status: RebuildStatus
    requested_by: str
    started_at: datetime
    finished_at: datetime | None
    records_read: int
    error: str | None
