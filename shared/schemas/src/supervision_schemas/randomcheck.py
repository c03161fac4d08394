"""Events of random-check-svc: "double random, one public" (双随机、一公开) draws and disclosed check results."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from supervision_schemas.envelope import CloudEvent, EventData

RANDOMCHECK_DRAWS_TOPIC = "supervision.randomcheck.draws"
RANDOMCHECK_RESULTS_TOPIC = "supervision.randomcheck.results"


class ResultCategory(StrEnum):
    """Outcome of one department's check of one object (抽查检查结果), as the publicity system lists them."""

    NO_PROBLEM = "no_problem"  # 未发现问题
    PROBLEM_CORRECTED = "problem_corrected"  # 发现问题已责令改正
    PROBLEM_TRANSFERRED = "problem_transferred"  # 发现问题已移送 (立案查处 / 转办交办)
    PROBLEM_PENDING = "problem_pending"  # 发现问题待后续处理
    NOT_REACHABLE = "not_reachable"  # 通过登记的住所(经营场所)无法联系
    NOT_OPERATING = "not_operating"  # 未发现开展本次抽查涉及的经营活动
    CLOSED = "closed"  # 已关闭、停业或注销
    REFUSED = "refused"  # 不配合检查


PROBLEM_CATEGORIES = frozenset(
    {ResultCategory.PROBLEM_CORRECTED, ResultCategory.PROBLEM_TRANSFERRED, ResultCategory.PROBLEM_PENDING}
)


class DrawCompletedData(EventData):
    """A draw was run and its seed revealed: anyone can re-run it and compare the hashes."""

    draw_id: uuid.UUID
    plan_id: uuid.UUID
    plan_name: str
    year: int
    joint: bool = Field(description="Several departments check each drawn object in one visit (进一次门、查多项事).")
    department_ids: list[uuid.UUID] = Field(min_length=1)
    region_code: str = Field(pattern=r"^\d{6}$")
    check_date: date
    algorithm: str
    seed_hash: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the seed, published before the draw.")
    seed: str = Field(pattern=r"^[0-9a-f]{64}$", description="The seed, revealed after the draw.")
    inputs_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    outputs_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    population: int = Field(ge=0, description="Eligible objects after exclusions.")
    visits: int = Field(ge=0, description="Objects drawn (one visit each).")
    tasks: int = Field(ge=0, description="Department tasks created (a joint visit has several).")
    completed_at: AwareDatetime


class DrawCompleted(CloudEvent):
    """`gov.supervision.randomcheck.draw.completed.v1` (key: plan id)"""

    topic: ClassVar[str] = RANDOMCHECK_DRAWS_TOPIC
    type: Literal["gov.supervision.randomcheck.draw.completed.v1"] = "gov.supervision.randomcheck.draw.completed.v1"
    data: DrawCompletedData


class CheckResultPublishedData(EventData):
    """One department's result of a random check of one object was disclosed (public fields only).

    credit-svc grades on it (inspection results indicator); the data hub records it as an inspection
    behaviour (行政检查) with the item codes.
    """

    result_id: uuid.UUID = Field(description="The task id: one department, one object, one draw.")
    visit_id: uuid.UUID = Field(description="The visit; a joint visit carries several departments' results.")
    draw_id: uuid.UUID
    plan_id: uuid.UUID
    plan_name: str
    joint: bool
    object_id: uuid.UUID
    uscc: str | None = None
    object_name: str
    region_code: str = Field(pattern=r"^\d{6}$")
    industry_code: str | None = None
    department_id: uuid.UUID
    department_name: str | None = None
    item_codes: list[str] = Field(min_length=1, description="14-digit national supervision item codes checked.")
    inspection_list_codes: list[str] = Field(default_factory=list)
    checked_on: date
    category: ResultCategory
    problem_found: bool
    summary: str | None = Field(default=None, max_length=2000, description="Public summary of the result.")
    published_at: AwareDatetime


class CheckResultPublished(CloudEvent):
    """`gov.supervision.randomcheck.result.published.v1` (key: object id)"""

    topic: ClassVar[str] = RANDOMCHECK_RESULTS_TOPIC
    type: Literal["gov.supervision.randomcheck.result.published.v1"] = "gov.supervision.randomcheck.result.published.v1"
    data: CheckResultPublishedData
