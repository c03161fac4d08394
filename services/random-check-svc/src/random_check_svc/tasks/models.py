"""Tables of visits (one door entry per drawn object), department tasks, and evidence."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, Uuid, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from random_check_svc.models import Base
from svc_runtime.db import utc_now


class TaskStatus(StrEnum):
    ASSIGNED = "assigned"  # drawn, inspectors assigned, result not entered
    UNDERSTAFFED = "understaffed"  # fewer eligible inspectors than required after avoidance
    SUBMITTED = "submitted"  # result entered: the check has ended
    PUBLISHED = "published"  # disclosed to the public (一公开)


OPEN_STATUSES = (TaskStatus.ASSIGNED.value, TaskStatus.UNDERSTAFFED.value)


class RcVisit(Base):
    """One drawn object of one draw: a single visit, even when several departments check it (进一次门)."""

    __tablename__ = "rc_visits"

    id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, comment="Draw prefix + ordinal: a draw's rows are adjacent."
    )
    draw_id: Mapped[uuid.UUID] = mapped_column(comment="The draw (rows written only by it; no per-row FK check).")
    plan_id: Mapped[uuid.UUID] = mapped_column()
    ordinal: Mapped[int] = mapped_column(Integer, comment="Position in the draw's output.")
    object_id: Mapped[uuid.UUID] = mapped_column()
    stratum: Mapped[str] = mapped_column(String(20), comment="Credit class at draw time (+lead).")
    region_code: Mapped[str] = mapped_column(String(6))
    department_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid))
    check_date: Mapped[date] = mapped_column(Date)
    joint: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (
        Index("ix_rc_visits_draw_id_ordinal", "draw_id", "ordinal", unique=True),
        Index("ix_rc_visits_object_id_check_date", "object_id", "check_date"),
        Index("ix_rc_visits_check_date", "check_date"),
    )


class RcTask(Base):
    """One department's part of a visit: its items, its drawn inspectors, its result and its disclosure."""

    __tablename__ = "rc_tasks"

    id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, comment="Draw prefix + ordinal: a draw's rows are adjacent."
    )
    visit_id: Mapped[uuid.UUID] = mapped_column(index=True, comment="The visit (written with it by the draw).")
    draw_id: Mapped[uuid.UUID] = mapped_column(index=True)
    plan_id: Mapped[uuid.UUID] = mapped_column()
    department_id: Mapped[uuid.UUID] = mapped_column()
    object_id: Mapped[uuid.UUID] = mapped_column()
    region_code: Mapped[str] = mapped_column(String(6))
    item_codes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    inspector_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid))
    status: Mapped[TaskStatus] = mapped_column(String(14))
    check_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    category: Mapped[str | None] = mapped_column(String(24))
    problem_found: Mapped[bool | None] = mapped_column(Boolean)
    summary: Mapped[str | None] = mapped_column(Text, comment="Public summary.")
    findings: Mapped[str | None] = mapped_column(Text, comment="Internal notes, never disclosed.")
    forms: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    inspection_list_codes: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    checked_on: Mapped[date | None] = mapped_column(Date)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_by: Mapped[str | None] = mapped_column(String(200))
    disclosure_due: Mapped[date | None] = mapped_column(Date)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index("ix_rc_tasks_department_id_status", "department_id", "status"),)


class RcEvidence(Base):
    """An evidence attachment of a task (photo, video, PDF), stored with its SHA-256."""

    __tablename__ = "rc_evidence"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rc_tasks.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(String(500))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
