"""API shapes of aggregation review (事项汇聚审核)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from catalog_svc.items.schemas import ItemSummary
from supervision_schemas.identifiers import NormalisedStr


class ListOwnerSet(BaseModel):
    """The department that owns (and reviews) the list of a region."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    department_id: uuid.UUID
    department_name: NormalisedStr = Field(min_length=1, max_length=200, description="e.g. 安徽省数据资源管理局")


class ListOwnerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    region_code: str
    department_id: uuid.UUID
    department_name: str
    created_at: datetime


class QueuedItem(ItemSummary):
    """A submitted item waiting for review, with who reviews it."""

    reviewer: str | None = Field(description="The list owner that reviews it (none: any other department).")


class BatchReview(BaseModel):
    """Approve or return several submitted items at once; all or none are reviewed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    item_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)
    decision: Literal["approve", "return"]
    comment: NormalisedStr | None = Field(default=None, max_length=4000, description="Required when returning.")

    @model_validator(mode="after")
    def _consistent(self) -> BatchReview:
        if self.decision == "return" and not self.comment:
            raise ValueError("returning items needs a comment")
        if len(set(self.item_ids)) != len(self.item_ids):
            raise ValueError("an item is named twice")
        return self
