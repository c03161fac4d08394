"""The evidence pack per supervised object, kept from credit, complaint and risk events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from joint_svc.models import Base


class ObjectEvidence(Base):
    """basisData of one object: credit class, list entries, complaints, reports and open warnings."""

    __tablename__ = "joint_object_evidence"

    object_key: Mapped[str] = mapped_column(String(120), primary_key=True)
    uscc: Mapped[str | None] = mapped_column(String(18))
    object_id: Mapped[str | None] = mapped_column(String(100))
    credit_assess: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    operating_abnormal: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    serious_illegal: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    complaint_info: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    tip_info: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    risk_warning: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_joint_object_evidence_object_id", "object_id"),)
