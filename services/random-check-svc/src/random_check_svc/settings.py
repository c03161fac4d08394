"""Settings of random-check-svc (environment variables; defaults follow DOMAIN-FACTS 1(b) and 1(c))."""

from __future__ import annotations

from pydantic import Field, field_validator

from svc_runtime.settings import ServiceSettings


class RandomCheckSettings(ServiceSettings):
    service_name: str = "random-check-svc"
    credit_classes: list[str] = Field(
        default_factory=lambda: ["A", "B", "C", "D"],
        description='Credit risk classes of the active scheme, low to high (CREDIT_CLASSES; some provinces: ["A","B","C","D","E"]).',
    )
    default_class_ratios: dict[str, float] = Field(
        default_factory=lambda: {"A": 0.0, "B": 0.05, "C": 0.25, "D": 0.65, "E": 0.8, "unclassified": 0.05},
        description="Sampling ratio per credit class when a plan gives none (DEFAULT_CLASS_RATIOS, JSON). "
        "A: no proactive check without a lead (无事不扰); D: far more often (无处不在); `unclassified`: objects "
        "not graded yet.",
    )
    default_lead_ratio: float = Field(
        default=1.0,
        ge=0.0,
        le=1.0,
        description="Ratio for objects with an open lead (risk warning, abnormal or serious-violation list) when higher "
        "than their class ratio.",
    )
    recent_check_days: int = Field(default=180, ge=0, description="Default: skip objects checked this recently.")
    max_checks_per_period: int = Field(default=2, ge=1, description="Default cap of checks of one object per period.")
    cap_period_days: int = Field(default=365, ge=1, description="Default period of the cap (days).")
    task_deadline_workdays: int = Field(default=20, ge=1, description="Default working days from check date to due.")
    disclosure_workdays: int = Field(
        default=20, ge=1, description="Working days after the check ends within which results must be disclosed."
    )
    auto_disclosure: bool = Field(
        default=True,
        description="Disclose entered results automatically when their disclosure deadline comes (AUTO_DISCLOSURE).",
    )
    auto_disclosure_lead_workdays: int = Field(
        default=0,
        ge=0,
        description="Disclose this many working days before the deadline (0: on the deadline's own day).",
    )
    auto_disclosure_interval_s: float = Field(
        default=300.0, gt=0, description="How often the automatic disclosure looks for due results."
    )
    deregistration_words: list[str] = Field(
        default_factory=lambda: ["吊销营业执照", "吊销许可证", "吊销执照", "注销登记", "撤销登记", "责令关闭", "取缔"],
        description="Words in a penalty or enforcement decision's result (data hub behaviour records) that take "
        "the object out of the population as deregistered (DEREGISTRATION_WORDS, JSON).",
    )
    evidence_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024, description="Largest evidence attachment.")
    evidence_types: list[str] = Field(
        default_factory=lambda: ["image/jpeg", "image/png", "application/pdf", "video/mp4"],
        description="Accepted evidence content types (checked against the file's leading bytes).",
    )
    upload_paths: list[str] = Field(
        default_factory=lambda: ["/v1/evidence", "/api/random-check/v1/evidence"],
        description="Paths that take bodies up to `max_upload_bytes` (evidence uploads; the size is checked again).",
    )
    max_upload_bytes: int = Field(default=64 * 1024 * 1024)

    @field_validator("default_class_ratios")
    @classmethod
    def _ratios(cls, value: dict[str, float]) -> dict[str, float]:
        for key, ratio in value.items():
            if not 0.0 <= ratio <= 1.0:
                raise ValueError(f"ratio of class {key!r} must be between 0 and 1")
        return value

    def ratio_keys(self) -> list[str]:
        """The class keys a plan may set a ratio for."""
        return [*self.credit_classes, "unclassified"]
