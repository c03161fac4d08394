"""The audit log table: append-only (a trigger refuses UPDATE, DELETE and TRUNCATE) and hash-chained."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, String
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from auth_svc.models import Base


class AuditRecord(Base):
    """One administrative action: who (actor, roles, client), what (action, target, details), when, from where."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_actor_time", "actor", "time"),
        Index("ix_audit_log_target", "target_type", "target_id"),
        Index("ix_audit_log_action_time", "action", "time"),
    )

    # Assigned under the append lock as last seq + 1, so the chain has no gaps.
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    time: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    actor_roles: Mapped[list[str]] = mapped_column(ARRAY(String(100)), nullable=False)
    client_id: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100), nullable=False)
    target_type: Mapped[str] = mapped_column(String(50), nullable=False)
    target_id: Mapped[str | None] = mapped_column(String(200))
    # Data scope of the target (region subtree, department): who may read this record.
    region_code: Mapped[str | None] = mapped_column(String(6), index=True)
    department_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    ip: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(100))
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
