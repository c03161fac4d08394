"""The legal-basis library and dynamic adjustment (立改废释): a changed article opens adjustment tasks for the
owners of every item and inspection list resting on it; tasks close only when the item was dealt with."""

from __future__ import annotations

from typing import Any

import pytest
from catalog_fixtures import AGENCY_USCC, OTHER_DEPT, OWNER_DEPT, REVIEW_DEPT, Catalog, item_body, published_item

pytest_plugins = ["catalog_fixtures"]
pytestmark = pytest.mark.asyncio(loop_scope="session")

FOOD_LAW = {
    "title": "中华人民共和国食品安全法",
    "document_number": "主席令第二十一号",
    "issuer": "全国人民代表大会常务委员会",
    "effective_on": "2015-10-01",
    "articles": [
        {"article": "第一百一十条", "text": "县级以上人民政府食品安全监督管理部门履行食品安全监督管理职责……"},
        {"article": "第一百二十二条", "text": "违反本法规定，未取得食品生产经营许可从事食品生产经营活动……"},
    ],
}


async def add_food_law(cat: Catalog) -> dict[str, Any]:
    r = await cat.client.post("/v1/laws", json=FOOD_LAW, headers=cat.as_admin())
    assert r.status_code == 201, r.text
    return dict(r.json())


async def inspection_list(cat: Catalog, item_id: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "item_id": item_id,
        "level": "city",
        "agency_uscc": AGENCY_USCC,
        "implementing_agency": "亳州市市场监督管理局",
        "region_code": "341600",
        "content": "检查食品生产许可证",
        "method": "on_site",
        "basis": "《中华人民共和国食品安全法》第一百一十条",
        **overrides,
    }
    r = await cat.client.post("/v1/inspection-lists", json=body, headers=cat.as_dept())
    assert r.status_code == 201, r.text
    return dict(r.json())


async def published_by(cat: Catalog, department: Any, region: str, **overrides: Any) -> dict[str, Any]:
    """An item of another department, through the whole lifecycle."""
    owner = cat.as_dept(department, region=region)
    r = await cat.client.post(
        "/v1/items", json=item_body(department_id=str(department), region_code=region, **overrides), headers=owner
    )
    assert r.status_code == 201, r.text
    item_id = r.json()["id"]
    await cat.client.post(f"/v1/items/{item_id}/submit", headers=owner)
    await cat.client.post(
        f"/v1/items/{item_id}/review", json={"decision": "approve"}, headers=cat.as_dept(REVIEW_DEPT, region=region)
    )
    r = await cat.client.post(f"/v1/items/{item_id}/publish", headers=owner)
    assert r.status_code == 200, r.text
    return dict(r.json())


class TestLibrary:
    async def test_crud_and_linking_of_bases_given_as_text(self, catalog: Catalog) -> None:
        # an item citing the law as text before the law is in the library
        item = await published_item(catalog)
        assert item["legal_bases"][0]["law_id"] is None
        law = await add_food_law(catalog)
        assert [a["article"] for a in law["articles"]] == ["第一百一十条", "第一百二十二条"]
        item = (await catalog.client.get(f"/v1/items/{item['id']}", headers=catalog.as_admin())).json()
        assert item["legal_bases"][0]["law_id"] == law["id"]
        assert item["legal_bases"][0]["article_id"] == law["articles"][0]["id"]

        r = await catalog.client.post("/v1/laws", json=FOOD_LAW, headers=catalog.as_admin())
        assert r.status_code == 409, r.text
        r = await catalog.client.post(
            "/v1/laws",
            json={"title": "某条例", "articles": [{"article": "第一条"}, {"article": "第一条"}]},
            headers=catalog.as_admin(),
        )
        assert r.status_code == 422, r.text
        r = await catalog.client.post("/v1/laws", json={"title": "某条例"}, headers=catalog.as_dept(role="inspector"))
        assert r.status_code == 403, r.text

        page = (await catalog.client.get("/v1/laws", params={"q": "食品"}, headers=catalog.as_dept())).json()
        assert [x["title"] for x in page["items"]] == ["中华人民共和国食品安全法"]
        r = await catalog.client.patch(
            f"/v1/laws/{law['id']}", json={"document_number": "主席令第八十一号"}, headers=catalog.as_dept()
        )
        assert r.json()["document_number"] == "主席令第八十一号"
        r = await catalog.client.post(
            f"/v1/laws/{law['id']}/articles", json={"article": "第一百二十四条"}, headers=catalog.as_admin()
        )
        assert r.status_code == 201, r.text
        spare = r.json()["id"]
        r = await catalog.client.post(
            f"/v1/laws/{law['id']}/articles", json={"article": "第一百二十四条"}, headers=catalog.as_admin()
        )
        assert r.status_code == 409, r.text
        r = await catalog.client.patch(
            f"/v1/law-articles/{spare}", json={"text": "违反本法规定，有下列情形之一的……"}, headers=catalog.as_admin()
        )
        assert r.status_code == 200, r.text
        assert (await catalog.client.delete(f"/v1/law-articles/{spare}", headers=catalog.as_admin())).status_code == 204
        # cited: it stays
        r = await catalog.client.delete(f"/v1/law-articles/{law['articles'][0]['id']}", headers=catalog.as_admin())
        assert r.status_code == 409, r.text
        assert (await catalog.client.delete(f"/v1/laws/{law['id']}", headers=catalog.as_admin())).status_code == 409
        r = await catalog.client.post("/v1/laws", json={"title": "暂行办法"}, headers=catalog.as_admin())
        assert (
            await catalog.client.delete(f"/v1/laws/{r.json()['id']}", headers=catalog.as_admin())
        ).status_code == 204


class TestDynamicAdjustment:
    async def test_amendment_opens_tasks_for_items_and_lists_and_they_close_when_dealt_with(
        self, catalog: Catalog
    ) -> None:
        law = await add_food_law(catalog)
        article = law["articles"][0]
        item = await published_item(catalog)
        listing = await inspection_list(catalog, item["id"])
        other = await published_by(catalog, OTHER_DEPT, "341602", name="对食品销售者的监督检查")
        unrelated = await published_item(
            catalog,
            name="对无证经营的处罚",
            legal_bases=[{"law_title": "中华人民共和国食品安全法", "article": "第一百二十二条"}],
        )
        r = await catalog.client.get(f"/v1/law-articles/{article['id']}/affected", headers=catalog.as_dept())
        assert {i["id"] for i in r.json()["items"]} == {item["id"], other["id"]}
        assert [x["id"] for x in r.json()["inspection_lists"]] == [listing["id"]]

        r = await catalog.client.post(
            f"/v1/law-articles/{article['id']}/changes",
            json={
                "change": "amend",
                "text": "县级以上人民政府食品安全监督管理部门应当……（2021年修正）",
                "note": "2021年修正",
            },
            headers=catalog.as_admin(),
        )
        assert r.status_code == 201, r.text
        result = r.json()
        assert result["tasks_opened"] == 3
        assert (result["change"]["affected_items"], result["change"]["affected_lists"]) == (2, 1)
        assert result["change"]["previous_text"] == article["text"]
        assert unrelated["id"] not in {i["id"] for i in result["affected"]["items"]}
        r = await catalog.client.get(f"/v1/law-articles/{article['id']}", headers=catalog.as_dept())
        assert (r.json()["status"], r.json()["version"]) == ("amended", 2)

        # each owner sees its own tasks
        mine = (await catalog.client.get("/v1/adjustment-tasks", headers=catalog.as_dept())).json()
        assert {(t["item_id"], t["inspection_list_id"]) for t in mine["items"]} == {
            (item["id"], None),
            (None, listing["id"]),
        }
        theirs = (
            await catalog.client.get("/v1/adjustment-tasks", headers=catalog.as_dept(OTHER_DEPT, region="341602"))
        ).json()
        assert [t["item_id"] for t in theirs["items"]] == [other["id"]]
        assert "第一百一十条 amended" in theirs["items"][0]["note"]

        item_task = next(t for t in mine["items"] if t["item_id"])
        close = f"/v1/adjustment-tasks/{item_task['id']}/close"
        r = await catalog.client.post(close, json={"resolution": "adjusted"}, headers=catalog.as_dept())
        assert r.status_code == 409, r.text  # not adjusted yet
        r = await catalog.client.post(close, json={"resolution": "unchanged"}, headers=catalog.as_dept())
        assert r.status_code == 422, r.text  # needs the reason
        r = await catalog.client.post(close, json={"resolution": "adjusted"}, headers=catalog.as_dept(OTHER_DEPT))
        assert r.status_code == 404, r.text  # not their task
        r = await catalog.client.post(
            f"/v1/items/{item['id']}/adjust",
            json={"changes": {"measures": ["责令改正", "约谈", "警告"]}, "reason": "《食品安全法》第一百一十条修正"},
            headers=catalog.as_dept(),
        )
        assert r.status_code == 200, r.text
        r = await catalog.client.post(close, json={"resolution": "adjusted"}, headers=catalog.as_dept())
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["resolution"]) == ("resolved", "adjusted")
        r = await catalog.client.post(close, json={"resolution": "adjusted"}, headers=catalog.as_dept())
        assert r.status_code == 409, r.text

        list_task = next(t for t in mine["items"] if t["inspection_list_id"])
        r = await catalog.client.post(
            f"/v1/adjustment-tasks/{list_task['id']}/close",
            json={"resolution": "unchanged", "note": "检查内容不受修正影响"},
            headers=catalog.as_dept(),
        )
        assert r.status_code == 200, r.text
        open_tasks = (
            await catalog.client.get("/v1/adjustment-tasks", params={"status": "open"}, headers=catalog.as_admin())
        ).json()
        assert [t["item_id"] for t in open_tasks["items"]] == [other["id"]]

    async def test_repeal_is_final_and_changes_are_checked(self, catalog: Catalog) -> None:
        law = await add_food_law(catalog)
        article = law["articles"][1]
        url = f"/v1/law-articles/{article['id']}/changes"
        for body in (
            {"change": "amend"},
            {"change": "interpret"},
            {"change": "repeal", "text": "新文本"},
            {"change": "amend", "text": article["text"]},
        ):
            r = await catalog.client.post(url, json=body, headers=catalog.as_admin())
            assert r.status_code == 422, (body, r.text)
        r = await catalog.client.post(
            url, json={"change": "interpret", "note": "“未取得许可”含许可过期"}, headers=catalog.as_admin()
        )
        assert r.status_code == 201, r.text
        assert r.json()["tasks_opened"] == 0
        r = await catalog.client.post(url, json={"change": "repeal", "note": "删除"}, headers=catalog.as_admin())
        assert r.status_code == 201, r.text
        r = await catalog.client.post(url, json={"change": "amend", "text": "复活"}, headers=catalog.as_admin())
        assert r.status_code == 409, r.text
        r = await catalog.client.patch(
            f"/v1/law-articles/{article['id']}", json={"text": "改字"}, headers=catalog.as_admin()
        )
        assert r.status_code == 409, r.text  # a changed article is corrected by a change, not in place
        changes = (await catalog.client.get(url, headers=catalog.as_dept())).json()
        assert [(c["change"], c["version"]) for c in changes] == [("interpret", 2), ("repeal", 3)]

    async def test_abolishing_closes_a_task_as_abolished(self, catalog: Catalog) -> None:
        law = await add_food_law(catalog)
        item = await published_item(catalog)
        await catalog.client.post(
            f"/v1/law-articles/{law['articles'][0]['id']}/changes",
            json={"change": "repeal", "note": "条款删除"},
            headers=catalog.as_admin(),
        )
        (task,) = (await catalog.client.get("/v1/adjustment-tasks", headers=catalog.as_dept())).json()["items"]
        close = f"/v1/adjustment-tasks/{task['id']}/close"
        r = await catalog.client.post(close, json={"resolution": "abolished"}, headers=catalog.as_dept())
        assert r.status_code == 409, r.text
        await catalog.client.post(
            f"/v1/items/{item['id']}/abolish", json={"reason": "设定依据废止"}, headers=catalog.as_dept()
        )
        r = await catalog.client.post(close, json={"resolution": "abolished"}, headers=catalog.as_dept(OWNER_DEPT))
        assert r.status_code == 200, r.text


class TestBasesOfAnItem:
    async def test_replacing_bases_keeps_one_row_per_position(self, catalog: Catalog) -> None:
        law = await add_food_law(catalog)
        r = await catalog.client.post("/v1/items", json=item_body(), headers=catalog.as_dept())
        item_id = r.json()["id"]
        bases = [
            {"article_id": law["articles"][1]["id"]},
            {"law_title": "中华人民共和国行政处罚法", "article": "第二十八条"},
        ]
        r = await catalog.client.patch(f"/v1/items/{item_id}", json={"legal_bases": bases}, headers=catalog.as_dept())
        assert r.status_code == 200, r.text
        assert [(b["law_title"], b["article"]) for b in r.json()["legal_bases"]] == [
            ("中华人民共和国食品安全法", "第一百二十二条"),
            ("中华人民共和国行政处罚法", "第二十八条"),
        ]
        r = await catalog.client.patch(
            f"/v1/items/{item_id}",
            json={"legal_basis": "《中华人民共和国食品安全法》第一百一十条"},
            headers=catalog.as_dept(),
        )
        assert [b["article_id"] for b in r.json()["legal_bases"]] == [law["articles"][0]["id"]]
        versions = (await catalog.client.get(f"/v1/items/{item_id}/versions", headers=catalog.as_dept())).json()
        assert [v["version"] for v in versions] == [1, 2, 3]
