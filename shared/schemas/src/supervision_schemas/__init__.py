"""Event and API contracts shared by every service of the supervision platform."""

from supervision_schemas.envelope import CloudEvent, EventData
from supervision_schemas.registry import (
    ALL_EVENT_TYPES,
    TOPICS,
    TopicSpec,
    parse_event,
    topic_for,
)

__all__ = [
    "ALL_EVENT_TYPES",
    "TOPICS",
    "CloudEvent",
    "EventData",
    "TopicSpec",
    "parse_event",
    "topic_for",
]
