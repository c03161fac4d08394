"""Similarity of Chinese organisation names and texts: character bigrams, legal forms and areas set aside."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from supervision_schemas.identifiers import normalise_text

_LEGAL_FORMS = re.compile(
    r"(股份有限公司|有限责任公司|有限公司|股份公司|分公司|总公司|公司|集团|个体工商户|门市部|经营部|合作社|分店|店)$"
)
_AREA_PREFIX = re.compile(r"^(.{2,7}?(省|自治区))?(.{1,7}?(市|盟|地区|自治州))?(.{1,7}?(区|县|旗))?")
_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】")
_BRACKETS = re.compile(r"[()\[\]{}<>《》【】]")
_NOT_WORD = re.compile(r"[^0-9a-z\u3400-\u9fff\uf900-\ufaff]+")


def org_core(name: str | None) -> str:
    """The distinctive part of an organisation name: width-normalised, brackets, area and legal form dropped."""
    text = normalise_text(name or "").replace(" ", "")
    text = _BRACKETS.sub("", _BRACKETED.sub("", text))
    stripped = _AREA_PREFIX.sub("", text, count=1)
    if len(stripped) >= 2:
        text = stripped
    previous = None
    while previous != text:
        previous = text
        shorter = _LEGAL_FORMS.sub("", text)
        text = shorter if len(shorter) >= 2 else text
    return text.lower()


def text_core(text: str | None) -> str:
    """Text reduced to letters, digits and CJK characters (punctuation and spaces dropped)."""
    return _NOT_WORD.sub("", normalise_text(text or "").lower())


def bigrams(text: str) -> list[str]:
    """The distinct character bigrams of a text, in order of first appearance."""
    if len(text) < 2:
        return [text] if text else []
    return list(dict.fromkeys(text[i : i + 2] for i in range(len(text) - 1)))


def dice(a: list[str] | set[str], b: list[str] | set[str]) -> float:
    """Sørensen-Dice coefficient of two bigram collections (0..1)."""
    x, y = set(a), set(b)
    if not x or not y:
        return 0.0
    return 2 * len(x & y) / (len(x) + len(y))


def name_similarity(a: str, b: str) -> float:
    """Mean of bigram Dice (order-free) and the matching-blocks ratio (tolerates a typo) of two name cores."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    return (dice(bigrams(a), bigrams(b)) + SequenceMatcher(None, a, b, autojunk=False).ratio()) / 2
