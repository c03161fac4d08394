"""API shapes of linking: match requests, candidates and review decisions."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field


class MatchRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=300)
    uscc: str | None = Field(default=None, max_length=40)
    address: str | None = Field(default=None, max_length=500)
    legal_representative: str | None = Field(default=None, max_length=100)
    region_code: str | None = Field(default=None, pattern=r"^\d{6}$")


class MatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    records: list[MatchRecord] = Field(min_length=1, max_length=100)


class CandidateRead(BaseModel):
    object_id: uuid.UUID
    name: str
    uscc: str | None
    region_code: str
    score: float


class MatchResult(BaseModel):
    """`exact` (credit code), `fuzzy` (score >= accept threshold), `review` (a person decides) or `none`."""

    decision: str
    object_id: uuid.UUID | None
    score: float | None
    candidates: list[CandidateRead]


class MatchOut(BaseModel):
    accept_threshold: float
    review_threshold: float
    results: list[MatchResult]
