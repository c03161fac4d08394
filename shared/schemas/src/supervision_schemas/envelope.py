"""The CloudEvents 1.0 envelope every platform event travels in.

On Kafka the envelope is carried in binary mode: the attributes are `ce_*` headers and the
message value is the JSON of `data` alone (see `svc_runtime.cloudevents`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class EventData(BaseModel):
    """Base of every event payload: strict, immutable, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 event; subclasses pin `type` to a Literal and `data` to a model."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Kafka topic the type is published on; set by each concrete event class.
    topic: ClassVar[str]

    id: str = Field(min_length=1, max_length=200, description="Unique event id (ce_id).")
    source: str = Field(min_length=1, max_length=500, description="Producing service (ce_source), e.g. `/catalog-svc`.")
    type: str = Field(description="Versioned event type (ce_type), e.g. `gov.supervision.catalog.item.created.v1`.")
    specversion: Literal["1.0"] = "1.0"
    time: AwareDatetime = Field(description="When the fact happened (ce_time, RFC 3339).")
    subject: str = Field(
        min_length=1,
        max_length=200,
        description="The aggregate the event is about (ce_subject); also the Kafka message key.",
    )
    datacontenttype: Literal["application/json"] = "application/json"
    data: EventData

    @classmethod
    def build(cls, *, source: str, subject: str, data: Any, event_id: str | None = None) -> Self:
        """Create an event of this type with a fresh id and the current time."""
        type_field = cls.model_fields["type"]
        return cls(
            id=event_id or str(uuid.uuid4()),
            source=source,
            type=type_field.default,
            time=datetime.now(UTC),
            subject=subject,
            data=data,
        )
