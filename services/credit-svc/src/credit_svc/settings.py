"""Settings of credit-svc (environment variables named after the fields, e.g. CREDIT_DEFAULT_CLASSES)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from svc_runtime.settings import ServiceSettings


class CreditSettings(ServiceSettings):
    """ServiceSettings plus the grading, job and sweep settings of credit-svc."""

    service_name: str = "credit-svc"
    credit_default_classes: Literal[4, 5] = Field(
        default=4,
        description="Classes of the national scheme seeded at start-up: 4 (A-D, SAMR 2022) or 5 (A-E, as some provinces).",
    )
    credit_job_poll_interval_s: float = Field(default=1.0, gt=0, description="How often the job runner looks for work.")
    credit_job_stale_after_s: float = Field(
        default=300.0, gt=0, description="A running job without a heartbeat for this long is taken over."
    )
    credit_recompute_batch: int = Field(
        default=100_000, ge=1_000, description="Grades written per statement (and progress step) in a recompute."
    )
    credit_recompute_writers: int = Field(
        default=2, ge=1, le=8, description="Recompute batches written at once (each on its own connection)."
    )
    credit_recompute_work_mem: str = Field(
        default="256MB", pattern=r"^\d+(kB|MB|GB)$", description="work_mem for the recompute's aggregates."
    )
    credit_sweep_interval_s: float = Field(
        default=3600.0, gt=0, description="How often list validity and the abnormal-list escalation are checked."
    )
    credit_abnormal_escalation_years: int = Field(
        default=3,
        ge=0,
        description="Years on the abnormal-operation list after which an object goes on the serious-violation list "
        "(0: never).",
    )
    credit_penalty_publicity_days: int = Field(
        default=3 * 365, ge=0, description="Days a penalty stays publicly disclosed when no end date is given."
    )
    credit_inspection_pass_words: list[str] = Field(
        default_factory=lambda: ["未发现", "无问题", "no_problem", "no problem"],
        description="Words in an inspection result that mean nothing was found (checked first).",
    )
    credit_inspection_fail_words: list[str] = Field(
        default_factory=lambda: ["不合格", "发现问题", "责令", "整改", "移送", "立案", "违法", "problem"],
        description="Words in an inspection result that mean a problem was found (checked second).",
    )
    credit_inspection_ok_words: list[str] = Field(
        default_factory=lambda: ["合格", "正常", "符合"],
        description="Further words that mean the object passed (checked last).",
    )
    credit_override_max_days: int = Field(
        default=3 * 365, ge=1, description="Longest validity of a manual class override (days)."
    )
    credit_override_sweep_interval_s: float = Field(
        default=60.0, gt=0, description="How often overrides are started, expired and their grades brought in line."
    )
    credit_training_max_objects: int = Field(
        default=300_000, ge=100, description="Most objects sampled to train the outcome model."
    )
