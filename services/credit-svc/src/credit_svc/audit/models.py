"""The audit trail: one row per change, never updated or deleted (a trigger refuses both)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, BigInteger, DateTime, Identity, Index, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from credit_svc.models import Base


class AuditEntry(Base):
    """Who (subject, client, roles, department) did what (action on an entity), when, and from where (IP, request)."""

    __tablename__ = "credit_audit_log"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(String(200))
    client_id: Mapped[str | None] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list, server_default="{}")
    actor_department_id: Mapped[uuid.UUID | None] = mapped_column()
    actor_region_code: Mapped[str | None] = mapped_column(String(6))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    request_id: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[uuid.UUID | None] = mapped_column()
    region_code: Mapped[str | None] = mapped_column(String(6))
    department_id: Mapped[uuid.UUID | None] = mapped_column()
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_credit_audit_log_entity", "entity_type", "entity_id"),
        Index("ix_credit_audit_log_object_id", "object_id"),
        Index("ix_credit_audit_log_at", "at"),
    )
