"""National identifiers: GB 32100-2015 credit codes, GB/T 2260 regions, 14-digit item codes."""

import pytest

from supervision_schemas.identifiers import (
    normalise_text,
    resident_id_check_char,
    uscc_check_char,
    validate_item_code,
    validate_region_code,
    validate_resident_id,
    validate_uscc,
)

# Real, published unified social credit codes (the check character is part of the test).
VALID_USCC = ["91110000802100433B", "11100000000013127D"]


@pytest.mark.parametrize("code", VALID_USCC)
def test_accepts_valid_credit_codes(code: str) -> None:
    assert validate_uscc(code) == code
    assert uscc_check_char(code[:17]) == code[17]


def test_normalises_full_width_and_case() -> None:
    assert validate_uscc(" ９１１１００００８０２１００４３３ｂ ") == "91110000802100433B"


@pytest.mark.parametrize(
    "code", ["91110000802100433A", "9111000080210043", "91110000802100433I", "", "O1110000802100433B"]
)
def test_refuses_invalid_credit_codes(code: str) -> None:
    with pytest.raises(ValueError, match="unified social credit code"):
        validate_uscc(code)


@pytest.mark.parametrize(
    ("code", "ok"), [("341600", True), ("620423", True), ("990000", False), ("34160", False), ("0a1600", False)]
)
def test_region_codes(code: str, ok: bool) -> None:
    if ok:
        assert validate_region_code(code) == code
    else:
        with pytest.raises(ValueError, match="region code"):
            validate_region_code(code)


def test_item_codes() -> None:
    assert validate_item_code("11000000000001") == "11000000000001"
    with pytest.raises(ValueError, match="14 digits"):
        validate_item_code("1100000000000A")


def test_normalise_text_collapses_whitespace_and_width() -> None:
    assert normalise_text("  食品　抽检（ＡＢＣ）\t") == "食品 抽检(ABC)"


class TestResidentId:
    # Sample numbers built with the GB 11643 check digit (not real people).
    VALID = ["11010519491231002X", "440524188001010014", "340102199003076535"]

    @pytest.mark.parametrize("number", VALID)
    def test_accepts_valid_numbers(self, number: str) -> None:
        assert validate_resident_id(number) == number
        assert resident_id_check_char(number[:17]) == number[17]

    def test_normalises_full_width_and_lower_case_x(self) -> None:
        assert validate_resident_id(" １１０１０５１９４９１２３１００２ｘ ") == "11010519491231002X"

    def test_upgrades_fifteen_digit_numbers(self) -> None:
        assert validate_resident_id("110105491231002") == "11010519491231002X"

    @pytest.mark.parametrize(
        "number",
        [
            "110105194912310021X",  # too long
            "110105194912310023",  # wrong check digit
            "110105194902300021",  # 30 February
            "990105194912310021",  # no such province
            "11010519491231002Y",
            "",
        ],
    )
    def test_refuses_invalid_numbers(self, number: str) -> None:
        with pytest.raises(ValueError, match="resident identity number"):
            validate_resident_id(number)
