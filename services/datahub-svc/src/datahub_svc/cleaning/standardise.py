"""Pure cleaning functions: each takes a raw value and returns it standardised or raises CleaningError.

The same functions serve the API push, batch files and event subscriptions, so a value is stored the
same way whichever path it came by. Error reasons never repeat a personal identifier back.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from operator import add

from supervision_schemas.identifiers import (
    validate_item_code,
    validate_region_code,
    validate_resident_id,
    validate_uscc,
)


class CleaningError(ValueError):
    """A value that cannot be standardised; `reason` is safe to show and to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_USCC_INDEX = {c: i for i, c in enumerate("0123456789ABCDEFGHJKLMNPQRTUWXY")}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_FAST_RE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")


def clean_text(value: object, *, max_length: int | None = None) -> str | None:
    """Full-width to half-width (NFKC), invisible and control characters dropped, whitespace collapsed.

    Empty text becomes None; text longer than `max_length` is refused rather than cut.
    """
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    if (
        text.isprintable()
        and "  " not in text
        and text == text.strip()
        and (text.isascii() or unicodedata.is_normalized("NFKC", text))
    ):
        cleaned = text
    else:
        text = _CONTROL_RE.sub(" ", unicodedata.normalize("NFKC", text).translate(_INVISIBLE))
        cleaned = " ".join(text.split())
    if not cleaned:
        return None
    if max_length is not None and len(cleaned) > max_length:
        raise CleaningError(f"longer than {max_length} characters ({len(cleaned)})")
    return cleaned


def clean_name(value: object, *, max_length: int = 300) -> str | None:
    """A name of a person or organisation: clean text, ASCII brackets around Chinese kept as NFKC makes them."""
    return clean_text(value, max_length=max_length)


def clean_uscc(value: object) -> str | None:
    """A unified social credit code (GB 32100-2015, check character verified), upper case."""
    if isinstance(value, str) and len(value) == 18 and _USCC_FAST_RE.fullmatch(value):
        index = _USCC_INDEX
        total = sum(index[c] * w for c, w in zip(value, _USCC_WEIGHTS))  # noqa: B905
        if "0123456789ABCDEFGHJKLMNPQRTUWXY"[(31 - total % 31) % 31] == value[17]:
            return value
    text = clean_text(value)
    if text is None:
        return None
    try:
        return validate_uscc(text)
    except ValueError as exc:
        raise CleaningError(str(exc)) from None


def clean_resident_id(value: object) -> str | None:
    """A resident identity number (GB 11643, check digit verified); 15-digit numbers upgraded."""
    text = clean_text(value)
    if text is None:
        return None
    try:
        return validate_resident_id(text)
    except ValueError as exc:
        raise CleaningError(str(exc)) from None


def clean_region_code(value: object) -> str | None:
    """A GB/T 2260 region code of six digits."""
    text = clean_text(value)
    if text is None:
        return None
    try:
        return validate_region_code(text)
    except ValueError as exc:
        raise CleaningError(str(exc)) from None


def clean_item_code(value: object) -> str | None:
    """The 14-digit national supervision item code (监管事项目录编码)."""
    text = clean_text(value)
    if text is None:
        return None
    try:
        return validate_item_code(text)
    except ValueError as exc:
        raise CleaningError(str(exc)) from None


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_TIME_SUFFIX_RE = re.compile(r"[ T]\d{1,2}(:\d{1,2}){1,2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")


def parse_date(value: object) -> date | None:
    """A date in a common Chinese form: 2024-01-05, 2024/1/5, 2024.1.5, 2024年1月5日, 20240105 (a time part is dropped)."""
    if isinstance(value, date):
        return value
    text = clean_text(value)
    if text is None:
        return None
    text = _TIME_SUFFIX_RE.sub("", text).replace(" ", "")
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            try:
                parsed = date(year, month, day)
            except ValueError:
                raise CleaningError(f"{text!r} is not a possible date") from None
            if not 1900 <= parsed.year <= 2100:
                raise CleaningError(f"{text!r} is outside the years 1900-2100")
            return parsed
    raise CleaningError(f"{text!r} is not a date (use 2024-01-05, 2024/1/5, 2024年1月5日 or 20240105)")


_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_PHONE_DROP_RE = re.compile(r"[\s\-()（）]")


def parse_phone(value: object) -> str | None:
    """A mobile number (1[3-9] and nine digits) or a landline with its area code, as 0551-62345678."""
    text = clean_text(value)
    if text is None:
        return None
    digits = _PHONE_DROP_RE.sub("", text)
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
            if not digits.startswith("1"):
                digits = "0" + digits
            break
    if _MOBILE_RE.match(digits):
        return digits
    if digits.startswith("0") and digits.isdigit():
        # Area codes of two digits after 0 are 010 and 02x; the rest have three.
        split = 3 if digits.startswith(("010", "02")) else 4
        area, number = digits[:split], digits[split:]
        if 7 <= len(number) <= 8:
            return f"{area}-{number}"
    raise CleaningError("not a mobile number (11 digits, 1[3-9]...) or a landline with area code")


_AMOUNT_RE = re.compile(r"^-?\d+(\.\d+)?$")
_CENT = Decimal("0.01")


def parse_amount(value: object) -> Decimal | None:
    """An amount of money in yuan: commas, ¥, 元 and 万元 (x 10,000) and full-width digits accepted."""
    if isinstance(value, (int, Decimal)):
        amount = Decimal(value)
    else:
        text = clean_text(value)
        if text is None:
            return None
        text = text.replace(",", "").replace(" ", "").replace("¥", "").replace("￥", "").removeprefix("人民币")
        factor = Decimal(1)
        if text.endswith("万元") or text.endswith("万"):
            factor = Decimal(10_000)
            text = text.removesuffix("元").removesuffix("万")
        else:
            text = text.removesuffix("元")
        if not _AMOUNT_RE.match(text):
            raise CleaningError(f"{text!r} is not an amount (e.g. 12,500.00 元 or 1.25万元)")
        try:
            amount = Decimal(text) * factor
        except InvalidOperation:
            raise CleaningError(f"{text!r} is not an amount") from None
    if amount < 0:
        raise CleaningError("amount must not be negative")
    if amount >= Decimal("1e13"):
        raise CleaningError("amount is implausibly large")
    return amount.quantize(_CENT, rounding=ROUND_HALF_UP)


def mask_resident_id(number: str | None) -> str | None:
    """Resident identity number for display without the right to see it: first 6 and last 4 kept."""
    if not number:
        return number
    return number[:6] + "*" * (len(number) - 10) + number[-4:] if len(number) > 10 else "*" * len(number)


def mask_phone(phone: str | None) -> str | None:
    """Phone number for display without the right to see it: the middle digits starred."""
    if not phone:
        return phone
    if "-" in phone:
        area, number = phone.split("-", 1)
        return f"{area}-{'*' * (len(number) - 4)}{number[-4:]}" if len(number) > 4 else f"{area}-****"
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:] if len(phone) > 7 else "*" * len(phone)


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\U00020000" <= ch <= "\U0002ffff"


_WORD_RE = re.compile(r"[0-9A-Za-z]+|[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]+")


def text_tokens(text: str | None) -> list[str]:
    """Index tokens of a text: overlapping bigrams of each run of Chinese characters, lower-cased ASCII words."""
    if not text:
        return []
    out: list[str] = []
    for run in _WORD_RE.findall(text):
        if run[0] > "\u3400":
            if len(run) == 1:
                out.append(run)
            else:
                out += map(str.__add__, run[:-1], run[1:])
        else:
            out.append(run.lower())
    return out


def search_document(*texts: str | None) -> str:
    """The token string a tsvector is built from (`to_tsvector('simple', ...)`); positions keep phrases."""
    return " ".join(token for text in texts for token in text_tokens(text))


# tsvector positions stop at 16383; later tokens all take the last position (as to_tsvector does).
_MAX_POSITION = 16383
_POSITIONS = [f":{i}" for i in range(_MAX_POSITION + 1)]


def tsvector_literal(*texts: str | None) -> str:
    """The tsvector of `search_document(*texts)` in PostgreSQL's input syntax (`华佗:1 佗药:2 ...`).

    Casting it (`::tsvector`, or a COPY into a tsvector column) gives the same value as
    `to_tsvector('simple', search_document(...))` at a fraction of the cost: tokens are bigrams of
    Chinese characters or runs of [0-9a-z], which need no quoting in the literal.
    """
    parts: list[str] = []
    position = 1
    positions = _POSITIONS
    for text in texts:
        if not text:
            continue
        for run in _WORD_RE.findall(text):
            if run[0] > "\u3400" and len(run) > 1:
                end = position + len(run) - 1
                if end > _MAX_POSITION:
                    grams = map(add, run[:-1], run[1:])
                    parts += (g + positions[min(position + i, _MAX_POSITION)] for i, g in enumerate(grams))
                else:
                    parts += map(add, map(add, run[:-1], run[1:]), positions[position:end])
                position = end
            else:
                token = run if run[0] > "\u3400" else run.lower()
                parts.append(token + positions[min(position, _MAX_POSITION)])
                position += 1
    return " ".join(parts)


def search_query(text: str) -> str | None:
    """A tsquery for user input: every word must match; a Chinese word as adjacent bigrams."""
    clauses: list[str] = []
    for word in (clean_text(text) or "").split():
        for run in _WORD_RE.findall(word):
            if _is_cjk(run[0]):
                grams = [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
                if len(run) == 1:
                    clauses.append(f"{run}:*")
                else:
                    clauses.append("(" + " <-> ".join(grams) + ")" if len(grams) > 1 else grams[0])
            else:
                clauses.append(f"{run.lower()}:*")
    return " & ".join(clauses) if clauses else None
