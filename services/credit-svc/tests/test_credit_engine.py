"""The scoring engine without servers: rules, weights, class bands (4 and 5 classes), forced classes, regions."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
from pydantic import ValidationError

from credit_svc.grading.engine import CompiledScheme, rule_fraction, scheme_for_regions, score
from credit_svc.grading.features import FeatureSQL, parse_binary_copy
from credit_svc.grading.indicators import (
    Band,
    BandsRule,
    FlagRule,
    LinearRule,
    SchemeDefinition,
    five_class_scheme,
    four_class_scheme,
)


def compiled(definition: SchemeDefinition, prefix: str = "") -> CompiledScheme:
    return CompiledScheme(uuid.uuid4(), "test", 1, prefix, definition)


def frame(scheme: CompiledScheme, **values: float) -> tuple[list[str], np.ndarray]:
    refs = scheme.refs
    row = np.zeros((1, len(refs)))
    defaults = {"basic_info": 1.0, "compliance@1095": 3.0}
    for i, ref in enumerate(refs):
        row[0, i] = values.get(ref.replace("@", "_"), defaults.get(ref, 0.0))
    return refs, row


class TestRules:
    def test_linear_is_clipped(self) -> None:
        rule = LinearRule(slope=-0.5, high=0)
        assert rule_fraction(rule, np.array([0.0, 1.0, 2.0, 9.0])).tolist() == [0.0, -0.5, -1.0, -1.0]

    def test_bands_take_the_highest_reached(self) -> None:
        rule = BandsRule(bands=[Band(min=1, value=-0.4), Band(min=3, value=-1)])
        assert rule_fraction(rule, np.array([0.0, 1.0, 2.0, 3.0, 7.0])).tolist() == [0.0, -0.4, -0.4, -1.0, -1.0]

    def test_flag(self) -> None:
        assert rule_fraction(FlagRule(value=1), np.array([0.0, 2.0])).tolist() == [0.0, 1.0]

    @pytest.mark.parametrize(
        "change",
        [
            {"classes": [{"label": "A", "min_score": 50}, {"label": "B", "min_score": 60}]},  # not decreasing
            {"classes": [{"label": "A", "min_score": 90}, {"label": "B", "min_score": 10}]},  # gap at the bottom
            {"forced": [{"feature": "abnormal_list", "label": "Z"}]},
            {
                "indicators": [
                    {
                        "key": "x",
                        "name": "x",
                        "category": "penalties",
                        "feature": "penalties",
                        "weight": 1,
                        "rule": {"type": "flag", "value": -1},
                    }
                ]
            },  # windowed feature without window
            {
                "indicators": [
                    {
                        "key": "x",
                        "name": "x",
                        "category": "penalties",
                        "feature": "nope",
                        "weight": 1,
                        "rule": {"type": "flag", "value": -1},
                    }
                ]
            },
            {"base_score": 120},
        ],
    )
    def test_inconsistent_schemes_are_refused(self, change: dict) -> None:  # type: ignore[type-arg]
        data = four_class_scheme().model_dump(mode="json") | change
        with pytest.raises(ValidationError):
            SchemeDefinition.model_validate(data)


class TestScore:
    def test_clean_object_is_b_and_forced_class_wins(self) -> None:
        scheme = compiled(four_class_scheme())
        refs, x = frame(scheme)
        result = score(scheme, refs, x)
        assert result.score.tolist() == [85.0]
        assert scheme.labels[result.class_rank[0]] == "B"
        refs, x = frame(scheme, serious_violation_list=1)
        result = score(scheme, refs, x)
        assert result.score[0] == 45.0
        assert scheme.labels[result.class_rank[0]] == "D"
        refs, x = frame(scheme, red_list=1, inspections_passed_730=2)
        assert scheme.labels[score(scheme, refs, x).class_rank[0]] == "A"

    def test_five_classes(self) -> None:
        scheme = compiled(five_class_scheme())
        refs, x = frame(scheme, penalties_1095=1)
        result = score(scheme, refs, x)
        assert result.score[0] == 73.0
        assert scheme.labels[result.class_rank[0]] == "C"
        refs, x = frame(scheme, serious_violation_list=1, red_list=1, inspections_passed_730=4)
        assert scheme.labels[score(scheme, refs, x).class_rank[0]] == "E"
        refs, x = frame(scheme, black_list=1)
        assert scheme.labels[score(scheme, refs, x).class_rank[0]] == "D"

    def test_contributions_add_up_and_model_blends(self) -> None:
        definition = four_class_scheme().model_copy(update={"model_weight": 0.5})
        scheme = compiled(definition)
        refs, x = frame(scheme, complaints_365=2)
        result = score(scheme, refs, x, model_score=np.array([40.0]))
        assert result.rule_score[0] == 85.0 - 4.0
        assert result.rule_score[0] == definition.base_score + result.contributions[0].sum()
        assert result.score[0] == pytest.approx((81.0 + 40.0) / 2)
        assert result.model_score[0] == 40.0

    def test_schemes_by_most_specific_region(self) -> None:
        national = compiled(four_class_scheme())
        province = compiled(five_class_scheme(), "37")
        city = compiled(four_class_scheme(), "3701")
        regions = np.array([341602, 370102, 370202, 110101], dtype=np.int32)
        chosen = scheme_for_regions([national, province, city], regions)
        assert chosen.tolist() == [0, 2, 1, 0]
        assert scheme_for_regions([province], regions).tolist() == [-1, 0, 0, -1]


def test_binary_copy_parser_reads_the_feature_layout() -> None:
    refs = ["basic_info", "penalties@1095"]
    oid, scheme = uuid.uuid4(), uuid.uuid4()
    row = (
        (len(refs) + 6).to_bytes(2, "big")
        + (16).to_bytes(4, "big")
        + oid.bytes
        + (8).to_bytes(4, "big")
        + (7).to_bytes(8, "big")
        + (4).to_bytes(4, "big")
        + (341602).to_bytes(4, "big")
        + (4).to_bytes(4, "big")
        + (2).to_bytes(4, "big", signed=True)
        + (8).to_bytes(4, "big")
        + np.array([81.5], dtype=">f8").tobytes()
        + (16).to_bytes(4, "big")
        + scheme.bytes
        + (8).to_bytes(4, "big")
        + np.array([0.75], dtype=">f8").tobytes()
        + (8).to_bytes(4, "big")
        + np.array([2.0], dtype=">f8").tobytes()
    )
    data = b"PGCOPY\n\xff\r\n\x00" + bytes(8) + row + row + b"\xff\xff"
    parsed = parse_binary_copy(refs, data)
    assert len(parsed) == 2
    assert uuid.UUID(bytes=bytes(parsed.object_ids[0])) == oid
    assert parsed.input_version.tolist() == [7, 7]
    assert parsed.region.tolist() == [341602, 341602]
    assert parsed.cur_score.tolist() == [81.5, 81.5]
    assert parsed.cur_rank.tolist() == [2, 2]
    assert parsed.x.tolist() == [[0.75, 2.0], [0.75, 2.0]]
    sql = FeatureSQL(tuple(refs), __import__("datetime").date(2026, 1, 1)).sql(ids=False)
    assert "DATE '2026-01-01' - 1095" in sql
