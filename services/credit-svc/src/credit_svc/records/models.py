"""Credit records and the requests that remove (移出) or repair (信用修复) them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Numeric, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from credit_svc.models import Base
from supervision_schemas.credit import CreditListType
from svc_runtime.db import utc_now


class RecordType(StrEnum):
    """Kinds of credit record: penalties and commendations, and entries on the four kinds of list."""

    PENALTY = "penalty"  # 行政处罚
    ABNORMAL_OPERATION = "abnormal_operation"  # 经营异常名录
    SERIOUS_VIOLATION = "serious_violation"  # 严重违法失信名单
    BLACK_LIST = "black_list"  # 部门黑名单
    RED_LIST = "red_list"  # 部门红名单
    COMMENDATION = "commendation"  # 表彰


#: Record types that are list entries, and the list type their events carry.
LIST_TYPES: dict[RecordType, CreditListType] = {
    RecordType.ABNORMAL_OPERATION: CreditListType.ABNORMAL_OPERATION,
    RecordType.SERIOUS_VIOLATION: CreditListType.SERIOUS_VIOLATION,
    RecordType.BLACK_LIST: CreditListType.BLACK,
    RecordType.RED_LIST: CreditListType.RED,
}
RECORD_FOR_LIST = {v: k for k, v in LIST_TYPES.items()}


class RecordStatus(StrEnum):
    ACTIVE = "active"
    REMOVED = "removed"  # 移出
    REPAIRED = "repaired"  # 信用修复
    EXPIRED = "expired"  # validity or publicity period ended


class RequestKind(StrEnum):
    REMOVAL = "removal"  # 移出
    REPAIR = "repair"  # 信用修复


class RequestStatus(StrEnum):
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    REFUSED = "refused"


OPEN_REQUEST_STATUSES = (RequestStatus.SUBMITTED, RequestStatus.UNDER_REVIEW)


class CreditRecord(Base):
    """One credit record about an object: its source, dates and how it ended."""

    __tablename__ = "credit_records"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    object_id: Mapped[uuid.UUID | None] = mapped_column()
    origin_object_id: Mapped[uuid.UUID | None] = mapped_column()
    uscc: Mapped[str | None] = mapped_column(String(18))
    object_name: Mapped[str] = mapped_column(String(300))
    record_type: Mapped[RecordType] = mapped_column(String(24))
    list_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("credit_lists.id"))
    status: Mapped[RecordStatus] = mapped_column(String(12), default=RecordStatus.ACTIVE)
    automatic: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    source: Mapped[str] = mapped_column(String(100))
    source_ref: Mapped[str | None] = mapped_column(String(200), unique=True)
    region_code: Mapped[str] = mapped_column(String(6))
    department_id: Mapped[uuid.UUID | None] = mapped_column()
    department_name: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    document_number: Mapped[str | None] = mapped_column(String(100))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    decided_on: Mapped[date] = mapped_column(Date)
    effective_from: Mapped[date] = mapped_column(Date)
    effective_until: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())

    __table_args__ = (
        Index("ix_credit_records_object_id", "object_id"),
        Index("ix_credit_records_uscc", "uscc", postgresql_where=text("uscc IS NOT NULL")),
        Index("ix_credit_records_type_status", "record_type", "status"),
        Index("ix_credit_records_region_code", "region_code"),
        Index("ix_credit_records_list_id", "list_id", postgresql_where=text("list_id IS NOT NULL")),
        Index(
            "uq_credit_records_active_list_entry",
            "list_id",
            "object_id",
            unique=True,
            postgresql_where=text("list_id IS NOT NULL AND status = 'active'"),
        ),
        Index("ix_credit_records_effective_until", "effective_until", postgresql_where=text("status = 'active'")),
    )


class RecordRequest(Base):
    """An application to remove or repair a record: submitted, reviewed, then approved or refused."""

    __tablename__ = "credit_record_requests"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    record_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("credit_records.id"))
    object_id: Mapped[uuid.UUID] = mapped_column()
    kind: Mapped[RequestKind] = mapped_column(String(10))
    status: Mapped[RequestStatus] = mapped_column(String(14), default=RequestStatus.SUBMITTED)
    region_code: Mapped[str] = mapped_column(String(6))
    department_id: Mapped[uuid.UUID | None] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, server_default="[]")
    applicant: Mapped[str] = mapped_column(String(200))
    applicant_name: Mapped[str | None] = mapped_column(String(200))
    review_opinion: Mapped[str | None] = mapped_column(Text)
    recommendation: Mapped[str | None] = mapped_column(String(10))
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())

    __table_args__ = (
        Index("ix_credit_record_requests_record_id", "record_id"),
        Index("ix_credit_record_requests_status", "status"),
        Index(
            "uq_credit_record_requests_open",
            "record_id",
            unique=True,
            postgresql_where=text("status IN ('submitted', 'under_review')"),
        ),
    )
