"""Constrained types for the national identifiers the platform stores (validated, normalised)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator

# GB 32100-2015: 31 characters (no I, O, Z, S, V) and the weights of positions 1-17.
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_REGION_RE = re.compile(r"^\d{6}$")
_ITEM_CODE_RE = re.compile(r"^\d{14}$")
# GB 11643-1999: weights of positions 1-17 and the check character for each remainder mod 11.
_RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_ID_CHECK = "10X98765432"
_RESIDENT_ID_RE = re.compile(r"^\d{17}[\dX]$")
_RESIDENT_ID_15_RE = re.compile(r"^\d{15}$")


def normalise_text(value: str) -> str:
    """Full-width to half-width (NFKC), trimmed, inner whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", value).split())


def uscc_check_char(first17: str) -> str:
    """The check character of a unified social credit code (GB 32100-2015)."""
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def validate_uscc(value: str) -> str:
    """Normalise and validate a unified social credit code; raise ValueError if invalid."""
    code = normalise_text(value).upper().replace(" ", "")
    if not _USCC_RE.match(code):
        raise ValueError("unified social credit code must be 18 characters of the GB 32100-2015 set")
    if uscc_check_char(code[:17]) != code[17]:
        raise ValueError("unified social credit code check character does not match (GB 32100-2015)")
    return code


def resident_id_check_char(first17: str) -> str:
    """The check character of a resident identity number (GB 11643-1999, ISO 7064 MOD 11-2)."""
    total = sum(int(c) * w for c, w in zip(first17, _RESIDENT_ID_WEIGHTS, strict=True))
    return _RESIDENT_ID_CHECK[total % 11]


def validate_resident_id(value: str) -> str:
    """Normalise and validate a resident identity number (GB 11643); 15-digit numbers are upgraded to 18."""
    number = normalise_text(value).upper().replace(" ", "")
    if _RESIDENT_ID_15_RE.match(number):
        first17 = number[:6] + "19" + number[6:]
        number = first17 + resident_id_check_char(first17)
    if not _RESIDENT_ID_RE.match(number):
        raise ValueError("resident identity number must be 18 characters: 17 digits and a digit or X (GB 11643)")
    if not (11 <= int(number[:2]) <= 82):
        raise ValueError("resident identity number does not start with a GB/T 2260 province code")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValueError("resident identity number carries an impossible birth date") from None
    if born.year < 1880 or born > date.today():
        raise ValueError("resident identity number carries an impossible birth date")
    if resident_id_check_char(number[:17]) != number[17]:
        raise ValueError("resident identity number check digit does not match (GB 11643)")
    return number


def validate_region_code(value: str) -> str:
    """A GB/T 2260 administrative region code: six digits, a known province prefix."""
    code = normalise_text(value)
    if not _REGION_RE.match(code) or not (11 <= int(code[:2]) <= 82):
        raise ValueError("region code must be six digits of GB/T 2260 (province prefix 11-82)")
    return code


def validate_item_code(value: str) -> str:
    """The national 14-digit supervision item code (监管事项目录编码)."""
    code = normalise_text(value)
    if not _ITEM_CODE_RE.match(code):
        raise ValueError("supervision item code must be 14 digits")
    return code


def _strip(value: object) -> object:
    return normalise_text(value) if isinstance(value, str) else value


UnifiedSocialCreditCode = Annotated[str, AfterValidator(validate_uscc)]
RegionCode = Annotated[str, AfterValidator(validate_region_code)]
ResidentId = Annotated[str, AfterValidator(validate_resident_id)]
ItemCode = Annotated[str, AfterValidator(validate_item_code)]
NormalisedStr = Annotated[str, BeforeValidator(_strip)]
