"""Declarative rule conditions: a JSON tree over features and object fields, checked and evaluated safely.

    {"all": [{"feature": "medical_ad_hits_30d", "op": ">=", "value": 2},
             {"any": [{"feature": "complaints_medical_90d", "op": ">", "value": 0},
                      {"not": {"object": "industry_code", "op": "prefix", "value": "Q"}}]}]}

No expression strings are parsed or evaluated: the tree is validated by pydantic (unknown features,
operators or fields are refused) and evaluated over numpy columns, a whole batch at once.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

from risk_svc.features.definitions import FEATURES

MAX_DEPTH = 8
MAX_NODES = 64


class CompareOp(StrEnum):
    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="
    EQ = "=="
    NE = "!="


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class FeatureTest(_Node):
    """Compare a feature with a number."""

    feature: str
    op: CompareOp
    value: float = Field(allow_inf_nan=False)

    @field_validator("feature")
    @classmethod
    def _known(cls, name: str) -> str:
        if name not in FEATURES:
            raise ValueError(f"unknown feature {name!r}; known features: {', '.join(sorted(FEATURES))}")
        return name


class ObjectTest(_Node):
    """Test a field of the object the events are about."""

    object: Literal["region_code", "industry_code"]
    op: Literal["eq", "in", "prefix"]
    value: str | list[str]

    @model_validator(mode="after")
    def _shape(self) -> ObjectTest:
        if (self.op == "in") != isinstance(self.value, list):
            raise ValueError("`in` takes a list of strings; `eq` and `prefix` take one string")
        return self


class AllOf(_Node):
    all: list[Condition] = Field(min_length=1, max_length=32)


class AnyOf(_Node):
    any: list[Condition] = Field(min_length=1, max_length=32)


class NotOf(_Node):
    not_: Condition = Field(alias="not")


_TAGS = ("feature", "object", "all", "any", "not")


def _tag(value: Any) -> str | None:
    if isinstance(value, dict):
        return next((t for t in _TAGS if t in value), None)
    for cls, tag in ((FeatureTest, "feature"), (ObjectTest, "object"), (AllOf, "all"), (AnyOf, "any"), (NotOf, "not")):
        if isinstance(value, cls):
            return tag
    return None


Condition = Annotated[
    Union[  # noqa: UP007
        Annotated[FeatureTest, Tag("feature")],
        Annotated[ObjectTest, Tag("object")],
        Annotated[AllOf, Tag("all")],
        Annotated[AnyOf, Tag("any")],
        Annotated[NotOf, Tag("not")],
    ],
    Discriminator(
        _tag,
        custom_error_type="invalid_condition",
        custom_error_message="a condition has one of the keys: feature, object, all, any, not",
    ),
]

for _cls in (AllOf, AnyOf, NotOf):
    _cls.model_rebuild()


def children(node: Any) -> list[Any]:
    if isinstance(node, AllOf):
        return list(node.all)
    if isinstance(node, AnyOf):
        return list(node.any)
    if isinstance(node, NotOf):
        return [node.not_]
    return []


def check_size(node: Any) -> None:
    """Refuse trees deeper than MAX_DEPTH or with more than MAX_NODES nodes."""
    count = 0
    stack = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            raise ValueError(f"condition is nested deeper than {MAX_DEPTH} levels")
        if count > MAX_NODES:
            raise ValueError(f"condition has more than {MAX_NODES} nodes")
        stack.extend((c, depth + 1) for c in children(current))


def features_of(node: Any) -> set[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, FeatureTest):
            found.add(current.feature)
        stack.extend(children(current))
    return found


_OPS = {
    CompareOp.GT: np.greater,
    CompareOp.GE: np.greater_equal,
    CompareOp.LT: np.less,
    CompareOp.LE: np.less_equal,
    CompareOp.EQ: np.equal,
    CompareOp.NE: np.not_equal,
}


def evaluate(node: Any, columns: dict[str, np.ndarray[Any, Any]], objects: dict[str, list[str | None]], n: int) -> Any:
    """A boolean array: for each of the n objects, whether the condition holds."""
    if isinstance(node, FeatureTest):
        return _OPS[node.op](columns[node.feature], node.value)
    if isinstance(node, ObjectTest):
        values = objects[node.object]
        if node.op == "eq":
            return np.fromiter((v == node.value for v in values), bool, n)
        if node.op == "in":
            allowed = set(node.value)
            return np.fromiter((v in allowed for v in values), bool, n)
        prefix = str(node.value)
        return np.fromiter((v is not None and v.startswith(prefix) for v in values), bool, n)
    if isinstance(node, AllOf):
        result = np.ones(n, bool)
        for child in node.all:
            result &= evaluate(child, columns, objects, n)
        return result
    if isinstance(node, AnyOf):
        result = np.zeros(n, bool)
        for child in node.any:
            result |= evaluate(child, columns, objects, n)
        return result
    if isinstance(node, NotOf):
        return ~evaluate(node.not_, columns, objects, n)
    raise TypeError(f"not a condition: {node!r}")
