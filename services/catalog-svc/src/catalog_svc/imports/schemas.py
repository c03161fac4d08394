"""API shapes of import jobs and their reports."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from catalog_svc.imports.models import ChangeType, ImportKind, JobStatus


class ImportJobRead(BaseModel):
    """An import job: what it reads, how far it got and what it changed in the catalog."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: ImportKind
    source: str = Field(description="The list: national, provincial or local (items), or mapping.")
    list_region: str = Field(description="Region of the list (100000 for the national list).")
    format: str
    filename: str
    encoding: str | None = Field(description="Detected text encoding (utf-8, utf-8-sig or gb18030).")
    file_sha256: str
    size_bytes: int
    remove_missing: bool = Field(description="Whether items (mappings) no longer in the list are abolished (deleted).")
    status: JobStatus
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    added: int = Field(description="Items (mappings) new since the last import of this list.")
    changed: int = Field(description="Items whose fields changed since the last import.")
    unchanged: int
    removed: int = Field(description="Items (mappings) of the list that the file no longer has.")
    ignored_columns: list[str] = Field(description="Columns of the file that are not imported.")
    previous_job_id: uuid.UUID | None = Field(description="The last completed import of the same list.")
    error: str | None = Field(description="Why the job failed, when it did.")
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class RowErrorRead(BaseModel):
    """A refused row: its number as a spreadsheet shows it (0: the file as a whole), the field and why."""

    model_config = ConfigDict(from_attributes=True)

    row_number: int
    field: str
    reason: str


class ChangeRead(BaseModel):
    """One line of the change report."""

    model_config = ConfigDict(from_attributes=True)

    change: ChangeType
    row_number: int | None
    code: str
    target_code: str | None = Field(description="For mappings: the national or provincial item's code.")
    item_id: uuid.UUID | None
    fields: list[str] = Field(description="For a changed item: the fields that changed.")
    detail: dict[str, Any] | None = Field(description="For a changed item: the fields before and after.")
