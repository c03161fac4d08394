"""Request and response models of joint tasks."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from joint_svc.engine.machines import Action
from supervision_schemas.identifiers import ItemCode, NormalisedStr, RegionCode
from supervision_schemas.joint import (
    JointFeedbackRecord,
    JointSuperviseObject,
    JointTaskKind,
    NationalStatus,
    TaskOrigin,
)
from supervision_schemas.risk import DisposalOutcome

INDUSTRY = r"^[A-T](\d{2,4})?$"


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AttachmentIn(_Request):
    """Metadata of an attachment already stored in object storage."""

    name: NormalisedStr = Field(min_length=1, max_length=200)
    media_type: str = Field(min_length=3, max_length=100, description="e.g. application/pdf, image/jpeg")
    size_bytes: int = Field(ge=1, description="Size in bytes (at most the configured maximum).")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the content, lowercase hex.")
    uri: str | None = Field(default=None, max_length=2000, description="Where the file is stored.")


class Deadline(_Request):
    """A deadline: a number of working days from now, or a date (end of that day, China time)."""

    deadline_workdays: int | None = Field(default=None, ge=1, le=365, description="Working days from now.")
    deadline: date | None = Field(default=None, description="Last day (must not lie in the past).")

    @model_validator(mode="after")
    def _one(self) -> Self:
        if self.deadline_workdays is not None and self.deadline is not None:
            raise ValueError("give deadline_workdays or deadline, not both")
        return self


class ApprovalType(StrEnum):
    """How the approval was granted."""

    ORDINARY = "ordinary"  # 一般审批
    LICENCE_FIRST = "licence_first"  # 先照后证: business licence first, permit later
    NOTIFICATION_COMMITMENT = "notification_commitment"  # 告知承诺: granted on the applicant's pledge


class ApprovalLinkageCreate(Deadline):
    """An approval pushed to the supervising department (审批联动)."""

    approval_no: NormalisedStr = Field(min_length=1, max_length=100, description="Approval (licence) number.")
    approval_type: ApprovalType
    licence_item_name: NormalisedStr = Field(min_length=1, max_length=300, description="The licence item approved.")
    licence_item_code: str | None = Field(default=None, max_length=50)
    supervision_item_code: ItemCode | None = Field(default=None, description="The 14-digit supervision item.")
    industry_code: str | None = Field(default=None, pattern=INDUSTRY, description="GB/T 4754 industry code.")
    region_code: RegionCode = Field(description="Where the applicant operates.")
    applicant: JointSuperviseObject
    approved_at: AwareDatetime
    commitments: list[NormalisedStr] = Field(
        default_factory=list, max_length=50, description="告知承诺: the conditions the applicant pledged, to verify."
    )
    department_id: uuid.UUID | None = Field(
        default=None, description="The supervising department, if known; else found from the item and industry."
    )
    title: NormalisedStr | None = Field(default=None, max_length=300)
    content: NormalisedStr | None = Field(default=None, max_length=4000)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _commitments(self) -> Self:
        if self.approval_type is ApprovalType.NOTIFICATION_COMMITMENT and not self.commitments:
            raise ValueError("commitments: a notification-commitment (告知承诺) approval lists the pledged conditions")
        return self


class LeadType(StrEnum):
    CASE_LEAD = "case_lead"  # 案件线索: a lead for the receiver to handle
    COPY = "copy"  # 抄送: information to act on within the receiver's duties


class LeadForwardingCreate(Deadline):
    """A case lead or a copy sent to one or more departments (抄告抄送)."""

    recipients: list[uuid.UUID] = Field(min_length=1, max_length=50, description="Receiving departments.")
    lead_type: LeadType
    case_no: str | None = Field(default=None, max_length=100)
    title: NormalisedStr = Field(min_length=1, max_length=300)
    content: NormalisedStr = Field(min_length=1, max_length=4000)
    region_code: RegionCode | None = Field(default=None, description="Where the matter is; the receiver's by default.")
    supervision_item_code: ItemCode | None = None
    industry_code: str | None = Field(default=None, pattern=INDUSTRY)
    objects: list[JointSuperviseObject] = Field(default_factory=list, max_length=100)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        if len(set(self.recipients)) != len(self.recipients):
            raise ValueError("recipients: each department once")
        return self


class AssistanceType(StrEnum):
    INVESTIGATION = "investigation"  # 协查
    CO_HANDLING = "co_handling"  # 协办


class AssistanceCreate(Deadline):
    """A request for assistance from another department (协查协办)."""

    department_id: uuid.UUID = Field(description="The department asked to assist.")
    assistance_type: AssistanceType
    title: NormalisedStr = Field(min_length=1, max_length=300)
    content: NormalisedStr = Field(min_length=1, max_length=4000)
    requirements: NormalisedStr | None = Field(default=None, max_length=4000, description="What is asked for.")
    region_code: RegionCode | None = None
    supervision_item_code: ItemCode | None = None
    industry_code: str | None = Field(default=None, pattern=INDUSTRY)
    objects: list[JointSuperviseObject] = Field(default_factory=list, max_length=100)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)


class CampaignCreate(Deadline):
    """A special rectification campaign (专项整治), created as a draft and launched later."""

    title: NormalisedStr = Field(min_length=1, max_length=300)
    scope: NormalisedStr = Field(min_length=1, max_length=4000, description="整治范围: what the campaign covers.")
    requirements: NormalisedStr | None = Field(default=None, max_length=4000, description="工作要求")
    region_code: RegionCode
    departments: list[uuid.UUID] = Field(min_length=1, max_length=200, description="Participating departments.")
    supervision_item_codes: list[ItemCode] = Field(default_factory=list, max_length=50)
    industry_codes: list[str] = Field(default_factory=list, max_length=50)
    objects: list[JointSuperviseObject] = Field(default_factory=list, max_length=500)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _checks(self) -> Self:
        if len(set(self.departments)) != len(self.departments):
            raise ValueError("departments: each department once")
        if self.deadline_workdays is None and self.deadline is None:
            raise ValueError("a campaign needs a deadline (deadline or deadline_workdays)")
        return self


class ResultIn(_Request):
    """A feedback or result: the text (feedbackSuggestion) and the behaviour records it refers to."""

    suggestion: NormalisedStr = Field(min_length=1, max_length=4000)
    records: list[JointFeedbackRecord] = Field(default_factory=list, max_length=50)


class ActionRequest(_Request):
    """What an action carries; each action needs some of these fields and refuses the ones it does not use."""

    comment: NormalisedStr | None = Field(default=None, max_length=4000)
    reason: NormalisedStr | None = Field(default=None, min_length=1, max_length=2000)
    result: ResultIn | None = None
    progress: int | None = Field(default=None, ge=0, le=100, description="Per cent done.")
    department_id: uuid.UUID | None = None
    outcome: DisposalOutcome | None = None
    measures: NormalisedStr | None = Field(default=None, max_length=2000, description="Disposal measures taken.")
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)


class CommentCreate(_Request):
    """A comment, with attachments, on the timeline."""

    comment: NormalisedStr = Field(min_length=1, max_length=4000)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)


class TaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    task_no: str
    kind: JointTaskKind
    state: str
    national_status: NationalStatus | None
    national_status_label: str | None = None
    origin: TaskOrigin
    title: str
    content: str | None
    requirements: str | None
    parent_id: uuid.UUID | None
    upstream_task_no: str | None
    upstream_source: str | None
    initiator_department_id: uuid.UUID | None
    initiator_department_name: str | None
    initiator_region_code: str
    assignee_department_id: uuid.UUID | None
    assignee_department_name: str | None
    region_code: str
    supervision_item_code: str | None
    industry_code: str | None
    objects: list[JointSuperviseObject]
    details: dict[str, Any]
    attachments: list[dict[str, Any]]
    result: dict[str, Any] | None
    end_reason: str | None
    progress: int | None
    deadline: datetime | None
    deadline_workdays: int | None
    overdue: bool = False
    reminded_at: datetime | None
    escalation_level: int
    escalated_at: datetime | None
    escalated_to_department_id: uuid.UUID | None
    escalated_to_department_name: str | None
    claimed_at: datetime | None
    fed_back_at: datetime | None
    ended_at: datetime | None
    created_at: datetime
    modified_at: datetime | None


class TaskDetail(TaskRead):
    """A task with what the caller may do next."""

    available_actions: list[Action] = Field(default_factory=list)


class TimelineEntry(BaseModel):
    seq: int
    at: datetime
    action: str
    from_state: str | None
    to_state: str | None
    actor: str
    actor_side: str | None
    actor_department_id: uuid.UUID | None
    comment: str | None
    attachments: list[dict[str, Any]]
    data: dict[str, Any]


class Timeline(BaseModel):
    """A page of a task's timeline, oldest first; ask again with `after` = `next_after` for more."""

    task_id: uuid.UUID
    total: int
    items: list[TimelineEntry]
    next_after: int | None


class ChildProgress(BaseModel):
    task_id: uuid.UUID
    task_no: str
    department_id: uuid.UUID | None
    department_name: str | None
    state: str
    national_status: NationalStatus | None
    progress: int | None
    deadline: datetime | None
    overdue: bool


class CampaignProgress(BaseModel):
    """How far the tasks a campaign distributed have come."""

    task_id: uuid.UUID
    state: str
    tasks: int
    by_state: dict[str, int]
    by_national_status: dict[str, int]
    average_progress: float
    overdue: int
    items: list[ChildProgress]


class TransitionInfo(BaseModel):
    action: Action
    from_states: list[str]
    to_state: str
    taken_by: str
    requires: list[str]


class MachineInfo(BaseModel):
    """A kind of joint work: its states, their national status, and its transitions."""

    kind: JointTaskKind
    label: str
    initial_state: str
    states: dict[str, NationalStatus | None]
    terminal_states: list[str]
    transitions: list[TransitionInfo]


class Scope(StrEnum):
    """Which of your tasks to list."""

    ALL = "all"
    INITIATED = "initiated"
    RECEIVED = "received"
    ESCALATED = "escalated"
