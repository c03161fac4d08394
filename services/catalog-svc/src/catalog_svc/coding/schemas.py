"""API shapes of code schemes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from catalog_svc.coding.models import CodeTarget
from catalog_svc.coding.validators import VALIDATORS

SegmentSource = Literal[
    "region_code", "item_type", "constant", "sequence", "sub_sequence", "agency_uscc", "level_digit"
]


class Segment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60)
    length: int = Field(ge=1, le=32)
    source: SegmentSource
    value: str | None = Field(default=None, description="For `constant` segments.")
    map: dict[str, str] | None = Field(default=None, description="For `item_type`: type -> digits.")
    description: str | None = None


class CodeSchemeCreate(BaseModel):
    """A new scheme, or a new version of an existing one (the old version stays readable)."""

    model_config = ConfigDict(extra="forbid")

    scheme_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,59}$")
    target: CodeTarget
    name: str = Field(min_length=1, max_length=200)
    description: str | None = None
    min_length: int = Field(ge=1, le=64)
    max_length: int = Field(ge=1, le=64)
    segments: list[Segment] = Field(min_length=1)
    validators: list[str] = Field(default_factory=list)
    active: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> CodeSchemeCreate:
        unknown = [v for v in self.validators if v not in VALIDATORS]
        if unknown:
            raise ValueError(f"unknown validators {unknown}; known: {sorted(VALIDATORS)}")
        if self.min_length > self.max_length:
            raise ValueError("min_length is greater than max_length")
        if sum(s.length for s in self.segments) > self.max_length:
            raise ValueError("segments are longer than max_length")
        if not any(s.source == "sequence" for s in self.segments):
            raise ValueError("a scheme needs one `sequence` segment")
        return self


class CodeSchemeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    scheme_id: str
    version: int
    target: CodeTarget
    name: str
    description: str | None
    min_length: int
    max_length: int
    segments: list[Segment]
    validators: list[str]
    active: bool
    created_at: datetime


class CodeCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: CodeTarget
    code: str = Field(min_length=1, max_length=64)


class CodeCheckResult(BaseModel):
    code: str
    valid: bool
    scheme_id: str | None = None
    scheme_version: int | None = None
    segments: dict[str, str] = Field(default_factory=dict)
    errors: list[str] = Field(default_factory=list)
    allocated: bool = Field(description="Whether the code is already allocated (then it cannot be used again).")
