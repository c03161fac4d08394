"""Cleaning functions: the traps providers really send, and what each becomes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from datahub_svc.cleaning.standardise import (
    CleaningError,
    clean_item_code,
    clean_region_code,
    clean_resident_id,
    clean_text,
    clean_uscc,
    mask_phone,
    mask_resident_id,
    parse_amount,
    parse_date,
    parse_phone,
    search_document,
    search_query,
    text_tokens,
)


class TestCleanText:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("  亳州市　华佗　药业（有限公司）  ", "亳州市 华佗 药业(有限公司)"),
            ("ＡＢＣ１２３", "ABC123"),
            ("a\u200bb\ufeff", "ab"),
            ("line\r\nbreak\ttab", "line break tab"),
            ("   ", None),
            ("", None),
            (None, None),
            (12, "12"),
        ],
    )
    def test_normalises_width_and_whitespace(self, raw: object, expected: str | None) -> None:
        assert clean_text(raw) == expected

    def test_refuses_text_longer_than_the_limit(self) -> None:
        with pytest.raises(CleaningError, match="longer than 10"):
            clean_text("药" * 11, max_length=10)


class TestIdentifiers:
    def test_credit_code_is_upper_cased_and_checked(self) -> None:
        assert clean_uscc(" ９１１１００００８０２１００４３３ｂ") == "91110000802100433B"
        with pytest.raises(CleaningError, match="check character"):
            clean_uscc("91110000802100433A")
        assert clean_uscc("") is None

    def test_resident_id_is_checked_without_echoing_it(self) -> None:
        assert clean_resident_id("11010519491231002x") == "11010519491231002X"
        with pytest.raises(CleaningError) as info:
            clean_resident_id("110105194912310023")
        assert "110105194912310023" not in info.value.reason

    def test_region_and_item_codes(self) -> None:
        assert clean_region_code("３４１６００") == "341600"
        with pytest.raises(CleaningError):
            clean_region_code("991600")
        assert clean_item_code("34160000000001") == "34160000000001"
        with pytest.raises(CleaningError):
            clean_item_code("3416000000000")


class TestParseDate:
    @pytest.mark.parametrize(
        "raw",
        [
            "2024-01-05",
            "2024/1/5",
            "2024.1.5",
            "2024年1月5日",
            "2024年01月05日",
            "20240105",
            "2024-01-05 10:30:00",
            "２０２４－０１－０５",
        ],
    )
    def test_reads_common_chinese_forms(self, raw: str) -> None:
        assert parse_date(raw) == date(2024, 1, 5)

    @pytest.mark.parametrize("raw", ["2023-02-29", "2024年13月1日", "20241301", "1850-01-01"])
    def test_refuses_impossible_dates(self, raw: str) -> None:
        with pytest.raises(CleaningError):
            parse_date(raw)

    @pytest.mark.parametrize("raw", ["yesterday", "05/01/2024", "2024-1"])
    def test_refuses_other_forms(self, raw: str) -> None:
        with pytest.raises(CleaningError, match="not a date"):
            parse_date(raw)


class TestParsePhone:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("138 0013 8000", "13800138000"),
            ("+86 138-0013-8000", "13800138000"),
            ("１３８００１３８０００", "13800138000"),
            ("0551-62345678", "0551-62345678"),
            ("(010)12345678", "010-12345678"),
            ("0086 551 6234 5678", "0551-62345678"),
        ],
    )
    def test_normalises_mobile_and_landline(self, raw: str, expected: str) -> None:
        assert parse_phone(raw) == expected

    @pytest.mark.parametrize("raw", ["12800138000", "1380013800", "62345678", "0551-123"])
    def test_refuses_other_numbers(self, raw: str) -> None:
        with pytest.raises(CleaningError):
            parse_phone(raw)


class TestParseAmount:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("12,500.00元", Decimal("12500.00")),
            ("1.25万元", Decimal("12500.00")),
            ("３万", Decimal("30000.00")),
            ("￥ 1,000", Decimal("1000.00")),
            ("0.005", Decimal("0.01")),
            (200, Decimal("200.00")),
        ],
    )
    def test_reads_yuan_and_wan_yuan(self, raw: object, expected: Decimal) -> None:
        assert parse_amount(raw) == expected

    @pytest.mark.parametrize("raw", ["一万元", "-5元", "1e20", "12.5.3"])
    def test_refuses_what_is_not_an_amount(self, raw: str) -> None:
        with pytest.raises(CleaningError):
            parse_amount(raw)


class TestMasking:
    def test_resident_id_keeps_region_and_last_four(self) -> None:
        assert mask_resident_id("11010519491231002X") == "110105********002X"

    def test_phone_keeps_prefix_and_last_four(self) -> None:
        assert mask_phone("13800138000") == "138****8000"
        assert mask_phone("0551-62345678") == "0551-****5678"


class TestSearchTokens:
    def test_bigrams_for_chinese_and_words_for_latin(self) -> None:
        assert text_tokens("华佗药业 ABC-12") == ["华佗", "佗药", "药业", "abc", "12"]
        assert search_document("药店", None, "亳州") == "药店 亳州"

    def test_query_requires_every_word_and_adjacent_bigrams(self) -> None:
        assert search_query("华佗药业 亳州") == "(华佗 <-> 佗药 <-> 药业) & 亳州"
        assert search_query("  ") is None
        assert search_query("GSP 药") == "gsp:* & 药:*"
