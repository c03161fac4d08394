"""API shapes of search and the object profile."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from datahub_svc.behaviour.schemas import BehaviourRead
from datahub_svc.complaints.schemas import ComplaintRead
from datahub_svc.credit.schemas import CreditRecordRead
from datahub_svc.knowledge.schemas import KnowledgeSummary
from datahub_svc.objects.schemas import MergeAuditRead, ObjectRead
from datahub_svc.thirdparty.schemas import ThirdPartyRead


class SearchHit(BaseModel):
    library: str
    id: uuid.UUID
    title: str
    code: str | None
    kind: str
    region_code: str
    rank: float


class SearchOut(BaseModel):
    """Hits best first; facets count the first `facet_window` matches of each library."""

    query: str
    total: int
    total_is_exact: bool
    facet_window: int
    hits: list[SearchHit]
    facets: dict[str, dict[str, int]]


class PenaltySummary(BaseModel):
    count: int
    total_fines: Decimal


class ComplaintSummary(BaseModel):
    count: int
    open: int
    reports: int


class WarningRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    level: str
    score: float
    domain: str
    rule_id: str
    responsible_department: str | None
    status: str
    outcome: str | None
    raised_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class CreditProfile(BaseModel):
    """The object's credit: current grades (credit-svc's and other agencies') and list entries."""

    grades: list[CreditRecordRead]
    list_entries: list[CreditRecordRead]
    on_lists: list[str] = Field(description="Lists the object is on now (last action `added`, still effective).")


class ObjectProfile(BaseModel):
    """Everything the libraries know about one object, gathered in one call.

    Records of objects merged into this one are included; behaviour, complaints, credit, third-party
    data and warnings that name the object's credit code but were never linked are included too.
    Lists hold the newest records (behaviour 200, complaints 100, third-party 50, warnings 50).
    """

    object: ObjectRead
    inspections: list[BehaviourRead]
    penalties: list[BehaviourRead]
    enforcement_measures: list[BehaviourRead]
    other_acts: list[BehaviourRead]
    penalty_summary: PenaltySummary
    complaints: list[ComplaintRead]
    complaint_summary: ComplaintSummary
    credit: CreditProfile
    warnings: list[WarningRead]
    thirdparty: list[ThirdPartyRead]
    knowledge: list[KnowledgeSummary] = Field(
        description="Laws, rules and cases citing the items it was supervised under."
    )
    related_objects: list[ObjectRead]
    merge_history: list[MergeAuditRead]
    libraries_without_data: list[str]
