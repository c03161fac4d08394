"""CloudEvents 1.0 Kafka binary mode: attributes in `ce_*` headers, `data` as the JSON value."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from supervision_schemas import CloudEvent, parse_event

Headers = list[tuple[str, bytes]]
_ATTRS = ("id", "source", "type", "specversion", "time", "subject")


class MalformedEvent(ValueError):
    """A Kafka message that is not a valid platform event (poison: goes to the dead-letter topic)."""


def to_kafka(event: CloudEvent, *, extra_headers: dict[str, str] | None = None) -> tuple[bytes, bytes, Headers]:
    """(key, value, headers) of an event; the key is its subject (the aggregate)."""
    headers: Headers = [
        ("ce_id", event.id.encode()),
        ("ce_source", event.source.encode()),
        ("ce_type", event.type.encode()),
        ("ce_specversion", event.specversion.encode()),
        ("ce_time", event.time.isoformat().encode()),
        ("ce_subject", event.subject.encode()),
        ("content-type", b"application/json"),
    ]
    for name, value in (extra_headers or {}).items():
        headers.append((name, value.encode()))
    return event.subject.encode(), event.data.model_dump_json().encode(), headers


def header_map(headers: Sequence[tuple[str, bytes]] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers or ():
        try:
            out[name] = value.decode() if value is not None else ""
        except UnicodeDecodeError as exc:
            raise MalformedEvent(f"header {name} is not UTF-8") from exc
    return out


def from_kafka(value: bytes | None, headers: Sequence[tuple[str, bytes]] | None) -> CloudEvent:
    """Parse and validate a binary-mode message; raise MalformedEvent for anything invalid."""
    attrs = header_map(headers)
    missing = [a for a in ("id", "source", "type", "specversion", "time") if f"ce_{a}" not in attrs]
    if missing:
        raise MalformedEvent(f"missing CloudEvents headers: {', '.join('ce_' + m for m in missing)}")
    try:
        data: Any = orjson.loads(value or b"")
    except orjson.JSONDecodeError as exc:
        raise MalformedEvent(f"value is not JSON: {exc}") from exc
    envelope = {a: attrs[f"ce_{a}"] for a in _ATTRS if f"ce_{a}" in attrs}
    envelope["data"] = data
    try:
        return parse_event(envelope)
    except Exception as exc:  # pydantic.ValidationError and unknown types alike
        raise MalformedEvent(f"event does not match its schema: {exc}") from exc
