"""Public shapes: only what the law makes public about legal persons (no classes, no personal data)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel

from credit_svc.records.models import RecordType


class PublicRecord(BaseModel):
    record_type: RecordType
    reason: str
    legal_basis: str | None
    document_number: str | None
    amount: Decimal | None
    decided_on: date
    effective_from: date
    effective_until: date | None
    department_name: str | None
    list_name: str | None = None


class PublicCreditProfile(BaseModel):
    """A legal person's public credit information (信用信息公示)."""

    uscc: str
    name: str
    region_code: str
    records: list[PublicRecord]


class PublicListEntry(BaseModel):
    uscc: str
    name: str
    region_code: str
    record: PublicRecord
