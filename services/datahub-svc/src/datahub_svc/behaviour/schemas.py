"""API shapes of the supervision-behaviour library: common fields and the details of each record type."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from datahub_svc.objects.schemas import Amount, ChineseDate, ShortText
from supervision_schemas.datahub import BehaviourType
from supervision_schemas.identifiers import NormalisedStr


class Details(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InspectionDetails(Details):
    """行政检查: form, category, method (national dictionaries, kept as the provider's codes)."""

    inspection_name: ShortText = Field(default=None, description="检查行为名称.")
    inspection_form: ShortText = Field(default=None, description="检查形式.")
    inspection_category: ShortText = Field(default=None, description="检查类别.")
    inspection_method: ShortText = Field(default=None, description="检查方式.")
    content: NormalisedStr | None = Field(default=None, max_length=4000, description="检查内容.")


class PenaltyDetails(Details):
    """行政处罚: case, facts, legal basis, decision, fine, closure."""

    case_source: ShortText = Field(default=None, description="案件来源.")
    inspection_record_code: ShortText = Field(default=None, description="关联检查行为编号.")
    illegal_facts: NormalisedStr | None = Field(default=None, max_length=8000, description="违法事实.")
    legal_basis: NormalisedStr | None = Field(default=None, max_length=4000, description="处罚依据.")
    procedure: ShortText = Field(default=None, description="处罚程序 (简易/普通).")
    hearing: bool = Field(default=False, description="是否听证.")
    criminal: bool = Field(default=False, description="是否涉刑.")
    major: bool = Field(default=False, description="是否重大.")
    legal_review_on: ChineseDate = Field(default=None, description="法制审核日期.")
    collective_discussion_on: ChineseDate = Field(default=None, description="集体讨论日期.")
    decision_number: ShortText = Field(default=None, description="处罚文书号.")
    filed_on: ChineseDate = Field(default=None, description="立案日期.")
    decided_on: ChineseDate = Field(default=None, description="决定日期.")
    penalty_types: list[str] = Field(default_factory=list, description="处罚种类.")
    fine_amount: Amount = Field(default=None, description="罚款金额 (yuan; 万元 accepted).")
    paid_amount: Amount = Field(default=None, description="实缴罚款.")
    closed_on: ChineseDate = Field(default=None, description="结案日期.")
    execution: ShortText = Field(default=None, description="执行方式/结果.")

    @model_validator(mode="after")
    def _closure_after_filing(self) -> PenaltyDetails:
        if self.closed_on and self.filed_on and self.closed_on < self.filed_on:
            raise ValueError("closed_on (结案日期) must not be before filed_on (立案日期)")
        return self


class EnforcementMeasureDetails(Details):
    """行政强制: the measure, its basis and period."""

    measure_type: ShortText = Field(default=None, description="强制措施种类 (查封, 扣押...).")
    legal_basis: NormalisedStr | None = Field(default=None, max_length=4000)
    started_on: ChineseDate = None
    ended_on: ChineseDate = None


class OtherDetails(Details):
    """其他行政监管行为."""

    description: NormalisedStr | None = Field(default=None, max_length=4000)


DETAIL_MODELS: dict[BehaviourType, type[Details]] = {
    BehaviourType.INSPECTION: InspectionDetails,
    BehaviourType.PENALTY: PenaltyDetails,
    BehaviourType.ENFORCEMENT_MEASURE: EnforcementMeasureDetails,
    BehaviourType.OTHER: OtherDetails,
}


class BehaviourIn(BaseModel):
    """A supervision act keyed by the 14-digit item code; the object is linked by credit code or by name.

    `details` follow the record type: see InspectionDetails, PenaltyDetails, EnforcementMeasureDetails, OtherDetails.
    """

    model_config = ConfigDict(extra="forbid")

    record_type: BehaviourType
    record_code: str = Field(max_length=100, description="检查行为编号 / 处罚文书号: the provider's key.")
    item_code: str = Field(max_length=30, description="监管事项目录编码 (14 digits).")
    inspection_list_code: str | None = Field(default=None, max_length=800, description="检查实施清单编码.")
    random_plan_id: str | None = Field(default=None, max_length=100, description="双随机一公开计划id.")
    implementing_agency: str = Field(max_length=200, description="实施机构.")
    implementing_agency_code: str | None = Field(default=None, max_length=20, description="实施机构编码.")
    entrusted_agency: str | None = Field(default=None, max_length=200, description="受委托部门.")
    object_type: str | None = Field(default=None, max_length=50, description="监管对象类型.")
    object_name: str = Field(max_length=300, description="行政相对人名称.")
    credential_type: str | None = Field(default=None, max_length=30, description="证件类型.")
    object_uscc: str | None = Field(default=None, max_length=40, description="统一社会信用代码.")
    object_id_number: str | None = Field(default=None, max_length=40, description="身份证号 (natural persons).")
    legal_representative: str | None = Field(default=None, max_length=100)
    registered_address: str | None = Field(default=None, max_length=500)
    business_address: str | None = Field(default=None, max_length=500)
    region_code: str = Field(max_length=20, description="行政区划代码.")
    department_id: uuid.UUID | None = None
    acted_on: str | date = Field(description="检查时间 / 决定日期 (2024-01-05, 2024年1月5日...).")
    result: str | None = Field(default=None, max_length=200, description="检查结果 / 处罚结果.")
    officers: list[str] = Field(default_factory=list, max_length=20, description="检查人员.")
    certificate_numbers: list[str] = Field(default_factory=list, max_length=20, description="执法证号.")
    reported_at: AwareDatetime | None = Field(default=None, description="报送时间 (after the act).")
    reporter: str | None = Field(default=None, max_length=100, description="报送人员.")
    details: dict[str, Any] = Field(default_factory=dict)


class BehaviourBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[BehaviourIn] = Field(min_length=1, max_length=1000)
    source: str | None = Field(default=None, max_length=100)


class LinkMethod(StrEnum):
    EXACT = "exact"
    FUZZY = "fuzzy"
    REVIEW = "review"
    NONE = "none"


class BehaviourRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    record_type: BehaviourType
    record_code: str
    item_code: str
    inspection_list_code: str | None
    implementing_agency: str
    object_name: str
    object_uscc: str | None
    region_code: str
    department_id: uuid.UUID | None
    acted_on: date
    result: str | None
    officers: list[str]
    certificate_numbers: list[str]
    penalty_amount: Decimal | None
    details: dict[str, Any]
    object_id: uuid.UUID | None
    link_method: LinkMethod
    link_score: float | None
    created_at: datetime


class BehaviourPushResult(BaseModel):
    created: int
    updated: int
    items: list[BehaviourRead]


class LinkReviewRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    record_id: uuid.UUID
    candidate_object_id: uuid.UUID
    score: float
    status: str
    decided_by: str | None
    decided_at: datetime | None
    created_at: datetime
