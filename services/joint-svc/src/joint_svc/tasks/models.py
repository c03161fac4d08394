"""Joint tasks and their append-only timeline."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, PrimaryKeyConstraint, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from joint_svc.models import Base
from svc_runtime.db import utc_now


class JointTask(Base):
    """One piece of joint work: who sent it to whom, about what, in which state, by when."""

    __tablename__ = "joint_tasks"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    task_no: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    national_status: Mapped[str | None] = mapped_column(String(10))
    origin: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(300))
    content: Mapped[str | None] = mapped_column(Text)
    requirements: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("joint_tasks.id"))
    source_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    upstream_task_no: Mapped[str | None] = mapped_column(String(100))
    upstream_source: Mapped[str | None] = mapped_column(String(100))
    initiator_department_id: Mapped[uuid.UUID | None] = mapped_column()
    initiator_department_name: Mapped[str | None] = mapped_column(String(200))
    initiator_region_code: Mapped[str] = mapped_column(String(6))
    initiator_subject: Mapped[str | None] = mapped_column(String(200))
    assignee_department_id: Mapped[uuid.UUID | None] = mapped_column()
    assignee_department_name: Mapped[str | None] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(6))
    supervision_item_code: Mapped[str | None] = mapped_column(String(14))
    industry_code: Mapped[str | None] = mapped_column(String(8))
    objects: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    end_reason: Mapped[str | None] = mapped_column(Text)
    progress: Mapped[int | None] = mapped_column(Integer)
    deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deadline_workdays: Mapped[int | None] = mapped_column(Integer)
    next_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    escalated_to_department_id: Mapped[uuid.UUID | None] = mapped_column()
    escalated_to_department_name: Mapped[str | None] = mapped_column(String(200))
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    fed_back_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
    modified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_joint_tasks_initiator", "initiator_department_id", "created_at"),
        Index("ix_joint_tasks_assignee", "assignee_department_id", "created_at"),
        Index("ix_joint_tasks_escalated_to", "escalated_to_department_id"),
        Index("ix_joint_tasks_region_code", "region_code", "created_at"),
        Index("ix_joint_tasks_initiator_region_code", "initiator_region_code"),
        Index("ix_joint_tasks_parent_id", "parent_id"),
        Index("ix_joint_tasks_created_at", "created_at"),
        Index("ix_joint_tasks_next_due_at", "next_due_at", postgresql_where=text("next_due_at IS NOT NULL")),
    )


class TaskEvent(Base):
    """One entry of a task's timeline: who did what, when, with comments and attachments. Never changed."""

    __tablename__ = "joint_task_events"

    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("joint_tasks.id"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    actor_side: Mapped[str | None] = mapped_column(String(12))
    actor_department_id: Mapped[uuid.UUID | None] = mapped_column()
    comment: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    # The entry as the timeline serves it, rendered once when written (entries never change), so a read of
    # a thousand entries is one string aggregation instead of a thousand rows decoded and encoded again.
    rendered: Mapped[str] = mapped_column(Text)

    __table_args__ = (PrimaryKeyConstraint("task_id", "seq", name="pk_joint_task_events"),)
