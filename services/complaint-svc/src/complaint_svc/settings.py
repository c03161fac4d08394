"""Settings of complaint-svc: deadlines per kind, channel and category, routing, linking, Open311, personal data."""

from __future__ import annotations

import base64
import hashlib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from supervision_schemas.complaint import ComplaintChannel, ComplaintKind
from supervision_schemas.identifiers import validate_region_code
from supervision_schemas.signals import HotspotDimension
from svc_runtime.settings import ServiceSettings


class DeadlinePolicy(BaseModel):
    """Working-day deadlines for the complaints a rule matches (unset fields keep the less specific value).

    `accept_days`: the acceptance decision (受理/不予受理), counted from receipt.
    `handle_days`: the reply (mediation ended for a complaint, verification done for a report),
    counted from acceptance (`handle_from="acceptance"`) or from receipt.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ComplaintKind
    channel: ComplaintChannel | None = None
    category: str | None = None
    accept_days: int | None = Field(default=None, ge=0, le=365)
    handle_days: int | None = Field(default=None, ge=1, le=365)
    handle_from: Literal["acceptance", "receipt"] | None = None

    @property
    def specificity(self) -> int:
        return (2 if self.category else 0) + (1 if self.channel else 0)


# 《市场监督管理投诉举报处理暂行办法》: complaint accepted or refused within 7 working days of receipt,
# mediation ended within 45 working days of acceptance; a report verified within 15 working days.
DEFAULT_DEADLINES: tuple[DeadlinePolicy, ...] = (
    DeadlinePolicy(kind=ComplaintKind.COMPLAINT, accept_days=7, handle_days=45, handle_from="acceptance"),
    DeadlinePolicy(kind=ComplaintKind.REPORT, accept_days=7, handle_days=15, handle_from="receipt"),
)

_DEV_PII_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"complaint-svc development key, never production").digest())


class ComplaintSettings(ServiceSettings):
    """complaint-svc's settings (environment variables, upper-case)."""

    service_name: str = "complaint-svc"
    deadline_policies: list[DeadlinePolicy] = Field(
        default_factory=list,
        description="Rules over the defaults (7/45 working days for complaints, 15 for reports), JSON in "
        'DEADLINE_POLICIES: [{"kind": "complaint", "channel": "12345", "accept_days": 1}, '
        '{"kind": "report", "category": "food_safety", "handle_days": 10}].',
    )
    remind_before_workdays: int = Field(default=1, ge=0, description="Remind the handler this many working days ahead.")
    escalation_ladder_workdays: list[int] = Field(
        default_factory=lambda: [0, 5],
        description="Working days past a deadline at which escalation (督办) reaches level 1, 2, ...: "
        "催办 the day after, 通报 after 5 (JSON list).",
    )
    deadline_scan_interval_s: float = Field(
        default=300.0, ge=0, description="How often reminders and escalations are looked for (0: never in process)."
    )
    classification_enabled: bool = Field(
        default=True,
        description="Route with the text classifier; off: rules only. Changed at run time with PUT /v1/routing/settings.",
    )
    classifier_min_confidence: float = Field(
        default=0.3, ge=0, le=1, description="Below this probability the classifier's proposal is not used."
    )
    link_min_score: float = Field(default=0.8, ge=0, le=1, description="Name similarity needed to link a target.")
    merge_window_days: int = Field(default=30, ge=0, description="Open matters this recent can absorb repeats.")
    merge_min_similarity: float = Field(
        default=0.5, ge=0, le=1, description="Content similarity (bigram Dice) for a repeat of the same matter."
    )
    open311_jurisdiction_id: str = Field(default="supervision.gov.cn", description="Open311 jurisdiction_id served.")
    open311_default_region: str = Field(
        default="341600", description="Region of Open311 requests that name none (attribute[region_code])."
    )
    open311_api_keys: dict[str, ComplaintChannel] = Field(
        default_factory=dict,
        description='Known Open311 api_keys and their channel, JSON in OPEN311_API_KEYS: {"k1": "mobile_app"}; '
        "requests without api_key come from the public portal, an unknown key is refused.",
    )
    hotspot_scan_interval_s: float = Field(
        default=600.0, ge=0, description="How often hot spots are looked for and published (0: never in process)."
    )
    hotspot_window_days: int = Field(default=7, ge=1, le=366, description="Hot spots count the last N days.")
    hotspot_min_count: int = Field(default=5, ge=1, description="Complaints in the window a hot spot needs at least.")
    hotspot_min_growth: float = Field(
        default=0.5, ge=0, description="...and growth over the window before (0.5: half as many again); any if none."
    )
    hotspot_grow_step: float = Field(
        default=0.5, ge=0, description="A hot spot is published again when it grew by this share since the last event."
    )
    hotspot_dimensions: list[HotspotDimension] = Field(
        default_factory=lambda: list(HotspotDimension), description="What complaints are clustered by (JSON list)."
    )
    hotspot_region_digits: int = Field(default=6, ge=2, le=6, description="Region hot spots by county (6) or city (4).")
    hotspot_industry_digits: int = Field(
        default=2, ge=0, le=4, description="Industry hot spots by GB/T 4754 division (2 digits after the letter)."
    )
    hotspot_limit: int = Field(default=100, ge=1, le=1000, description="Most clusters examined per dimension.")
    pii_key: str = Field(
        default=_DEV_PII_KEY.decode(),
        description="Fernet key (url-safe base64, 32 bytes) that encrypts complainants' personal data at rest; "
        "set PII_KEY in production.",
    )

    @field_validator("open311_default_region")
    @classmethod
    def _region(cls, value: str) -> str:
        return validate_region_code(value)

    @field_validator("escalation_ladder_workdays")
    @classmethod
    def _ladder(cls, value: list[int]) -> list[int]:
        if not value or any(b < a for a, b in zip(value, value[1:], strict=False)) or value[0] < 0:
            raise ValueError("escalation ladder must be a non-empty, non-decreasing list of working days >= 0")
        return value

    def policy(self, kind: ComplaintKind, channel: ComplaintChannel, category: str) -> DeadlinePolicy:
        """The effective deadlines: the kind's defaults overlaid by matching rules, least specific first."""
        merged = next(p for p in DEFAULT_DEADLINES if p.kind is kind).model_dump()
        rules = [
            p
            for p in self.deadline_policies
            if p.kind is kind
            and (p.channel is None or p.channel is channel)
            and (p.category is None or p.category == category)
        ]
        for rule in sorted(rules, key=lambda r: r.specificity):
            merged.update(
                {k: v for k, v in rule.model_dump(exclude={"kind", "channel", "category"}).items() if v is not None}
            )
        return DeadlinePolicy.model_validate({**merged, "channel": channel, "category": category})
