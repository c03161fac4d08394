"""Open311 GeoReport v2 documents as JSON or XML (the spec requires XML; JSON is the common choice)."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

from fastapi import Response

JSON = "application/json; charset=utf-8"
XML = "text/xml; charset=utf-8"
FORMATS = ("json", "xml")


def _add(parent: ET.Element, name: str, value: Any) -> None:
    child = ET.SubElement(parent, name)
    if isinstance(value, list):
        item_name = {"attributes": "attribute", "values": "value", "keywords": "keyword"}.get(name, "item")
        if name == "keywords":
            child.text = ",".join(str(v) for v in value)
            return
        for item in value:
            _element(child, item_name, item)
    elif isinstance(value, dict):
        for k, v in value.items():
            _add(child, k, v)
    elif value is None:
        pass
    elif isinstance(value, bool):
        child.text = "true" if value else "false"
    else:
        child.text = str(value)


def _element(parent: ET.Element, name: str, fields: dict[str, Any]) -> None:
    element = ET.SubElement(parent, name)
    for key, value in fields.items():
        _add(element, key, value)


def document(
    fmt: str, root: str, item: str | None, body: list[dict[str, Any]] | dict[str, Any], status: int = 200
) -> Response:
    """A list (`root` of `item`s) or one object (`root` with fields) in the requested format."""
    if fmt == "json":
        return Response(json.dumps(body, ensure_ascii=False), status_code=status, media_type=JSON)
    element = ET.Element(root)
    if isinstance(body, list):
        for entry in body:
            _element(element, item or "item", entry)
    else:
        for key, value in body.items():
            _add(element, key, value)
    xml = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(element, encoding="utf-8", xml_declaration=False)
    return Response(xml, status_code=status, media_type=XML)


def errors(fmt: str, status: int, *descriptions: str) -> Response:
    """The spec's error format: a list of {code, description}."""
    body = [{"code": status, "description": d} for d in descriptions]
    return document(fmt if fmt in FORMATS else "json", "errors", "error", body, status)
