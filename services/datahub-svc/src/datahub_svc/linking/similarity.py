"""Pure similarity of Chinese names and addresses: character bigrams, legal-form suffixes set aside."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from datahub_svc.cleaning.standardise import clean_text

# Legal forms and filler that say nothing about which organisation it is.
_LEGAL_FORMS = re.compile(
    r"(股份有限公司|有限责任公司|有限公司|股份公司|分公司|总公司|公司|集团|个体工商户|门市部|经营部|合作社)$"
)
# A leading administrative area (安徽省亳州市谯城区...) is shared by every neighbour, so it is set aside.
_AREA_PREFIX = re.compile(r"^(.{2,7}?(省|自治区))?(.{1,7}?(市|盟|地区|自治州))?(.{1,7}?(区|县|旗))?")
_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】")
_BRACKETS = re.compile(r"[()\[\]{}<>《》【】]")
_ADDRESS_NOISE = re.compile(r"(省|市|区|县|镇|乡|街道|路|号|栋|楼|室|村|组)")


def org_core(name: str | None) -> str:
    """The distinctive part of an organisation name: width-normalised, brackets and legal form dropped."""
    text = (clean_text(name) or "").replace(" ", "")
    text = _BRACKETS.sub("", _BRACKETED.sub("", text))
    stripped = _AREA_PREFIX.sub("", text, count=1)
    if len(stripped) >= 2:
        text = stripped
    previous = None
    while previous != text:
        previous = text
        text = _LEGAL_FORMS.sub("", text)
    return text.lower()


def address_core(address: str | None) -> str:
    text = (clean_text(address) or "").replace(" ", "")
    return _ADDRESS_NOISE.sub("", text).lower()


def bigrams(text: str) -> set[str]:
    if len(text) < 2:
        return {text} if text else set()
    return {text[i : i + 2] for i in range(len(text) - 1)}


def text_similarity(a: str, b: str) -> float:
    """Mean of bigram Dice (order) and the longest-matching-blocks ratio (tolerates one-character typos)."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    return (dice(a, b) + SequenceMatcher(None, a, b, autojunk=False).ratio()) / 2


def dice(a: str, b: str) -> float:
    """Sørensen-Dice coefficient of the character bigrams of two strings (0..1)."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    x, y = bigrams(a), bigrams(b)
    return 2 * len(x & y) / (len(x) + len(y))


def overlap(a: str, b: str) -> float:
    """Share of the shorter string's bigrams found in the longer (addresses are written more or less fully)."""
    if not a or not b:
        return 0.0
    x, y = bigrams(a), bigrams(b)
    return len(x & y) / min(len(x), len(y))


@dataclass(frozen=True)
class Weights:
    name: float = 0.7
    address: float = 0.2
    legal_representative: float = 0.1


def match_score(
    record: tuple[str | None, str | None, str | None],
    candidate: tuple[str | None, str | None, str | None],
    weights: Weights = Weights(),
) -> float:
    """Weighted similarity of (name, address, legal representative); fields missing on either side don't count."""
    parts = [(weights.name, text_similarity(org_core(record[0]), org_core(candidate[0])))]
    if record[1] and candidate[1]:
        parts.append((weights.address, overlap(address_core(record[1]), address_core(candidate[1]))))
    if record[2] and candidate[2]:
        rep_a, rep_b = (clean_text(record[2]) or ""), (clean_text(candidate[2]) or "")
        parts.append((weights.legal_representative, text_similarity(rep_a, rep_b)))
    total = sum(w for w, _ in parts)
    return round(sum(w * s for w, s in parts) / total, 4)


def candidate_query(name: str) -> str | None:
    """A tsquery for candidates: any three-character run of the name's core (two adjacent bigrams)."""
    core = org_core(name) or (clean_text(name) or "").replace(" ", "").lower()
    runs = re.findall(r"[\u3400-\u9fff\uf900-\ufaff]+|[0-9a-z]+", core)
    clauses: list[str] = []
    for run in runs:
        if not ("\u3400" <= run[0] <= "\ufaff"):
            clauses.append(f"{run}:*")
        elif len(run) == 1:
            clauses.append(f"{run}:*")
        elif len(run) == 2:
            clauses.append(run)
        else:
            clauses.extend(f"({run[i : i + 2]} <-> {run[i + 1 : i + 3]})" for i in range(len(run) - 2))
    return " | ".join(dict.fromkeys(clauses)) if clauses else None
