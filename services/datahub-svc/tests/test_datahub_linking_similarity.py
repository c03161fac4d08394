"""Pure similarity: Chinese organisation names, addresses, legal representatives."""

from __future__ import annotations

import pytest

from datahub_svc.linking.similarity import candidate_query, dice, match_score, org_core


@pytest.mark.parametrize(
    ("name", "core"),
    [
        ("亳州市华佗中药饮片有限公司", "华佗中药饮片"),
        ("安徽省亳州市谯城区华佗药房", "华佗药房"),
        ("（亳州）华佗药业股份有限公司", "华佗药业"),
        ("ＡＢＣ贸易有限责任公司", "abc贸易"),
    ],
)
def test_org_core_drops_area_brackets_and_legal_form(name: str, core: str) -> None:
    assert org_core(name) == core


def test_dice_of_bigrams() -> None:
    assert dice("华佗药房", "华佗药房") == 1.0
    assert dice("华佗药房", "扁鹊诊所") == 0.0


def test_same_organisation_written_differently_scores_high() -> None:
    same = match_score(
        ("亳州华佗中药饮片有限责任公司", "谯城区魏武大道88号", "张三"),
        ("亳州市华佗中药饮片有限公司", "安徽省亳州市谯城区魏武大道 88 号", "张三"),
    )
    other = match_score(("亳州市扁鹊大药房", "利辛县人民路1号", "李四"), ("亳州市华佗中药饮片有限公司", None, None))
    assert same >= 0.85
    assert other < 0.3


def test_candidate_query_uses_three_character_runs_of_the_core() -> None:
    assert candidate_query("亳州市华佗药房有限公司") == "(华佗 <-> 佗药) | (佗药 <-> 药房)"
    assert candidate_query("有限公司") is not None
