"""Bulk import jobs: progress counts, per-row errors and the report of what changed since the last import."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    Uuid,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from catalog_svc.models import Base
from svc_runtime.db import IDMixin, utc_now


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ImportKind(StrEnum):
    """What a file holds: a list of items (监管事项清单) or a national-to-local mapping table (映射关系梳理表)."""

    ITEMS = "items"
    MAPPINGS = "mappings"


class ChangeType(StrEnum):
    ADDED = "added"
    CHANGED = "changed"
    REMOVED = "removed"


def _enum(cls: type[StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e])


class ImportJob(IDMixin, Base):
    """A file being imported in the background; the counts move after every chunk."""

    __tablename__ = "import_jobs"

    kind: Mapped[ImportKind] = mapped_column(_enum(ImportKind, "import_kind"))
    source: Mapped[str] = mapped_column(String(20))
    format: Mapped[str] = mapped_column(String(10))
    filename: Mapped[str] = mapped_column(String(300))
    encoding: Mapped[str | None] = mapped_column(String(20))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    list_region: Mapped[str] = mapped_column(String(6))
    remove_missing: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[JobStatus] = mapped_column(_enum(JobStatus, "import_job_status"), default=JobStatus.QUEUED)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_accepted: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[int] = mapped_column(Integer, default=0)
    ignored_columns: Mapped[list[str]] = mapped_column(JSONB, default=list)
    previous_job_id: Mapped[uuid.UUID | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    department_id: Mapped[uuid.UUID | None] = mapped_column()
    region_code: Mapped[str | None] = mapped_column(String(6))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utc_now, server_default=sql_text("now()")
    )
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_import_jobs_list", "kind", "source", "list_region", "created_at"),)


class ImportRowError(Base):
    """One refused row: where (row number as a spreadsheet shows it, field) and why; row 0 is the file."""

    __tablename__ = "import_row_errors"

    # the primary key is the order of the report: a job's errors by row
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True)
    row_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    field: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)


class ImportChange(Base):
    """One line of the change report: an item (or mapping) added, changed (which fields) or removed."""

    __tablename__ = "import_changes"

    # the primary key is the order of the report: a job's changes by kind
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True)
    change: Mapped[ChangeType] = mapped_column(_enum(ChangeType, "import_change_type"), primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    row_number: Mapped[int | None] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(64))
    target_code: Mapped[str | None] = mapped_column(String(64))
    item_id: Mapped[uuid.UUID | None] = mapped_column()
    fields: Mapped[list[str]] = mapped_column(ARRAY(String(60)), default=list)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class ImportAddedBatch(Base):
    """The items one chunk of an item import added, as parallel arrays (rows, codes, item ids).

    A big list adds tens of thousands of items: one row per chunk instead of one report line per item
    keeps the import's writes small; the change report turns each batch into its lines when it is read.
    """

    __tablename__ = "import_added_batches"

    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True)
    batch: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    row_numbers: Mapped[list[int]] = mapped_column(ARRAY(Integer))
    codes: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    item_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid))
