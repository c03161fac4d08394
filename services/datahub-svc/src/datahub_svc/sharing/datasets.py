"""The datasets the sharing API serves: which columns, which of them are personal data, how they are scoped."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from datahub_svc.behaviour.models import BehaviourRecord
from datahub_svc.complaints.models import Complaint
from datahub_svc.credit.models import CreditRecord
from datahub_svc.knowledge.models import KnowledgeEntry
from datahub_svc.objects.models import SupervisedObject
from datahub_svc.personnel.models import EnforcementOfficer
from datahub_svc.thirdparty.models import ThirdPartyRecord


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    model: Any
    columns: tuple[str, ...]
    # personal column -> its masked rendering, served to roles that may not see personal data
    personal: dict[str, str] = field(default_factory=dict)
    department_scoped: bool = False  # department roles see only their department's records
    uscc_column: str | None = None
    object_column: str | None = "object_id"
    updated_column: str = "modified_at"
    national_rows: bool = False  # rows of region 100000 are visible everywhere

    def column(self, name: str) -> Any:
        return getattr(self.model, name)


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            "objects",
            "Supervised objects (监管对象)",
            SupervisedObject,
            (
                "id",
                "kind",
                "status",
                "merged_into",
                "name",
                "uscc",
                "owner_uscc",
                "code",
                "id_number",
                "legal_representative",
                "address",
                "region_code",
                "department_id",
                "department_name",
                "phone",
                "industry_code",
                "business_traits",
                "supervision_focus",
                "credit_class",
                "attributes",
                "version",
                "created_at",
                "modified_at",
            ),
            personal={"id_number": "id_number_masked", "phone": "phone_masked"},
            department_scoped=True,
            uscc_column="uscc",
            object_column="id",
        ),
        Dataset(
            "behaviour",
            "Supervision behaviour (监管行为)",
            BehaviourRecord,
            (
                "id",
                "record_type",
                "record_code",
                "item_code",
                "inspection_list_code",
                "implementing_agency",
                "object_name",
                "object_uscc",
                "object_id_number",
                "region_code",
                "department_id",
                "acted_on",
                "result",
                "officers",
                "certificate_numbers",
                "penalty_amount",
                "details",
                "object_id",
                "link_method",
                "reported_at",
                "modified_at",
            ),
            personal={"object_id_number": "object_id_number_masked"},
            department_scoped=True,
            uscc_column="object_uscc",
        ),
        Dataset(
            "personnel",
            "Enforcement personnel (执法人员)",
            EnforcementOfficer,
            (
                "id",
                "name",
                "certificate_number",
                "certificate_issuer",
                "certificate_valid_from",
                "certificate_valid_until",
                "unit",
                "department_id",
                "region_code",
                "post",
                "qualifications",
                "status",
                "id_number",
                "phone",
                "modified_at",
            ),
            personal={"id_number": "id_number_masked", "phone": "phone_masked"},
            object_column=None,
        ),
        Dataset(
            "complaints",
            "Complaints and reports (投诉举报)",
            Complaint,
            (
                "id",
                "tracking_no",
                "kind",
                "channel",
                "category",
                "summary",
                "status",
                "received_at",
                "closed_at",
                "result_code",
                "result_summary",
                "satisfaction",
                "anonymous",
                "complainant_name",
                "complainant_phone",
                "region_code",
                "department_id",
                "department_name",
                "target_name",
                "target_uscc",
                "target_industry_code",
                "object_id",
                "modified_at",
            ),
            personal={"complainant_name": "complainant_name_masked", "complainant_phone": "complainant_phone_masked"},
            department_scoped=True,
            uscc_column="target_uscc",
        ),
        Dataset(
            "credit",
            "Credit grades and lists (信用)",
            CreditRecord,
            (
                "id",
                "record_type",
                "object_id",
                "uscc",
                "name",
                "region_code",
                "risk_class",
                "score",
                "scheme",
                "list_type",
                "action",
                "reason",
                "effective_from",
                "effective_until",
                "occurred_at",
                "source",
                "modified_at",
            ),
            uscc_column="uscc",
        ),
        Dataset(
            "thirdparty",
            "Third-party and key-enterprise data (第三方和重点企业)",
            ThirdPartyRecord,
            (
                "id",
                "kind",
                "category",
                "channel",
                "observed_at",
                "values",
                "threshold_exceeded",
                "excerpt",
                "url",
                "object_id",
                "uscc",
                "object_name",
                "region_code",
                "industry_code",
                "source",
                "modified_at",
            ),
            uscc_column="uscc",
        ),
        Dataset(
            "knowledge",
            "Knowledge base (知识库)",
            KnowledgeEntry,
            (
                "id",
                "entry_type",
                "code",
                "title",
                "issuer",
                "issued_on",
                "effective_on",
                "expires_on",
                "status",
                "region_code",
                "industry_codes",
                "item_codes",
                "tags",
                "summary",
                "articles",
                "attributes",
                "modified_at",
            ),
            object_column=None,
            national_rows=True,
        ),
    )
}
