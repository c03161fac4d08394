"""The index system as data: the feature catalogue, indicator rules and the definition of a scheme.

A scheme is a list of indicators. Each indicator reads one feature of the object (e.g. penalties in the
last 1,095 days), turns it into a fraction between -1 and 1 with its rule, and contributes
`weight * fraction` points to the score. The score starts at `base_score` and is clipped to
[min_score, max_score]; class bands map it to a class (A best); forced rules can only make the class worse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Category(StrEnum):
    """What an indicator is about (the dimensions of the index system)."""

    BASIC_INFO = "basic_info"
    COMPLIANCE = "compliance"
    PENALTIES = "penalties"
    LISTS = "lists"
    COMPLAINTS = "complaints"
    RISK_WARNINGS = "risk_warnings"
    INSPECTIONS = "inspections"
    THIRD_PARTY = "third_party"


class Source(StrEnum):
    OBJECT = "object"
    SIGNALS = "signals"
    RECORDS = "records"
    WARNINGS = "warnings"
    COMBINED = "combined"


@dataclass(frozen=True)
class FeatureDef:
    name: str
    source: Source
    windowed: bool
    category: Category
    description: str
    unit: str


#: Every feature an indicator can read. Windowed features count what happened in the last `window_days`.
FEATURES: dict[str, FeatureDef] = {
    f.name: f
    for f in (
        FeatureDef(
            "basic_info",
            Source.OBJECT,
            False,
            Category.BASIC_INFO,
            "Completeness of the object's identity and registration data (identifier, industry, supervising "
            "department, responsible legal person), 0 to 1.",
            "share",
        ),
        FeatureDef(
            "compliance",
            Source.COMBINED,
            True,
            Category.COMPLIANCE,
            "Whole years without a penalty, failed inspection or enforcement measure, at most the window.",
            "years",
        ),
        FeatureDef("penalties", Source.RECORDS, True, Category.PENALTIES, "Administrative penalties decided.", "count"),
        FeatureDef("penalty_amount", Source.RECORDS, True, Category.PENALTIES, "Fines decided, in yuan.", "yuan"),
        FeatureDef(
            "enforcement_measures",
            Source.SIGNALS,
            True,
            Category.PENALTIES,
            "Administrative enforcement measures (行政强制).",
            "count",
        ),
        FeatureDef(
            "inspections_failed",
            Source.SIGNALS,
            True,
            Category.INSPECTIONS,
            "Inspections that found a problem.",
            "count",
        ),
        FeatureDef(
            "inspections_passed", Source.SIGNALS, True, Category.INSPECTIONS, "Inspections that found nothing.", "count"
        ),
        FeatureDef("complaints", Source.SIGNALS, True, Category.COMPLAINTS, "Complaints (投诉) received.", "count"),
        FeatureDef(
            "reports", Source.SIGNALS, True, Category.COMPLAINTS, "Reports of offences (举报) received.", "count"
        ),
        FeatureDef("warnings_open", Source.WARNINGS, False, Category.RISK_WARNINGS, "Open risk warnings.", "count"),
        FeatureDef(
            "warning_level",
            Source.WARNINGS,
            False,
            Category.RISK_WARNINGS,
            "Highest level of the open risk warnings: 0 none, 1 blue, 2 yellow, 3 orange, 4 red.",
            "level",
        ),
        FeatureDef(
            "abnormal_list",
            Source.RECORDS,
            False,
            Category.LISTS,
            "On the abnormal-operation list (经营异常名录): entries in force.",
            "count",
        ),
        FeatureDef(
            "serious_violation_list",
            Source.RECORDS,
            False,
            Category.LISTS,
            "On the serious-violation and dishonesty list (严重违法失信名单): entries in force.",
            "count",
        ),
        FeatureDef(
            "black_list",
            Source.RECORDS,
            False,
            Category.LISTS,
            "Departments' black lists the object is on by decision (rule-made entries are not counted).",
            "count",
        ),
        FeatureDef(
            "red_list",
            Source.RECORDS,
            False,
            Category.LISTS,
            "Departments' red lists the object is on by decision (rule-made entries are not counted).",
            "count",
        ),
        FeatureDef("commendations", Source.RECORDS, True, Category.LISTS, "Commendations (表彰) received.", "count"),
        FeatureDef(
            "third_party_adverse",
            Source.SIGNALS,
            True,
            Category.THIRD_PARTY,
            "Adverse third-party observations (monitoring hits, alarms, unlicensed listings).",
            "count",
        ),
        FeatureDef("third_party", Source.SIGNALS, True, Category.THIRD_PARTY, "All third-party observations.", "count"),
    )
}

_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")


def feature_ref(name: str, window_days: int | None) -> str:
    """The name of a feature column: `penalties@1095`, or `basic_info` for unwindowed features."""
    return f"{name}@{window_days}" if window_days is not None else name


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LinearRule(Strict):
    """fraction = clip(slope * value + intercept, low, high)."""

    type: Literal["linear"] = "linear"
    slope: float
    intercept: float = 0.0
    low: float = Field(default=-1.0, ge=-1.0, le=1.0)
    high: float = Field(default=1.0, ge=-1.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.low > self.high:
            raise ValueError("low must not exceed high")
        return self


class Band(Strict):
    min: float = Field(description="The band applies from this feature value up.")
    value: float = Field(ge=-1.0, le=1.0, description="Fraction of the weight the band gives.")


class BandsRule(Strict):
    """fraction = the value of the highest band whose `min` the feature reaches (else `default`)."""

    type: Literal["bands"] = "bands"
    bands: list[Band] = Field(min_length=1, max_length=20)
    default: float = Field(default=0.0, ge=-1.0, le=1.0)

    @model_validator(mode="after")
    def _increasing(self) -> Self:
        mins = [b.min for b in self.bands]
        if mins != sorted(mins) or len(set(mins)) != len(mins):
            raise ValueError("band minimums must be strictly increasing")
        return self


class FlagRule(Strict):
    """fraction = `value` when the feature is above zero, else 0."""

    type: Literal["flag"] = "flag"
    value: float = Field(ge=-1.0, le=1.0)


Rule = Annotated[LinearRule | BandsRule | FlagRule, Field(discriminator="type")]


class Indicator(Strict):
    """One indicator: a feature, a rule and a weight (the points a fraction of 1 is worth)."""

    key: str = Field(description="Identifier within the scheme, e.g. `penalties_3y`.")
    name: str = Field(min_length=1, max_length=100, description="Shown in explanations, e.g. 三年内行政处罚.")
    category: Category
    feature: str
    window_days: int | None = Field(default=None, ge=1, le=3650)
    weight: float = Field(gt=0, le=1000)
    rule: Rule

    @model_validator(mode="after")
    def _feature_known(self) -> Self:
        if not _KEY_RE.match(self.key):
            raise ValueError(f"indicator key {self.key!r}: lower-case letters, digits and _ (at most 48)")
        spec = FEATURES.get(self.feature)
        if spec is None:
            raise ValueError(f"unknown feature {self.feature!r}; known: {', '.join(sorted(FEATURES))}")
        if spec.windowed and self.window_days is None:
            raise ValueError(f"feature {self.feature} needs window_days")
        if not spec.windowed and self.window_days is not None:
            raise ValueError(f"feature {self.feature} takes no window_days")
        return self

    @property
    def ref(self) -> str:
        return feature_ref(self.feature, self.window_days)


class ClassBand(Strict):
    """A class and the lowest score that reaches it; classes go from the best (lowest risk) to the worst."""

    label: str = Field(pattern=r"^[A-Z][A-Z0-9]?$")
    min_score: float
    meaning: str = Field(default="", max_length=100)


class ForcedClass(Strict):
    """When `feature` reaches `min_value`, the class is at least as bad as `label` (a direct-to-class trigger)."""

    feature: str
    window_days: int | None = Field(default=None, ge=1, le=3650)
    min_value: float = 1.0
    label: str
    reason: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _feature_known(self) -> Self:
        spec = FEATURES.get(self.feature)
        if spec is None:
            raise ValueError(f"unknown feature {self.feature!r}")
        if spec.windowed != (self.window_days is not None):
            raise ValueError(f"feature {self.feature} {'needs' if spec.windowed else 'takes no'} window_days")
        return self

    @property
    def ref(self) -> str:
        return feature_ref(self.feature, self.window_days)


class SchemeDefinition(Strict):
    """Everything that defines how a scheme grades (the body of a new scheme version)."""

    base_score: float = Field(default=80.0)
    min_score: float = Field(default=0.0)
    max_score: float = Field(default=100.0)
    classes: list[ClassBand] = Field(min_length=2, max_length=10)
    indicators: list[Indicator] = Field(min_length=1, max_length=60)
    forced: list[ForcedClass] = Field(default_factory=list, max_length=20)
    model_weight: float = Field(
        default=0.0, ge=0.0, le=1.0, description="Share of the active outcome model's score in the final score."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not self.min_score < self.max_score:
            raise ValueError("min_score must be below max_score")
        if not self.min_score <= self.base_score <= self.max_score:
            raise ValueError("base_score must lie between min_score and max_score")
        labels = [c.label for c in self.classes]
        if len(set(labels)) != len(labels):
            raise ValueError("class labels must be unique")
        mins = [c.min_score for c in self.classes]
        if any(a <= b for a, b in zip(mins, mins[1:], strict=False)):
            raise ValueError("classes go from best to worst: min_score must strictly decrease")
        if mins[-1] > self.min_score:
            raise ValueError("the worst class must start at or below min_score, so every score has a class")
        keys = [i.key for i in self.indicators]
        if len(set(keys)) != len(keys):
            raise ValueError("indicator keys must be unique")
        for f in self.forced:
            if f.label not in labels:
                raise ValueError(f"forced class {f.label} is not one of the classes")
        return self


def _flag(value: float) -> FlagRule:
    return FlagRule(value=value)


def _ind(
    key: str, name: str, category: Category, feature: str, weight: float, rule: Rule, window: int | None = None
) -> Indicator:
    return Indicator(
        key=key, name=name, category=category, feature=feature, window_days=window, weight=weight, rule=rule
    )


def default_indicators() -> list[Indicator]:
    """The default index system: the inputs SAMR names (国市监信发〔2022〕6号) as eight dimensions."""
    c = Category
    return [
        _ind("basic_info", "基础信息完整度", c.BASIC_INFO, "basic_info", 10, LinearRule(slope=1, intercept=-1, high=0)),
        _ind(
            "compliance_3y",
            "三年守法记录",
            c.COMPLIANCE,
            "compliance",
            5,
            BandsRule(bands=[Band(min=1, value=0.33), Band(min=2, value=0.67), Band(min=3, value=1)]),
            1095,
        ),
        _ind(
            "penalties_3y",
            "三年内行政处罚",
            c.PENALTIES,
            "penalties",
            30,
            BandsRule(bands=[Band(min=1, value=-0.4), Band(min=2, value=-0.7), Band(min=3, value=-1)]),
            1095,
        ),
        _ind(
            "penalty_amount_3y",
            "三年内罚没金额",
            c.PENALTIES,
            "penalty_amount",
            10,
            BandsRule(
                bands=[Band(min=10_000, value=-0.3), Band(min=100_000, value=-0.7), Band(min=1_000_000, value=-1)]
            ),
            1095,
        ),
        _ind("enforcement_3y", "三年内行政强制", c.PENALTIES, "enforcement_measures", 5, _flag(-1), 1095),
        _ind(
            "inspections_failed_2y",
            "两年内检查发现问题",
            c.INSPECTIONS,
            "inspections_failed",
            15,
            LinearRule(slope=-0.5, high=0),
            730,
        ),
        _ind(
            "inspections_passed_2y",
            "两年内检查未发现问题",
            c.INSPECTIONS,
            "inspections_passed",
            5,
            LinearRule(slope=0.5, low=0),
            730,
        ),
        _ind("complaints_1y", "一年内投诉", c.COMPLAINTS, "complaints", 10, LinearRule(slope=-0.2, high=0), 365),
        _ind("reports_1y", "一年内举报", c.COMPLAINTS, "reports", 10, LinearRule(slope=-0.34, high=0), 365),
        _ind(
            "risk_warnings",
            "在办风险预警",
            c.RISK_WARNINGS,
            "warning_level",
            10,
            BandsRule(
                bands=[Band(min=1, value=-0.2), Band(min=2, value=-0.4), Band(min=3, value=-0.7), Band(min=4, value=-1)]
            ),
        ),
        _ind("abnormal_list", "列入经营异常名录", c.LISTS, "abnormal_list", 20, _flag(-1)),
        _ind("serious_violation_list", "列入严重违法失信名单", c.LISTS, "serious_violation_list", 40, _flag(-1)),
        _ind("black_list", "列入部门黑名单", c.LISTS, "black_list", 25, _flag(-1)),
        _ind("red_list", "列入部门红名单", c.LISTS, "red_list", 5, _flag(1)),
        _ind("commendations_3y", "三年内表彰", c.LISTS, "commendations", 5, LinearRule(slope=0.5, low=0), 1095),
        _ind(
            "third_party_1y",
            "一年内第三方不良信息",
            c.THIRD_PARTY,
            "third_party_adverse",
            10,
            LinearRule(slope=-0.25, high=0),
            365,
        ),
    ]


def four_class_scheme() -> SchemeDefinition:
    """A/B/C/D (信用风险低/一般/较高/高), as the national scheme (国市监信发〔2022〕6号)."""
    return SchemeDefinition(
        base_score=80,
        classes=[
            ClassBand(label="A", min_score=90, meaning="信用风险低"),
            ClassBand(label="B", min_score=75, meaning="信用风险一般"),
            ClassBand(label="C", min_score=60, meaning="信用风险较高"),
            ClassBand(label="D", min_score=0, meaning="信用风险高"),
        ],
        indicators=default_indicators(),
        forced=[ForcedClass(feature="serious_violation_list", label="D", reason="列入严重违法失信名单")],
    )


def five_class_scheme() -> SchemeDefinition:
    """A-E, as provinces that grade in five classes (e.g. Shandong); serious violations go straight to E."""
    return SchemeDefinition(
        base_score=80,
        classes=[
            ClassBand(label="A", min_score=90, meaning="信用风险低"),
            ClassBand(label="B", min_score=80, meaning="信用风险较低"),
            ClassBand(label="C", min_score=70, meaning="信用风险一般"),
            ClassBand(label="D", min_score=55, meaning="信用风险较高"),
            ClassBand(label="E", min_score=0, meaning="信用风险高"),
        ],
        indicators=default_indicators(),
        forced=[
            ForcedClass(feature="serious_violation_list", label="E", reason="列入严重违法失信名单"),
            ForcedClass(feature="black_list", label="D", reason="列入部门黑名单"),
        ],
    )
