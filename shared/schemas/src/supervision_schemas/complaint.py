"""Events of complaint-svc: complaints and reports (投诉举报) received and moved through their workflow.

No event carries the complainant's personal data (name, phone, identity number): consumers get the
complaint's identity, channel, category, target object and workflow facts only. Complaints about an
identified object are also published as `signals.ComplaintSignalRecorded` for risk-svc.
The Kafka key (ce_subject) is the complaint id, so every event of one complaint stays in order.

Complaints dispatched by the national (or provincial) complaint platform arrive from the cross-level
bridge as `ComplaintDispatched` on their own topic, keyed by the dispatch number; that inbound message
alone carries the complainant's contact data (the handler must reply), which complaint-svc stores
encrypted. The result goes back as `ComplaintStatusChanged` with `channel == national` and the
dispatch number as `channel_ref`.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from supervision_schemas.envelope import CloudEvent, EventData
from supervision_schemas.identifiers import NormalisedStr

COMPLAINTS_TOPIC = "supervision.complaints"
COMPLAINT_DISPATCHES_TOPIC = "supervision.complaints.dispatches"


class ComplaintKind(StrEnum):
    """投诉 (a private dispute, handled by mediation) or 举报 (an illegality lead, handled by verification)."""

    COMPLAINT = "complaint"
    REPORT = "report"


class ComplaintChannel(StrEnum):
    """Where a complaint came in."""

    HOTLINE_12345 = "12345"
    HOTLINE_12315 = "12315"
    NATIONAL = "national"
    PUBLIC_PORTAL = "public_portal"
    MOBILE_APP = "mobile_app"


class ComplaintStatus(StrEnum):
    """The 12345-style closed loop: 受理, 派单, 办理, 答复, 办结, 回访, 评价 (plus 不予受理 and 并案)."""

    RECEIVED = "received"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    DISPATCHED = "dispatched"
    HANDLING = "handling"
    REPLIED = "replied"
    CLOSED = "closed"
    VISITED = "visited"
    RATED = "rated"
    MERGED = "merged"


class ComplaintAction(StrEnum):
    """What happened to a complaint (the timeline's vocabulary)."""

    RECEIVE = "receive"
    ACCEPT = "accept"
    REJECT = "reject"
    DISPATCH = "dispatch"
    REASSIGN = "reassign"
    START = "start"
    REPLY = "reply"
    CLOSE = "close"
    VISIT = "visit"
    RATE = "rate"
    REOPEN = "reopen"
    MERGE = "merge"
    LINK = "link"
    REMIND = "remind"
    SUPERVISE = "supervise"


class ComplaintTarget(EventData):
    """The supervised object a complaint is about, as far as it is known (linked or as declared)."""

    name: NormalisedStr | None = Field(default=None, max_length=300)
    uscc: str | None = Field(default=None, min_length=18, max_length=18)
    object_id: uuid.UUID | None = Field(default=None, description="The data hub object it is linked to.")
    industry_code: str | None = Field(default=None, max_length=20)
    department_id: uuid.UUID | None = Field(default=None, description="The object's supervising department.")
    department_name: NormalisedStr | None = Field(default=None, max_length=200)
    link_method: Literal["uscc", "name", "manual", "none"] = "none"


class ComplaintResult(EventData):
    """The handling result given in the reply (调解结果 for complaints, 核查结果 for reports)."""

    code: NormalisedStr = Field(min_length=1, max_length=50, description="e.g. mediated, case_opened, unfounded.")
    summary: NormalisedStr = Field(min_length=1, max_length=4000)


class ComplaintReceivedData(EventData):
    """A complaint or report was received (and, when it repeats an open matter, merged into it)."""

    complaint_id: uuid.UUID
    tracking_no: str = Field(min_length=1, max_length=40)
    kind: ComplaintKind
    channel: ComplaintChannel
    channel_ref: str | None = Field(default=None, max_length=100, description="Work-order or dispatch number.")
    category: str = Field(min_length=1, max_length=50)
    region_code: str = Field(pattern=r"^\d{6}$")
    department_id: uuid.UUID | None = Field(default=None, description="The department proposed to handle it.")
    routed_by: Literal["classifier", "object", "catalog", "declared", "none"]
    target: ComplaintTarget
    anonymous: bool
    merged_into: uuid.UUID | None = None
    received_at: AwareDatetime
    accept_due: AwareDatetime | None = None
    handle_due: AwareDatetime | None = None


class ComplaintReceived(CloudEvent):
    """`gov.supervision.complaint.received.v1` (key: complaint id)"""

    topic: ClassVar[str] = COMPLAINTS_TOPIC
    type: Literal["gov.supervision.complaint.received.v1"] = "gov.supervision.complaint.received.v1"
    data: ComplaintReceivedData


class ComplaintStatusChangedData(EventData):
    """A step of the workflow: a transition, a reassignment, a reminder or an escalation (督办).

    For national dispatches (`channel == national`) this is how the result goes back: the bridge
    relays the events whose `channel_ref` is the national dispatch number.
    """

    complaint_id: uuid.UUID
    tracking_no: str = Field(min_length=1, max_length=40)
    kind: ComplaintKind
    channel: ComplaintChannel
    channel_ref: str | None = Field(default=None, max_length=100)
    action: ComplaintAction
    from_status: ComplaintStatus
    to_status: ComplaintStatus
    region_code: str = Field(pattern=r"^\d{6}$")
    department_id: uuid.UUID | None = None
    previous_department_id: uuid.UUID | None = None
    actor: str = Field(min_length=1, max_length=200)
    reason: NormalisedStr | None = Field(default=None, max_length=2000)
    result: ComplaintResult | None = None
    satisfaction: int | None = Field(default=None, ge=1, le=5)
    escalation_level: int = Field(default=0, ge=0)
    due: AwareDatetime | None = Field(default=None, description="The deadline the step concerns, if any.")
    changed_at: AwareDatetime


class ComplaintStatusChanged(CloudEvent):
    """`gov.supervision.complaint.status.changed.v1` (key: complaint id)"""

    topic: ClassVar[str] = COMPLAINTS_TOPIC
    type: Literal["gov.supervision.complaint.status.changed.v1"] = "gov.supervision.complaint.status.changed.v1"
    data: ComplaintStatusChangedData


class DispatchedTarget(EventData):
    """The object complained about, as the upstream platform names it."""

    name: NormalisedStr | None = Field(default=None, max_length=300)
    uscc: str | None = Field(default=None, min_length=18, max_length=18)
    address: NormalisedStr | None = Field(default=None, max_length=500)


class DispatchedComplainant(EventData):
    """The complainant as the upstream platform registered them (personal data: stored encrypted)."""

    anonymous: bool = False
    name: NormalisedStr | None = Field(default=None, max_length=50)
    phone: str | None = Field(default=None, max_length=30)
    id_number: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=254)


class ComplaintDispatchedData(EventData):
    """A complaint or report the national (or provincial) platform dispatched to this platform (派单)."""

    dispatch_no: str = Field(min_length=1, max_length=100, description="The upstream work-order number.")
    source_system: str = Field(min_length=1, max_length=50, description="e.g. national_12315, national_12345.")
    kind: ComplaintKind = ComplaintKind.COMPLAINT
    title: NormalisedStr | None = Field(default=None, max_length=200)
    content: NormalisedStr = Field(min_length=5, max_length=5000)
    category: str | None = Field(default=None, max_length=50, description="The category, if upstream gave one.")
    region_code: str = Field(pattern=r"^\d{6}$")
    address: NormalisedStr | None = Field(default=None, max_length=500)
    occurred_at: AwareDatetime | None = None
    target: DispatchedTarget | None = None
    complainant: DispatchedComplainant = Field(default_factory=lambda: DispatchedComplainant(anonymous=True))
    media_urls: list[str] = Field(default_factory=list, max_length=10)
    dispatched_at: AwareDatetime
    reply_due: AwareDatetime | None = Field(default=None, description="The upstream deadline for the reply.")


class ComplaintDispatched(CloudEvent):
    """`gov.supervision.complaint.dispatched.v1` (key: dispatch number)"""

    topic: ClassVar[str] = COMPLAINT_DISPATCHES_TOPIC
    type: Literal["gov.supervision.complaint.dispatched.v1"] = "gov.supervision.complaint.dispatched.v1"
    data: ComplaintDispatchedData
