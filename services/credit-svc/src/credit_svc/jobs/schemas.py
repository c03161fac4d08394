"""API shapes of jobs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from credit_svc.jobs.models import JobKind, JobStatus


class JobRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: JobKind
    status: JobStatus
    params: dict[str, Any]
    phase: str | None
    progress: float
    total: int | None
    processed: int
    changed: int
    result: dict[str, Any]
    error: str | None
    requested_by: str
    requested_at: datetime
    started_at: datetime | None
    heartbeat_at: datetime | None
    finished_at: datetime | None
