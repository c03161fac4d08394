"""Item lifecycle, coding, versions and the fast code check, over HTTP on real PostgreSQL and Redis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from catalog_fixtures import OTHER_DEPT, OWNER_DEPT, REVIEW_DEPT, Catalog, item_body, published_item
from sqlalchemy import text

from svc_runtime.db import create_engine

pytest_plugins = ["catalog_fixtures"]
pytestmark = pytest.mark.asyncio(loop_scope="session")


async def outbox_types(url: str) -> list[str]:
    engine = create_engine(url, pool_size=1)
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT event_type FROM outbox_events ORDER BY seq"))).scalars().all()
    await engine.dispose()
    return [r.rsplit(".", 2)[-2] for r in rows]


class TestLifecycle:
    async def test_full_lifecycle_generates_code_and_versions(self, catalog: Catalog) -> None:
        item = await published_item(catalog)
        assert item["status"] == "published"
        assert item["code"] is not None
        assert len(item["code"]) == 14
        assert item["code"].startswith("34160001")  # region + item type 01
        assert item["code"].endswith("00")  # main item
        assert item["legal_bases"][0]["law_title"] == "中华人民共和国食品安全法"
        assert await outbox_types(catalog.url) == ["created", "published"]

        r = await catalog.client.post(
            f"/v1/items/{item['id']}/adjust",
            json={"changes": {"measures": ["责令改正", "约谈", "行政处罚"]}, "reason": "《食品安全法》修正"},
            headers=catalog.as_dept(),
        )
        assert r.status_code == 200, r.text
        adjusted = r.json()
        assert adjusted["status"] == "adjusted"
        assert adjusted["code"] == item["code"]
        assert adjusted["version"] == item["version"] + 1

        versions = (await catalog.client.get(f"/v1/items/{item['id']}/versions", headers=catalog.as_dept())).json()
        assert [v["change"] for v in versions] == ["created", "submitted", "approved", "published", "adjusted"]
        assert all(v["valid_to"] for v in versions[:-1])
        assert versions[-1]["valid_to"] is None

        r = await catalog.client.get(
            f"/v1/items/{item['id']}/versions/compare", params={"from": 4, "to": 5}, headers=catalog.as_dept()
        )
        assert r.status_code == 200, r.text
        fields = {d["field"] for d in r.json()["differences"]}
        assert "measures" in fields
        assert "code" not in fields

        r = await catalog.client.post(
            f"/v1/items/{item['id']}/abolish", json={"reason": "法律废止"}, headers=catalog.as_dept()
        )
        assert r.status_code == 200, r.text
        assert await outbox_types(catalog.url) == ["created", "published", "adjusted", "abolished"]

    async def test_sub_item_code_extends_its_main_item(self, catalog: Catalog) -> None:
        main = await published_item(catalog)
        sub = await published_item(catalog, parent_id=main["id"], name="对食品销售者的监督检查")
        assert sub["kind"] == "sub"
        assert sub["main_item_name"] == main["name"]
        assert sub["code"][:12] == main["code"][:12]
        assert sub["code"][12:] == "01"
        r = await catalog.client.post(
            f"/v1/items/{main['id']}/abolish", json={"reason": "x"}, headers=catalog.as_dept()
        )
        assert r.status_code == 409, r.text

    async def test_sub_item_waits_for_its_main_item(self, catalog: Catalog) -> None:
        r = await catalog.client.post("/v1/items", json=item_body(), headers=catalog.as_dept())
        main_id = r.json()["id"]
        r = await catalog.client.post("/v1/items", json=item_body(parent_id=main_id), headers=catalog.as_dept())
        sub_id = r.json()["id"]
        await catalog.client.post(f"/v1/items/{sub_id}/submit", headers=catalog.as_dept())
        await catalog.client.post(
            f"/v1/items/{sub_id}/review", json={"decision": "approve"}, headers=catalog.as_dept(REVIEW_DEPT)
        )
        r = await catalog.client.post(f"/v1/items/{sub_id}/publish", headers=catalog.as_dept())
        assert r.status_code == 409, r.text
        assert "main item" in r.json()["detail"]

    @pytest.mark.parametrize("action", ["publish", "abolish", "adjust"])
    async def test_illegal_transitions_from_draft_are_refused(self, catalog: Catalog, action: str) -> None:
        r = await catalog.client.post("/v1/items", json=item_body(), headers=catalog.as_dept())
        item_id = r.json()["id"]
        body = {"publish": None, "abolish": {"reason": "x"}, "adjust": {"changes": {"name": "新"}, "reason": "x"}}[
            action
        ]
        r = await catalog.client.post(f"/v1/items/{item_id}/{action}", json=body, headers=catalog.as_dept())
        assert r.status_code == 409, r.text
        assert r.json()["current_status"] == "draft"
        assert r.headers["content-type"] == "application/problem+json"

    async def test_unreviewed_and_returned_items_cannot_be_published(self, catalog: Catalog) -> None:
        r = await catalog.client.post("/v1/items", json=item_body(), headers=catalog.as_dept())
        item_id = r.json()["id"]
        r = await catalog.client.post(f"/v1/items/{item_id}/submit", headers=catalog.as_dept())
        assert r.json()["status"] == "submitted"
        r = await catalog.client.post(f"/v1/items/{item_id}/publish", headers=catalog.as_dept())
        assert r.status_code == 409, r.text
        assert r.json()["current_status"] == "submitted"
        r = await catalog.client.patch(f"/v1/items/{item_id}", json={"name": "改名"}, headers=catalog.as_dept())
        assert r.status_code == 409, r.text  # under review: not edited in place either
        r = await catalog.client.post(
            f"/v1/items/{item_id}/review",
            json={"decision": "return", "comment": "设定依据条款不准确"},
            headers=catalog.as_dept(REVIEW_DEPT),
        )
        assert r.json()["status"] == "returned"
        r = await catalog.client.post(f"/v1/items/{item_id}/publish", headers=catalog.as_dept())
        assert r.status_code == 409, r.text
        assert r.json()["current_status"] == "returned"
        item = (await catalog.client.get(f"/v1/items/{item_id}", headers=catalog.as_dept())).json()
        assert (item["code"], item["status"], item["name"]) == (None, "returned", "对食品生产经营者的监督检查")
        assert "published" not in await outbox_types(catalog.url)

    async def test_published_item_cannot_be_edited_in_place(self, catalog: Catalog) -> None:
        item = await published_item(catalog)
        r = await catalog.client.patch(f"/v1/items/{item['id']}", json={"name": "改名"}, headers=catalog.as_dept())
        assert r.status_code == 409, r.text
        assert "adjust" in r.json()["detail"]

    async def test_return_with_comments_then_resubmit(self, catalog: Catalog) -> None:
        r = await catalog.client.post("/v1/items", json=item_body(), headers=catalog.as_dept())
        item_id = r.json()["id"]
        await catalog.client.post(f"/v1/items/{item_id}/submit", headers=catalog.as_dept())
        r = await catalog.client.post(
            f"/v1/items/{item_id}/review", json={"decision": "return"}, headers=catalog.as_dept(REVIEW_DEPT)
        )
        assert r.status_code == 422, r.text  # returning needs a comment
        r = await catalog.client.post(
            f"/v1/items/{item_id}/review",
            json={"decision": "return", "comment": "监管措施不全"},
            headers=catalog.as_dept(REVIEW_DEPT),
        )
        assert r.json()["status"] == "returned"
        r = await catalog.client.patch(
            f"/v1/items/{item_id}", json={"measures": ["责令改正"]}, headers=catalog.as_dept()
        )
        assert r.status_code == 200, r.text
        r = await catalog.client.post(f"/v1/items/{item_id}/submit", headers=catalog.as_dept())
        assert r.json()["status"] == "submitted"
        versions = (await catalog.client.get(f"/v1/items/{item_id}/versions", headers=catalog.as_dept())).json()
        assert versions[2]["comment"] == "监管措施不全"

    async def test_own_department_cannot_review(self, catalog: Catalog) -> None:
        r = await catalog.client.post("/v1/items", json=item_body(), headers=catalog.as_dept())
        item_id = r.json()["id"]
        await catalog.client.post(f"/v1/items/{item_id}/submit", headers=catalog.as_dept())
        r = await catalog.client.post(
            f"/v1/items/{item_id}/review", json={"decision": "approve"}, headers=catalog.as_dept()
        )
        assert r.status_code == 409, r.text

    async def test_item_without_legal_basis_cannot_be_submitted(self, catalog: Catalog) -> None:
        r = await catalog.client.post("/v1/items", json=item_body(legal_bases=[]), headers=catalog.as_dept())
        item_id = r.json()["id"]
        r = await catalog.client.post(f"/v1/items/{item_id}/submit", headers=catalog.as_dept())
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["loc"] == ["body", "legal_bases"]

    async def test_text_legal_basis_is_structured(self, catalog: Catalog) -> None:
        r = await catalog.client.post(
            "/v1/items",
            json=item_body(
                legal_bases=[], legal_basis="《中华人民共和国药品管理法》第九十九条；《药品经营质量管理规范》"
            ),
            headers=catalog.as_dept(),
        )
        assert r.status_code == 201, r.text
        bases = r.json()["legal_bases"]
        assert [(b["law_title"], b["article"]) for b in bases] == [
            ("中华人民共和国药品管理法", "第九十九条"),
            ("药品经营质量管理规范", None),
        ]

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"parent_id": "00000000-0000-0000-0000-000000000001"}, "parent_id"),
            ({"legal_bases": [{"article_id": "00000000-0000-0000-0000-000000000001"}]}, "article_id"),
            ({"legal_bases": [{"clause": "无依据"}]}, "legal_bases"),
            ({"agency_uscc": "91341600MA2N0K6X6A"}, "agency_uscc"),
            ({"object_types": ["unicorn"]}, "object_types"),
            ({"code": "3416000100010A"}, "code"),
            ({"code": "99160001000100"}, "code"),
        ],
    )
    async def test_bad_input_names_the_field_and_stores_nothing(
        self, catalog: Catalog, change: dict[str, object], field: str
    ) -> None:
        r = await catalog.client.post("/v1/items", json=item_body(**change), headers=catalog.as_dept())
        assert r.status_code == 422, r.text
        assert any(field in e["loc"] for e in r.json()["errors"]), r.text
        listed = await catalog.client.get("/v1/items", headers=catalog.as_admin())
        assert listed.json()["total"] == 0


class TestCodes:
    async def test_input_code_is_reserved_and_never_reused(self, catalog: Catalog) -> None:
        r = await catalog.client.post("/v1/items", json=item_body(code="34160001000500"), headers=catalog.as_dept())
        assert r.status_code == 201, r.text
        r = await catalog.client.post("/v1/items", json=item_body(code="34160001000500"), headers=catalog.as_dept())
        assert r.status_code == 409, r.text
        # the next generated code skips past the reserved sequence
        item = await published_item(catalog)
        assert item["code"] == "34160001000600"
        r = await catalog.client.post(
            "/v1/code-schemes/check", json={"target": "item", "code": "34160001000500"}, headers=catalog.as_dept()
        )
        assert r.json()["valid"] is True
        assert r.json()["allocated"] is True
        assert r.json()["segments"] == {
            "region": "341600",
            "item_type": "01",
            "main_sequence": "0005",
            "sub_sequence": "00",
        }

    async def test_inspection_list_code_scheme_checks_uscc_and_level(self, catalog: Catalog) -> None:
        for code, ok in [
            ("91341600MA2N0K6X6P300001", True),
            ("91341600MA2N0K6X6A300001", False),
            ("91341600MA2N0K6X6P700001", False),
        ]:
            r = await catalog.client.post(
                "/v1/code-schemes/check", json={"target": "inspection_list", "code": code}, headers=catalog.as_dept()
            )
            assert r.json()["valid"] is ok, r.text

    async def test_new_scheme_version_is_data_not_a_release(self, catalog: Catalog) -> None:
        scheme = {
            "scheme_id": "item-14",
            "target": "item",
            "name": "省级方案",
            "min_length": 14,
            "max_length": 14,
            "segments": [
                {"name": "region", "length": 6, "source": "region_code"},
                {"name": "constant", "length": 2, "source": "constant", "value": "88"},
                {"name": "main_sequence", "length": 4, "source": "sequence"},
                {"name": "sub_sequence", "length": 2, "source": "sub_sequence"},
            ],
            "validators": ["digits", "length"],
        }
        r = await catalog.client.post("/v1/code-schemes", json=scheme, headers=catalog.as_dept())
        assert r.status_code == 403, r.text
        r = await catalog.client.post("/v1/code-schemes", json=scheme, headers=catalog.as_admin())
        assert r.status_code == 201, r.text
        assert r.json()["version"] == 2
        item = await published_item(catalog)
        assert item["code"] == "34160088000100"
        bad = {**scheme, "validators": ["no-such-validator"]}
        r = await catalog.client.post("/v1/code-schemes", json=bad, headers=catalog.as_admin())
        assert r.status_code == 422, r.text


class TestCodeCheck:
    async def test_published_owned_or_claimed_on_date(self, catalog: Catalog) -> None:
        item = await published_item(catalog)
        code = item["code"]
        today = datetime.now(UTC).date()

        async def check(dept: object = None, on: object = None) -> dict[str, object]:
            params = {"code": code, **({"department_id": str(dept)} if dept else {}), **({"on": str(on)} if on else {})}
            r = await catalog.client.get("/v1/code-checks", params=params, headers=catalog.as_dept())
            assert r.status_code == 200, r.text
            return dict(r.json())

        assert (await check())["valid"] is True
        assert (await check(OWNER_DEPT))["valid"] is True
        assert (await check(OTHER_DEPT))["valid"] is False
        assert (await check(on=today - timedelta(days=3)))["valid"] is False
        r = await catalog.client.post(
            f"/v1/items/{item['id']}/claims",
            json={"department_name": "谯城区市场监督管理局", "region_code": "341602", "supervision_level": "county"},
            headers=catalog.as_dept(OTHER_DEPT, region="341602"),
        )
        assert r.status_code == 201, r.text
        assert (await check(OTHER_DEPT))["valid"] is True  # the claim bumped the generation
        await catalog.client.post(f"/v1/items/{item['id']}/abolish", json={"reason": "废止"}, headers=catalog.as_dept())
        assert (await check())["valid"] is False
        r = await catalog.client.post(
            "/v1/code-checks", json={"checks": [{"code": code}, {"code": "00000000000000"}]}, headers=catalog.as_dept()
        )
        assert [c["valid"] for c in r.json()] == [False, False]


class TestQueryAndScope:
    async def test_classified_query_statistics_and_scope(self, catalog: Catalog) -> None:
        await published_item(catalog, name="对药品零售企业的监督检查", domain="药品", object_types=["legal_person"])
        r = await catalog.client.post(
            "/v1/items",
            json=item_body(name="对特种设备使用单位的监督检查", domain="特种设备", object_types=["equipment"]),
            headers=catalog.as_dept(),
        )
        assert r.status_code == 201
        admin = catalog.as_admin()
        page = (await catalog.client.get("/v1/items", params={"q": "药品零售"}, headers=admin)).json()
        assert [i["name"] for i in page["items"]] == ["对药品零售企业的监督检查"]
        page = (await catalog.client.get("/v1/items", params={"object_type": "equipment"}, headers=admin)).json()
        assert page["total"] == 1
        page = (
            await catalog.client.get("/v1/items", params={"status": "published", "domain": "药品"}, headers=admin)
        ).json()
        assert page["total"] == 1
        stats = (await catalog.client.get("/v1/items/statistics", params={"group_by": "status"}, headers=admin)).json()
        assert stats["total"] == 2
        assert {r["key"] for r in stats["rows"]} == {"published", "draft"}
        # another department sees the published catalog but not the other's drafts
        other = catalog.as_dept(OTHER_DEPT)
        assert (await catalog.client.get("/v1/items", headers=other)).json()["total"] == 1
        draft_id = r.json()["id"]
        assert (await catalog.client.get(f"/v1/items/{draft_id}", headers=other)).status_code == 404
        leader = catalog.as_dept(OTHER_DEPT, role="leader")
        assert (await catalog.client.get("/v1/items", headers=leader)).json()["total"] == 2
        r = await catalog.client.post("/v1/items", json=item_body(), headers=leader)
        assert r.status_code == 403, r.text
        r = await catalog.client.post("/v1/items", json=item_body(), headers=other)
        assert r.status_code == 403, r.text  # the body names another department

    async def test_catalog_as_of_a_past_moment(self, catalog: Catalog) -> None:
        item = await published_item(catalog)
        before = datetime.now(UTC)
        await catalog.client.post(
            f"/v1/items/{item['id']}/adjust",
            json={"changes": {"name": "对食品生产经营者的监督检查(2026)"}, "reason": "名称调整"},
            headers=catalog.as_dept(),
        )
        then = (
            await catalog.client.get("/v1/items/as-of", params={"at": before.isoformat()}, headers=catalog.as_admin())
        ).json()
        assert [v["snapshot"]["name"] for v in then["items"]] == ["对食品生产经营者的监督检查"]
        r = await catalog.client.get(
            f"/v1/items/{item['id']}/as-of", params={"at": before.isoformat()}, headers=catalog.as_admin()
        )
        assert r.json()["version"] == 4
        past = (before - timedelta(days=1)).isoformat()
        r = await catalog.client.get(f"/v1/items/{item['id']}/as-of", params={"at": past}, headers=catalog.as_admin())
        assert r.status_code == 404

    async def test_mapping_suggestions_by_same_legal_basis(self, catalog: Catalog) -> None:
        national = await published_item(
            catalog, supervision_level="national", name="对食品生产经营者的监督检查", region_code="340000"
        )
        local = (
            await catalog.client.post(
                "/v1/items", json=item_body(supervision_level="county"), headers=catalog.as_dept()
            )
        ).json()
        r = await catalog.client.get(f"/v1/items/{local['id']}/mapping-suggestions", headers=catalog.as_dept())
        assert r.status_code == 200, r.text
        assert r.json()[0]["item"]["id"] == national["id"]
        r = await catalog.client.post(
            f"/v1/items/{local['id']}/mappings", json={"target_item_id": national["id"]}, headers=catalog.as_dept()
        )
        assert r.status_code == 201, r.text
        r = await catalog.client.post(
            f"/v1/items/{national['id']}/mappings", json={"target_item_id": local["id"]}, headers=catalog.as_dept()
        )
        assert r.status_code == 403, r.text  # not this department's item
        r = await catalog.client.post(
            f"/v1/items/{national['id']}/mappings", json={"target_item_id": local["id"]}, headers=catalog.as_admin()
        )
        assert r.status_code == 422
        assert "cycle" in r.text
