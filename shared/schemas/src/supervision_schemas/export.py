"""Export the event catalogue as an AsyncAPI 3.0 document (`supervision-schemas export`)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from supervision_schemas.registry import TOPICS


def asyncapi() -> dict[str, Any]:
    """Build the AsyncAPI document: one channel per topic, one message per event type."""
    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for spec in TOPICS:
        refs = {}
        for event_cls in spec.event_types:
            event_type = event_cls.model_fields["type"].default
            schema = event_cls.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in schema.pop("$defs", {}).items():
                schemas[name] = sub
            schemas[event_cls.__name__] = schema
            messages[event_cls.__name__] = {
                "name": event_type,
                "title": event_cls.__name__,
                "contentType": "application/json",
                "bindings": {"kafka": {"key": {"type": "string", "description": "ce_subject"}}},
                "headers": {
                    "type": "object",
                    "required": ["ce_id", "ce_source", "ce_type", "ce_specversion", "ce_time"],
                    "properties": {
                        h: {"type": "string"}
                        for h in ("ce_id", "ce_source", "ce_type", "ce_specversion", "ce_time", "ce_subject")
                    },
                },
                "payload": {"$ref": f"#/components/schemas/{event_cls.__name__}"},
            }
            refs[event_cls.__name__] = {"$ref": f"#/components/messages/{event_cls.__name__}"}
        channels[spec.name] = {
            "address": spec.name,
            "description": spec.description,
            "messages": refs,
            "bindings": {"kafka": {"partitions": spec.partitions}},
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Internet + Regulation platform events",
            "version": "1.0.0",
            "description": "CloudEvents 1.0 in Kafka binary mode: attributes as ce_* headers, data as the JSON value.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "components": {"messages": messages, "schemas": schemas},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="supervision-schemas", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    export = sub.add_parser("export", help="print the AsyncAPI document of all topics and event types")
    export.add_argument("--output", "-o", help="write to this file instead of standard output")
    args = parser.parse_args(argv)
    text = json.dumps(asyncapi(), ensure_ascii=False, indent=2)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    else:
        sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
