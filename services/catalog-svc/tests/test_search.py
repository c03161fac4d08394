"""Chinese keyword search on the bigram index: adjacency, single characters, Latin case, pages past the end."""

from __future__ import annotations

import pytest
from catalog_fixtures import Catalog, item_body

pytest_plugins = ["catalog_fixtures"]
pytestmark = pytest.mark.asyncio(loop_scope="session")

NAMES = [
    "对药品零售企业的监督检查",
    "对零售药店药品质量的抽查",  # every bigram of 药品零售 is absent or apart: 药品 and 零售 are not adjacent
    "对医疗器械经营企业的监督检查",
    "对GMP认证药品生产企业的检查",
]


async def names(cat: Catalog, **params: object) -> tuple[list[str], int]:
    r = await cat.client.get("/v1/items", params={"sort": "name", **params}, headers=cat.as_admin())
    assert r.status_code == 200, r.text
    body = r.json()
    return [i["name"] for i in body["items"]], body["total"]


async def test_keyword_matches_adjacent_characters_only(catalog: Catalog) -> None:
    for name in NAMES:
        r = await catalog.client.post("/v1/items", json=item_body(name=name), headers=catalog.as_dept())
        assert r.status_code == 201, r.text
    assert await names(catalog, q="药品零售") == (["对药品零售企业的监督检查"], 1)
    assert await names(catalog, q="监督检查") == (sorted([NAMES[0], NAMES[2]]), 2)
    assert (await names(catalog, q="械"))[1] == 1  # one character: no bigram, the name is scanned
    assert await names(catalog, q="gmp认证") == ([NAMES[3]], 1)  # Latin letters in any case
    assert await names(catalog, q="ＧＭＰ") == ([NAMES[3]], 1)  # full-width input is normalised
    assert await names(catalog, q="100%") == ([], 0)  # LIKE wildcards are literal
    with_enterprise = sorted([NAMES[0], NAMES[2], NAMES[3]])
    assert await names(catalog, q="企业", limit=1, page=2) == ([with_enterprise[1]], 3)
    assert await names(catalog, q="企业", limit=2, page=5) == ([], 3)  # past the end: still the total
