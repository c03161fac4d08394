"""Citations of laws in text: 《法律名称》第X条, as item lists write their legal bases."""

from __future__ import annotations

import re

_LEGAL_BASIS_RE = re.compile(r"《(?P<law>[^》]+)》\s*(?P<article>第[^，,；;、《]*?条)?")


def legal_basis_refs(text: str | None) -> list[tuple[str, str | None]]:
    """(law title, article) of each 《法律》第X条 in a text; free text without a title gives none."""
    if not text:
        return []
    return [(m["law"].strip(), m["article"] or None) for m in _LEGAL_BASIS_RE.finditer(text)]
