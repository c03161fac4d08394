"""Events of credit-svc: credit grades (信用风险分类) and credit lists (红黑名单, 经营异常名录, 严重违法失信名单)."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from supervision_schemas.envelope import CloudEvent, EventData

CREDIT_GRADES_TOPIC = "supervision.credit.grades"
CREDIT_LISTS_TOPIC = "supervision.credit.lists"


class CreditListType(StrEnum):
    RED = "red"  # 红名单 / commendations
    BLACK = "black"  # 黑名单 (dishonesty, joint punishment)
    ABNORMAL_OPERATION = "abnormal_operation"  # 经营异常名录
    SERIOUS_VIOLATION = "serious_violation"  # 严重违法失信名单


class ListAction(StrEnum):
    ADDED = "added"
    REMOVED = "removed"  # 移出
    REPAIRED = "repaired"  # 信用修复


class GradeFactor(EventData):
    """One indicator's contribution to a score (explains what moved the grade)."""

    indicator: str
    contribution: float
    detail: str | None = None


class GradeChangedData(EventData):
    """A supervised object's credit score or risk class changed (classes A low .. D high; E where configured)."""

    object_id: uuid.UUID
    uscc: str | None = None
    name: str
    region_code: str = Field(pattern=r"^\d{6}$")
    department_id: uuid.UUID | None = None
    industry_code: str | None = None
    previous_class: str | None = Field(default=None, max_length=2)
    risk_class: str = Field(max_length=2, description="Class label of the active scheme, e.g. A, B, C, D.")
    score: float
    scheme_id: str
    scheme_version: int = Field(ge=1)
    factors: list[GradeFactor] = Field(default_factory=list)
    graded_at: AwareDatetime
    previous_score: float | None = None
    moved_by: list[GradeFactor] = Field(
        default_factory=list,
        description="Change of each indicator's contribution since the previous grade (same scheme version only).",
    )
    trigger: str | None = Field(
        default=None, description="What regraded the object: event, recompute, record, list, override or manual."
    )
    trigger_event_id: str | None = Field(default=None, description="The consumed event that caused the regrade.")


class GradeChanged(CloudEvent):
    """`gov.supervision.credit.grade.changed.v1` (key: object id)"""

    topic: ClassVar[str] = CREDIT_GRADES_TOPIC
    type: Literal["gov.supervision.credit.grade.changed.v1"] = "gov.supervision.credit.grade.changed.v1"
    data: GradeChangedData


class ListEntryChangedData(EventData):
    """An object was added to, removed from or repaired on a credit list."""

    entry_id: uuid.UUID
    list_type: CreditListType
    action: ListAction
    object_id: uuid.UUID
    uscc: str | None = None
    name: str
    region_code: str = Field(pattern=r"^\d{6}$")
    department_id: uuid.UUID | None = Field(default=None, description="The deciding department.")
    reason: str
    effective_from: date
    effective_until: date | None = None
    changed_at: AwareDatetime
    list_id: uuid.UUID | None = Field(default=None, description="The department's red or black list, if any.")
    list_name: str | None = None
    department_name: str | None = None
    automatic: bool = Field(default=False, description="Added or removed by a list rule, not by a decision.")


class ListEntryChanged(CloudEvent):
    """`gov.supervision.credit.list.changed.v1` (key: object id)"""

    topic: ClassVar[str] = CREDIT_LISTS_TOPIC
    type: Literal["gov.supervision.credit.list.changed.v1"] = "gov.supervision.credit.list.changed.v1"
    data: ListEntryChangedData
