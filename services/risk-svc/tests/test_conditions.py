"""Rule conditions: refused when malformed, evaluated over whole columns."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError

from risk_svc.riskmodels.builtin import BUILTIN, generate
from risk_svc.riskmodels.conditions import Condition, check_size, evaluate
from risk_svc.riskmodels.training import train, validation_problems

CONDITION: TypeAdapter[Condition] = TypeAdapter(Condition)


class TestConditions:
    def test_evaluates_a_tree_over_columns(self) -> None:
        rule = CONDITION.validate_python(
            {
                "all": [
                    {"feature": "complaints_30d", "op": ">=", "value": 2},
                    {"not": {"object": "industry_code", "op": "prefix", "value": "Q"}},
                ]
            }
        )
        got = evaluate(rule, {"complaints_30d": np.array([1.0, 3.0, 5.0])}, {"industry_code": ["F", "Q84", None]}, 3)
        assert got.tolist() == [False, False, True]

    @pytest.mark.parametrize(
        ("rule", "message"),
        [
            ({"feature": "nope", "op": ">", "value": 1}, "unknown feature"),
            ({"feature": "complaints_30d", "op": "~", "value": 1}, "Input should be"),
            ({"x": 1}, "a condition has one of the keys"),
            ({"feature": "complaints_30d", "op": ">", "value": "__import__('os')"}, "valid number"),
            ({"object": "industry_code", "op": "in", "value": "F"}, "takes a list"),
            ({"all": []}, "at least 1"),
        ],
    )
    def test_refuses_malformed_rules(self, rule: object, message: str) -> None:
        with pytest.raises(ValidationError, match=message):
            CONDITION.validate_python(rule)

    def test_refuses_deep_trees(self) -> None:
        rule: dict[str, object] = {"feature": "complaints_30d", "op": ">", "value": 1}
        for _ in range(10):
            rule = {"not": rule}
        with pytest.raises(ValueError, match="deeper"):
            check_size(CONDITION.validate_python(rule))


class TestBuiltinModels:
    @pytest.mark.parametrize("key", sorted(BUILTIN))
    def test_generated_history_trains_a_model_that_validates(self, key: str) -> None:
        model = BUILTIN[key]
        x, y = generate(model)
        again_x, again_y = generate(model)
        assert (x == again_x).all()  # deterministic
        assert (y == again_y).all()
        trained = train(model.estimator, x, y, seed=model.seed, threshold=0.5)
        assert validation_problems(trained.metrics) == [], trained.metrics
        assert trained.metrics["roc_auc"] > 0.8
