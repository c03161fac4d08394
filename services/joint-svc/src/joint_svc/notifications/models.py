"""Notifications kept per recipient department."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from joint_svc.models import Base
from svc_runtime.db import utc_now


class Notification(Base):
    """A department was told about a step of a task (a claim, a feedback, a reminder, an escalation)."""

    __tablename__ = "joint_notifications"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    department_id: Mapped[uuid.UUID] = mapped_column()
    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("joint_tasks.id"))
    task_no: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text)
    event_seq: Mapped[int | None] = mapped_column(Integer)
    escalation_level: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    read_by: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        Index("ix_joint_notifications_department", "department_id", "created_at"),
        Index("ix_joint_notifications_unread", "department_id", postgresql_where=text("read_at IS NULL")),
        Index("ix_joint_notifications_task_id", "task_id"),
    )
