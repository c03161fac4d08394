"""API shapes of import jobs."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class IngestJobRead(BaseModel):
    """An import job: its status and how many rows were read, accepted (created/updated/unchanged) and refused."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    library: str
    status: str
    filename: str
    file_format: str
    encoding: str | None
    default_kind: str | None
    source: str | None
    file_sha256: str
    size_bytes: int
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    created: int
    updated: int
    unchanged: int
    ignored_columns: list[str]
    error: str | None
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int = Field(description="Times a live process took the job over after an interruption.")
    heartbeat_at: datetime | None


class RowErrorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    row_number: int
    field: str
    reason: str
