"""API shapes of the legal-basis library and the adjustment work it opens."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from catalog_svc.laws.models import ArticleChange, ArticleStatus, Resolution, TaskStatus
from supervision_schemas.identifiers import NormalisedStr

Title = NormalisedStr


class ArticleIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    article: Title = Field(min_length=1, max_length=100, description="e.g. 第一百一十条")
    text: NormalisedStr | None = Field(default=None, max_length=20000, description="The article's text.")


class LawCreate(BaseModel):
    """A law, regulation or rule (法律法规规章) of the library, optionally with its articles."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: Title = Field(
        min_length=1, max_length=300, description="Full title without 《》, e.g. 中华人民共和国食品安全法"
    )
    document_number: Title | None = Field(default=None, max_length=100, description="e.g. 主席令第二十一号")
    issuer: Title | None = Field(default=None, max_length=200)
    effective_on: date | None = None
    articles: list[ArticleIn] = Field(default_factory=list, max_length=2000)

    @model_validator(mode="after")
    def _distinct_articles(self) -> LawCreate:
        names = [a.article for a in self.articles]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"articles given twice: {', '.join(dupes)}")
        return self


class LawUpdate(BaseModel):
    """Changes to a law's particulars (its title names it in item bases and stays as it is)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    document_number: Title | None = Field(default=None, max_length=100)
    issuer: Title | None = Field(default=None, max_length=200)
    effective_on: date | None = None


class ArticleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    law_id: uuid.UUID
    article: str
    text: str | None
    status: ArticleStatus
    version: int
    created_at: datetime


class LawRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    document_number: str | None
    issuer: str | None
    effective_on: date | None
    created_at: datetime


class LawDetail(LawRead):
    articles: list[ArticleRead]


class ArticleUpdate(BaseModel):
    """An editorial correction of an article's text (a change in law is an amendment: POST .../changes)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: NormalisedStr = Field(min_length=1, max_length=20000)


class ChangeCreate(BaseModel):
    """An article is amended (new text), repealed or reinterpreted (the interpretation in `note`)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    change: ArticleChange
    text: NormalisedStr | None = Field(default=None, max_length=20000, description="The amended text (amend).")
    note: NormalisedStr | None = Field(
        default=None, max_length=4000, description="What changed, or the interpretation."
    )
    effective_on: date | None = Field(default=None, description="When the change takes effect.")

    @model_validator(mode="after")
    def _complete(self) -> ChangeCreate:
        if self.change is ArticleChange.AMEND and not self.text:
            raise ValueError("an amendment needs the amended text")
        if self.change is ArticleChange.INTERPRET and not self.note:
            raise ValueError("a reinterpretation needs the interpretation in note")
        if self.change is not ArticleChange.AMEND and self.text:
            raise ValueError("only an amendment changes the text")
        return self


class AffectedItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str | None
    name: str
    status: str
    department_id: uuid.UUID | None
    region_code: str


class AffectedList(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str | None
    item_id: uuid.UUID
    implementing_agency: str
    status: str
    department_id: uuid.UUID | None
    region_code: str


class Affected(BaseModel):
    """Everything resting on an article: items (by their legal bases) and their inspection lists."""

    items: list[AffectedItem]
    inspection_lists: list[AffectedList]


class ChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    article_id: uuid.UUID
    change: ArticleChange
    version: int
    previous_text: str | None
    text: str | None
    note: str | None
    effective_on: date | None
    affected_items: int
    affected_lists: int
    actor: str | None
    created_at: datetime


class ChangeResult(BaseModel):
    """The change, what it touches and the adjustment tasks it opened for their owners."""

    change: ChangeRead
    affected: Affected
    tasks_opened: int


class TaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    change_id: uuid.UUID | None
    article_id: uuid.UUID
    change: ArticleChange
    item_id: uuid.UUID | None
    inspection_list_id: uuid.UUID | None
    note: str | None
    department_id: uuid.UUID | None
    region_code: str
    status: TaskStatus
    resolution: Resolution | None
    resolution_note: str | None
    resolved_by: str | None
    created_at: datetime
    resolved_at: datetime | None


class TaskClose(BaseModel):
    """How the owner dealt with the change: the item adjusted or abolished, or nothing to change (say why)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    resolution: Resolution
    note: NormalisedStr | None = Field(default=None, max_length=4000)

    @model_validator(mode="after")
    def _reason_for_no_change(self) -> TaskClose:
        if self.resolution is Resolution.UNCHANGED and not self.note:
            raise ValueError("say in note why the item needs no change")
        return self
