"""The quality rules of each library (质量规则): completeness, validity and timeliness checks in SQL.

A rule is a predicate over one stored record (alias `r` of the library's table) that is true when the
record breaks it. Rules run set-based whenever records are written (API, files, events) and in
scans; a record that passes again closes its open error ("fixed"). Rows refused while cleaning are
validity errors of their own (`<library>.validity.rejected_row`), raised by the import job.
Deadlines are parameters (`:report_deadline_days`...) so that each deployment can set them.
"""

from __future__ import annotations

from dataclasses import dataclass

from supervision_schemas.datahub import QualityDimension

COMPLETENESS = QualityDimension.COMPLETENESS
VALIDITY = QualityDimension.VALIDITY
TIMELINESS = QualityDimension.TIMELINESS


@dataclass(frozen=True)
class Library:
    """A library as quality checks see it: its table and the columns every library has."""

    name: str
    table: str
    title: str


LIBRARIES: dict[str, Library] = {
    lib.name: lib
    for lib in (
        Library("objects", "supervised_objects", "supervised objects (监管对象)"),
        Library("behaviour", "behaviour_records", "supervision behaviour (监管行为)"),
        Library("personnel", "enforcement_personnel", "enforcement personnel (执法人员)"),
        Library("complaints", "complaints", "complaints and reports (投诉举报)"),
        Library("credit", "credit_records", "credit (信用)"),
        Library("thirdparty", "thirdparty_records", "third-party and key-enterprise data (第三方和重点企业)"),
        Library("knowledge", "knowledge_entries", "knowledge base (知识库)"),
    )
}


@dataclass(frozen=True)
class Rule:
    id: str
    library: str
    dimension: QualityDimension
    field: str | None
    description: str
    violation: str  # SQL over alias r: true when the record breaks the rule


@dataclass(frozen=True)
class QualityConfig:
    """Deadlines of timeliness rules, in days."""

    report_deadline_days: int = 7
    complaint_accept_days: int = 7
    certificate_warning_days: int = 0

    def params(self) -> dict[str, int]:
        return {
            "report_deadline_days": self.report_deadline_days,
            "complaint_accept_days": self.complaint_accept_days,
            "certificate_warning_days": self.certificate_warning_days,
        }


_NOT_LEGAL = "('equipment', 'product', 'site', 'project')"

RULES: tuple[Rule, ...] = (
    # Supervised objects
    Rule(
        "objects.completeness.uscc",
        "objects",
        COMPLETENESS,
        "uscc",
        "a legal person has no unified social credit code (统一社会信用代码); it can be linked by name only",
        "r.kind = 'legal_person' AND r.uscc IS NULL",
    ),
    Rule(
        "objects.completeness.legal_representative",
        "objects",
        COMPLETENESS,
        "legal_representative",
        "a legal person has no legal representative (法定代表人)",
        "r.kind = 'legal_person' AND r.legal_representative IS NULL",
    ),
    Rule(
        "objects.completeness.address",
        "objects",
        COMPLETENESS,
        "address",
        "a legal person or site has no address (住所/地址)",
        "r.kind IN ('legal_person', 'site') AND r.address IS NULL",
    ),
    Rule(
        "objects.completeness.industry_code",
        "objects",
        COMPLETENESS,
        "industry_code",
        "a legal person has no industry code (GB/T 4754 行业代码)",
        "r.kind = 'legal_person' AND r.industry_code IS NULL",
    ),
    Rule(
        "objects.completeness.owner_uscc",
        "objects",
        COMPLETENESS,
        "owner_uscc",
        "equipment, a product, site or project names no responsible unit (责任单位信用代码)",
        f"r.kind IN {_NOT_LEGAL} AND r.owner_uscc IS NULL",
    ),
    Rule(
        "objects.validity.uscc_region",
        "objects",
        VALIDITY,
        "region_code",
        "the region code lies in another province than the one the credit code was registered in",
        "r.uscc IS NOT NULL AND substr(r.uscc, 3, 2) BETWEEN '11' AND '82' "
        "AND substr(r.uscc, 3, 2) <> substr(r.region_code, 1, 2)",
    ),
    # Supervision behaviour (the national exchange's required fields and deadlines)
    Rule(
        "behaviour.completeness.officers",
        "behaviour",
        COMPLETENESS,
        "officers",
        "no officers (检查人员) recorded for an inspection, penalty or enforcement measure",
        "r.record_type <> 'other' AND cardinality(r.officers) = 0",
    ),
    Rule(
        "behaviour.validity.certificate_numbers",
        "behaviour",
        VALIDITY,
        "certificate_numbers",
        "each officer needs an enforcement certificate number (执法证号), one per officer",
        "cardinality(r.officers) > 0 AND cardinality(r.certificate_numbers) <> cardinality(r.officers)",
    ),
    Rule(
        "behaviour.completeness.inspection_list_code",
        "behaviour",
        COMPLETENESS,
        "inspection_list_code",
        "an inspection has no inspection implementation list code (检查实施清单编码)",
        "r.record_type = 'inspection' AND r.inspection_list_code IS NULL",
    ),
    Rule(
        "behaviour.completeness.object_identifier",
        "behaviour",
        COMPLETENESS,
        "object_uscc",
        "the object has neither a credit code nor an identity number (行政相对人代码)",
        "r.object_uscc IS NULL AND r.object_id_number IS NULL",
    ),
    Rule(
        "behaviour.completeness.penalty_basis",
        "behaviour",
        COMPLETENESS,
        "details",
        "a penalty lacks its facts, legal basis or decision number (违法事实, 处罚依据, 处罚文书号)",
        "r.record_type = 'penalty' AND (coalesce(r.details->>'illegal_facts', '') = '' "
        "OR coalesce(r.details->>'legal_basis', '') = '' OR coalesce(r.details->>'decision_number', '') = '')",
    ),
    Rule(
        "behaviour.completeness.reported_at",
        "behaviour",
        COMPLETENESS,
        "reported_at",
        "no report time (报送时间)",
        "r.reported_at IS NULL",
    ),
    Rule(
        "behaviour.timeliness.reported_late",
        "behaviour",
        TIMELINESS,
        "reported_at",
        "reported later than the deadline after the act (报送时限)",
        "r.reported_at IS NOT NULL AND (r.reported_at AT TIME ZONE 'Asia/Shanghai')::date - r.acted_on "
        "> CAST(:report_deadline_days AS int)",
    ),
    Rule(
        "behaviour.validity.unlinked",
        "behaviour",
        VALIDITY,
        "object_name",
        "the object is not in the supervised-object library (no exact or fuzzy match)",
        "r.object_id IS NULL AND r.link_method = 'none'",
    ),
    # Enforcement personnel
    Rule(
        "personnel.completeness.certificate_number",
        "personnel",
        COMPLETENESS,
        "certificate_number",
        "an active officer has no enforcement certificate number (执法证号)",
        "r.status = 'active' AND r.certificate_number IS NULL",
    ),
    Rule(
        "personnel.timeliness.certificate_expired",
        "personnel",
        TIMELINESS,
        "certificate_valid_until",
        "an active officer's enforcement certificate has expired (执法证过期)",
        "r.status = 'active' AND r.certificate_valid_until IS NOT NULL "
        "AND r.certificate_valid_until < current_date + CAST(:certificate_warning_days AS int)",
    ),
    Rule(
        "personnel.completeness.qualifications",
        "personnel",
        COMPLETENESS,
        "qualifications",
        "an active officer has no qualification (执法领域/资格)",
        "r.status = 'active' AND cardinality(r.qualifications) = 0",
    ),
    # Complaints: the target must be complete (credit code, name, industry, supervising department)
    Rule(
        "complaints.completeness.target_uscc",
        "complaints",
        COMPLETENESS,
        "target_uscc",
        "the complaint's target has no unified social credit code",
        "r.target_uscc IS NULL AND r.object_id IS NULL",
    ),
    Rule(
        "complaints.completeness.target_industry",
        "complaints",
        COMPLETENESS,
        "target_industry_code",
        "the complaint's target has no industry code",
        "r.target_industry_code IS NULL",
    ),
    Rule(
        "complaints.completeness.department",
        "complaints",
        COMPLETENESS,
        "department_id",
        "the complaint names no supervising department",
        "r.department_id IS NULL AND r.department_name IS NULL",
    ),
    Rule(
        "complaints.timeliness.acceptance",
        "complaints",
        TIMELINESS,
        "status",
        "still not accepted (受理) after the acceptance deadline",
        "r.status IN ('received') AND r.received_at < now() - make_interval(days => CAST(:complaint_accept_days AS int))",
    ),
    # Credit
    Rule(
        "credit.completeness.object",
        "credit",
        VALIDITY,
        "uscc",
        "the credit record's object is not in the supervised-object library",
        "r.object_id IS NULL",
    ),
    # Third-party and key-enterprise data
    Rule(
        "thirdparty.validity.object",
        "thirdparty",
        VALIDITY,
        "uscc",
        "the observation's object is not in the supervised-object library",
        "r.object_id IS NULL",
    ),
    # Knowledge base
    Rule(
        "knowledge.completeness.issuer",
        "knowledge",
        COMPLETENESS,
        "issuer",
        "a law, plan or rule names no issuing authority (发布机关)",
        "r.entry_type IN ('law', 'plan', 'rule') AND r.issuer IS NULL",
    ),
    Rule(
        "knowledge.completeness.effective_on",
        "knowledge",
        COMPLETENESS,
        "effective_on",
        "a law or rule has no effective date (施行日期)",
        "r.entry_type IN ('law', 'rule') AND r.effective_on IS NULL",
    ),
)
RULES_BY_ID = {r.id: r for r in RULES}


def rejected_row_rule(library: str) -> str:
    return f"{library}.validity.rejected_row"


def rules_of(library: str) -> list[Rule]:
    return [r for r in RULES if r.library == library]
