"""Events of joint-svc: joint supervision tasks (联合监管) and their exchange across levels.

The national joint-task message (`superviseData`) carries a task (`taskInfo`), its objects with the
evidence pack (`basisData`: credit, abnormal and serious-violation lists, complaints, reports, risk
warnings) and the process (`supervisionProcess`: claim, end, feedback). These contracts carry the
same content as JSON:

- `JointTaskDispatched` comes in from the cross-level bridge: a task the national or provincial
  system dispatched (分发) to a local department (key: the upstream task number).
- `JointTaskStatusChanged` goes out at every state change of every task, with the national status
  (分发 dispatched, 认领 claimed, 结束 ended, 反馈 feedback) and the process fields; the bridge sends
  those of upstream tasks back up (key: the local task number).
- `JointTaskNotified` tells a department about a step that concerns it (a claim, a feedback, a
  reminder before the deadline, an escalation 督办 after it) (key: the recipient department id).
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from supervision_schemas.envelope import CloudEvent, EventData
from supervision_schemas.identifiers import ItemCode, NormalisedStr

JOINT_DISPATCHES_TOPIC = "supervision.joint.dispatches"
JOINT_TASKS_TOPIC = "supervision.joint.tasks"
JOINT_NOTIFICATIONS_TOPIC = "supervision.joint.notifications"


class NationalStatus(StrEnum):
    """Status of the national joint-task message (taskInfo.status)."""

    DISPATCHED = "dispatched"  # 分发
    CLAIMED = "claimed"  # 认领
    ENDED = "ended"  # 结束
    FEEDBACK = "feedback"  # 反馈


#: The label the national message uses for each status.
NATIONAL_STATUS_LABELS: dict[NationalStatus, str] = {
    NationalStatus.DISPATCHED: "分发",
    NationalStatus.CLAIMED: "认领",
    NationalStatus.ENDED: "结束",
    NationalStatus.FEEDBACK: "反馈",
}


class JointTaskKind(StrEnum):
    """The kinds of joint work; each has its own state machine in joint-svc."""

    APPROVAL_LINKAGE = "approval_linkage"  # 审批联动
    LEAD_FORWARDING = "lead_forwarding"  # 抄告抄送
    ASSISTANCE = "assistance"  # 协查协办
    CAMPAIGN = "campaign"  # 专项整治 (the campaign itself)
    CAMPAIGN_TASK = "campaign_task"  # 专项整治 task distributed to one department
    DISPOSAL = "disposal"  # 风险处置: disposal of a risk warning


class TaskOrigin(StrEnum):
    """Where a task came from."""

    LOCAL = "local"
    PROVINCIAL = "provincial"
    NATIONAL = "national"
    RISK = "risk"  # opened by a risk warning


class JointCreditAssess(EventData):
    """creditAssess: the object's credit risk class."""

    risk_class: str = Field(max_length=2)
    score: float | None = None
    scheme_id: str | None = None
    graded_at: AwareDatetime | None = None


class JointListRecord(EventData):
    """An entry on the abnormal-operation list (operatingAbnormal) or serious-violation list (seriousIllegal)."""

    entry_id: str | None = Field(default=None, max_length=100)
    reason: NormalisedStr = Field(max_length=2000)
    decided_by: NormalisedStr | None = Field(default=None, max_length=200)
    effective_from: date | None = None
    effective_until: date | None = None


class JointComplaintRecord(EventData):
    """A complaint (complaintInfo) or report (tipInfo) about the object."""

    complaint_id: str = Field(min_length=1, max_length=100)
    channel: NormalisedStr | None = Field(default=None, max_length=50)
    category: str | None = Field(default=None, max_length=50)
    summary: NormalisedStr | None = Field(default=None, max_length=2000)
    received_at: AwareDatetime | None = None


class JointRiskWarningRecord(EventData):
    """riskWarning: a risk warning about the object, with the fields of the national record."""

    fxyj_id: str = Field(min_length=1, max_length=100, description="fxyjId: the warning id")
    risk_object: NormalisedStr = Field(max_length=300, description="riskObject: the object's name")
    risk_object_cert_code: str | None = Field(default=None, max_length=100, description="riskObjectCertCode")
    domain: str = Field(max_length=50)
    province: str = Field(pattern=r"^\d{6}$")
    title: NormalisedStr = Field(max_length=500)
    level: str = Field(max_length=20)
    created_at: AwareDatetime = Field(description="createdAt")
    source: str = Field(max_length=200)
    rule_id: str = Field(max_length=100, description="ruleId")
    props: dict[str, str | float | int | bool] = Field(default_factory=dict)


class JointBasisData(EventData):
    """basisData: the evidence pack that travels with each object of a joint task."""

    credit_assess: JointCreditAssess | None = None
    operating_abnormal: list[JointListRecord] = Field(default_factory=list, max_length=100)
    serious_illegal: list[JointListRecord] = Field(default_factory=list, max_length=100)
    complaint_info: list[JointComplaintRecord] = Field(default_factory=list, max_length=200)
    tip_info: list[JointComplaintRecord] = Field(default_factory=list, max_length=200)
    risk_warning: list[JointRiskWarningRecord] = Field(default_factory=list, max_length=100)


class JointSuperviseObject(EventData):
    """superviseObject: an object of the task, how it is identified, and its evidence."""

    object_type: str = Field(min_length=1, max_length=50, description="legal_person, natural_person, equipment, ...")
    name: NormalisedStr = Field(min_length=1, max_length=300)
    code: str | None = Field(default=None, max_length=100, description="USCC or other object code")
    credential_type: str | None = Field(default=None, max_length=50)
    credential_value: str | None = Field(default=None, max_length=100)
    object_id: str | None = Field(default=None, max_length=100, description="The data hub's object id")
    region_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    basis_data: JointBasisData = Field(default_factory=JointBasisData)


class JointAttachment(EventData):
    """Metadata of an attachment (the file itself lives in object storage)."""

    name: NormalisedStr = Field(min_length=1, max_length=200)
    media_type: str = Field(min_length=3, max_length=100)
    size_bytes: int = Field(ge=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    uri: str | None = Field(default=None, max_length=2000)


class JointTaskDispatchedData(EventData):
    """A task the national or provincial system dispatched (分发) to a department here (taskInfo)."""

    upstream_task_no: str = Field(min_length=1, max_length=100, description="taskNo")
    source_system: str = Field(min_length=1, max_length=100, description="e.g. national, or a province code")
    origin: Literal[TaskOrigin.NATIONAL, TaskOrigin.PROVINCIAL]
    kind: JointTaskKind = JointTaskKind.ASSISTANCE
    task_name: NormalisedStr = Field(min_length=1, max_length=300, description="taskName")
    task_start_time: AwareDatetime = Field(description="taskStartTime")
    initiate_unit_no: str = Field(min_length=1, max_length=100, description="initiateUnitNo")
    initiate_unit_name: NormalisedStr = Field(min_length=1, max_length=200, description="initiateUnitName")
    initiate_unit_type: str | None = Field(default=None, max_length=50, description="initiateUnitType")
    union_dept_no: str | None = Field(default=None, max_length=100, description="unionDeptNo (e.g. the agency USCC)")
    union_department_id: uuid.UUID | None = Field(
        default=None, description="The local department, when the bridge knows it"
    )
    union_dept_name: NormalisedStr | None = Field(default=None, max_length=200, description="unionDeptName")
    union_region_no: str = Field(pattern=r"^\d{6}$", description="unionRegionNo")
    union_region_name: NormalisedStr | None = Field(default=None, max_length=100)
    supervision_matter_code: ItemCode | None = Field(default=None, description="supervisionMatterCode (14 digits)")
    supervise_object_no: str | None = Field(default=None, max_length=20, description="superviseObjectNo: industry code")
    inspect_content: NormalisedStr | None = Field(default=None, max_length=4000, description="inspectContent")
    inspect_claim: NormalisedStr | None = Field(default=None, max_length=4000, description="inspectClaim")
    deadline: AwareDatetime | None = None
    supervise_objects: list[JointSuperviseObject] = Field(default_factory=list, max_length=500)
    attachments: list[JointAttachment] = Field(default_factory=list, max_length=50)


class JointTaskDispatched(CloudEvent):
    """`gov.supervision.joint.task.dispatched.v1` (key: upstream task number), inbound from the bridge."""

    topic: ClassVar[str] = JOINT_DISPATCHES_TOPIC
    type: Literal["gov.supervision.joint.task.dispatched.v1"] = "gov.supervision.joint.task.dispatched.v1"
    data: JointTaskDispatchedData


class FeedbackRecordType(StrEnum):
    """feedbackUnitInfo: which behaviour record a feedback refers to."""

    ADM_INSPECTION = "adm_inspection"  # admInspection 行政检查
    ADM_PUNISHMENT = "adm_punishment"  # admPunishment 行政处罚
    ADM_FORCE = "adm_force"  # admForce 行政强制
    OTHER = "other"


class JointFeedbackRecord(EventData):
    """A supervision behaviour record the feedback refers to (feedbackUnitInfo)."""

    record_type: FeedbackRecordType
    record_no: str = Field(min_length=1, max_length=100, description="检查行为编号 / 处罚文书号 ...")
    behaviour_id: uuid.UUID | None = Field(default=None, description="The data hub's behaviour record")
    summary: NormalisedStr | None = Field(default=None, max_length=2000)


class JointTaskStatusChangedData(EventData):
    """A task changed state; carries the national status and the process fields (supervisionProcess)."""

    task_id: uuid.UUID
    task_no: str
    kind: JointTaskKind
    action: str = Field(description="The action that caused the change, e.g. claim, feed_back, dispose")
    state: str
    previous_state: str | None = None
    national_status: NationalStatus | None = Field(description="None while a campaign is a draft")
    national_status_label: str | None = Field(default=None, description="分发, 认领, 结束 or 反馈")
    origin: TaskOrigin
    upstream_task_no: str | None = None
    upstream_source: str | None = None
    parent_task_no: str | None = None
    initiator_department_id: uuid.UUID | None = None
    initiator_department_name: str | None = None
    union_department_id: uuid.UUID | None = Field(default=None, description="The receiving department")
    union_department_name: str | None = None
    union_region_code: str | None = None
    supervision_matter_code: str | None = None
    actor: str
    claim_time: AwareDatetime | None = None
    end_time: AwareDatetime | None = None
    end_reason: str | None = None
    feedback_time: AwareDatetime | None = None
    feedback_suggestion: str | None = None
    feedback_records: list[JointFeedbackRecord] = Field(default_factory=list)
    deadline: AwareDatetime | None = None
    changed_at: AwareDatetime


class JointTaskStatusChanged(CloudEvent):
    """`gov.supervision.joint.task.status-changed.v1` (key: task number)"""

    topic: ClassVar[str] = JOINT_TASKS_TOPIC
    type: Literal["gov.supervision.joint.task.status-changed.v1"] = "gov.supervision.joint.task.status-changed.v1"
    data: JointTaskStatusChangedData


class NotificationReason(StrEnum):
    """Why a department is told."""

    ASSIGNED = "assigned"  # a task arrived
    STATUS_CHANGED = "status_changed"  # the other side took a step
    COMMENTED = "commented"
    REMINDER = "reminder"  # the deadline is near
    ESCALATED = "escalated"  # 督办: the deadline passed


class JointTaskNotifiedData(EventData):
    """A department was told about a step of a task."""

    notification_id: uuid.UUID
    task_id: uuid.UUID
    task_no: str
    kind: JointTaskKind
    department_id: uuid.UUID
    reason: NotificationReason
    message: str
    escalation_level: int | None = None
    created_at: AwareDatetime


class JointTaskNotified(CloudEvent):
    """`gov.supervision.joint.task.notified.v1` (key: recipient department id)"""

    topic: ClassVar[str] = JOINT_NOTIFICATIONS_TOPIC
    type: Literal["gov.supervision.joint.task.notified.v1"] = "gov.supervision.joint.task.notified.v1"
    data: JointTaskNotifiedData
