"""API shapes of credit records and of removal and repair requests."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from credit_svc.records.models import RecordStatus, RecordType, RequestKind, RequestStatus
from supervision_schemas.identifiers import NormalisedStr


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RecordCreate(Strict):
    """A credit record decided by a department (penalties usually arrive from the data hub instead)."""

    object_id: uuid.UUID
    record_type: RecordType
    reason: NormalisedStr = Field(min_length=2, max_length=4000, description="列入原因 / 违法事实 / 表彰事由.")
    decided_on: date = Field(description="Date of the decision (决定日期).")
    effective_from: date | None = Field(default=None, description="In force from (default: decided_on).")
    effective_until: date | None = Field(default=None, description="Planned end (期满), if any.")
    department_id: uuid.UUID | None = Field(default=None, description="Deciding department (default: yours).")
    department_name: NormalisedStr | None = Field(default=None, max_length=200)
    legal_basis: NormalisedStr | None = Field(default=None, max_length=4000)
    document_number: NormalisedStr | None = Field(default=None, max_length=100, description="决定书文号.")
    amount: Decimal | None = Field(default=None, ge=0, max_digits=16, decimal_places=2, description="Fine in yuan.")
    source: NormalisedStr | None = Field(default=None, max_length=100, description="Where it comes from (system).")
    source_ref: NormalisedStr | None = Field(
        default=None, max_length=200, description="The source's own key; the same key is refused a second time."
    )
    public: bool = Field(default=True, description="Disclosed on the public credit endpoint (legal persons only).")

    @model_validator(mode="after")
    def _dates(self) -> Self:
        start = self.effective_from or self.decided_on
        if self.effective_from is not None and self.effective_from < self.decided_on:
            raise ValueError("effective_from must not be before decided_on")
        if self.effective_until is not None and self.effective_until <= start:
            raise ValueError("effective_until must be after effective_from")
        if self.amount is not None and self.record_type is not RecordType.PENALTY:
            raise ValueError("amount applies to penalties only")
        if self.record_type in (RecordType.RED_LIST, RecordType.BLACK_LIST):
            raise ValueError(
                "red and black list entries are added through their department list: POST /lists/{id}/entries"
            )
        return self


class RecordRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    object_id: uuid.UUID | None
    uscc: str | None
    object_name: str
    record_type: RecordType
    list_id: uuid.UUID | None
    status: RecordStatus
    automatic: bool
    source: str
    source_ref: str | None
    region_code: str
    department_id: uuid.UUID | None
    department_name: str | None
    reason: str
    legal_basis: str | None
    document_number: str | None
    amount: Decimal | None
    decided_on: date
    effective_from: date
    effective_until: date | None
    ended_on: date | None
    end_reason: str | None
    public: bool
    created_by: str
    created_at: datetime
    updated_at: datetime


class Evidence(Strict):
    name: NormalisedStr = Field(min_length=1, max_length=200, description="What it is, e.g. 整改报告.")
    reference: NormalisedStr = Field(min_length=1, max_length=500, description="Where it is (file id or URL).")


class RequestCreate(Strict):
    """An application to remove an entry from a list (移出) or to repair a record (信用修复)."""

    kind: RequestKind
    reason: NormalisedStr = Field(min_length=2, max_length=4000)
    evidence: list[Evidence] = Field(default_factory=list, max_length=20)
    applicant_name: NormalisedStr | None = Field(
        default=None, max_length=200, description="The enterprise or person applying, if not the caller."
    )


class ReviewIn(Strict):
    opinion: NormalisedStr = Field(min_length=2, max_length=4000, description="The reviewer's opinion (审核意见).")
    recommendation: Literal["approve", "refuse"]


class DecisionIn(Strict):
    note: NormalisedStr = Field(min_length=2, max_length=4000, description="Reason of the decision.")


class RequestRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    record_id: uuid.UUID
    object_id: uuid.UUID
    kind: RequestKind
    status: RequestStatus
    region_code: str
    department_id: uuid.UUID | None
    reason: str
    evidence: list[dict[str, Any]]
    applicant: str
    applicant_name: str | None
    review_opinion: str | None
    recommendation: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    decision_note: str | None
    decided_by: str | None
    decided_at: datetime | None
    created_at: datetime
