"""Inspection implementation lists: codes from the agency's USCC and level, forms and their validation."""

from __future__ import annotations

from typing import Any

import pytest
from catalog_fixtures import AGENCY_USCC, Catalog, published_item
from sqlalchemy import text

from svc_runtime.cloudevents import from_kafka
from svc_runtime.db import create_engine

pytest_plugins = ["catalog_fixtures"]
pytestmark = pytest.mark.asyncio(loop_scope="session")

FORM = [
    {"key": "licence_valid", "label": "许可证是否有效", "type": "boolean", "required": True},
    {"key": "staff_count", "label": "从业人员数", "type": "integer", "min": 0, "max": 100000},
    {
        "key": "result",
        "label": "检查结果",
        "type": "select",
        "required": True,
        "options": ["合格", "不合格", "责令整改"],
    },
    {"key": "checked_on", "label": "检查日期", "type": "date", "required": True},
]


def list_body(item_id: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "item_id": item_id,
        "level": "city",
        "agency_uscc": AGENCY_USCC,
        "implementing_agency": "亳州市市场监督管理局",
        "region_code": "341600",
        "content": "检查食品生产许可证、从业人员健康证明、进货查验记录",
        "method": "on_site",
        "basis": "《中华人民共和国食品安全法》第一百一十条",
        "frequency": "每年不少于1次",
        "object_scope": "辖区内食品生产企业",
        "form": FORM,
    }
    body.update(overrides)
    return body


class TestInspectionLists:
    async def test_publish_generates_uscc_level_code_and_validates_forms(self, catalog: Catalog) -> None:
        item = await published_item(catalog)
        r = await catalog.client.post("/v1/inspection-lists", json=list_body(item["id"]), headers=catalog.as_dept())
        assert r.status_code == 201, r.text
        list_id = r.json()["id"]
        r = await catalog.client.post(f"/v1/inspection-lists/{list_id}/publish", headers=catalog.as_dept())
        assert r.status_code == 200, r.text
        code = r.json()["code"]
        assert code == f"{AGENCY_USCC}300001"
        r = await catalog.client.post(f"/v1/inspection-lists/{list_id}/publish", headers=catalog.as_dept())
        assert r.status_code == 409, r.text

        ok = {"licence_valid": True, "staff_count": 12, "result": "合格", "checked_on": "2026-11-20"}
        r = await catalog.client.post(
            f"/v1/inspection-lists/{list_id}/form-check", json={"values": ok}, headers=catalog.as_dept()
        )
        assert r.json() == {"valid": True, "errors": []}
        bad = {"staff_count": 1.5, "result": "优秀", "checked_on": "20/11/2026", "extra": 1}
        r = await catalog.client.post(
            f"/v1/inspection-lists/{list_id}/form-check", json={"values": bad}, headers=catalog.as_dept()
        )
        errors = {e["field"] for e in r.json()["errors"]}
        assert r.json()["valid"] is False
        assert errors == {"licence_valid", "staff_count", "result", "checked_on", "extra"}

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"agency_uscc": "91341600MA2N0K6X6A"}, "agency_uscc"),
            ({"form": [{"key": "a", "label": "A", "type": "select"}]}, "form"),
            ({"form": [FORM[0], FORM[0]]}, "form"),
            ({"level": "galaxy"}, "level"),
        ],
    )
    async def test_bad_definitions_are_refused(self, catalog: Catalog, change: dict[str, Any], field: str) -> None:
        item = await published_item(catalog)
        r = await catalog.client.post(
            "/v1/inspection-lists", json=list_body(item["id"], **change), headers=catalog.as_dept()
        )
        assert r.status_code == 422, r.text
        assert any(field in e["loc"] for e in r.json()["errors"]), r.text

    async def test_list_needs_an_item_in_force(self, catalog: Catalog) -> None:
        r = await catalog.client.post(
            "/v1/items",
            json={
                "name": "草稿事项",
                "item_type": "administrative_inspection",
                "supervision_level": "city",
                "implementing_department": "亳州市市场监督管理局",
                "region_code": "341600",
            },
            headers=catalog.as_admin(),
        )
        r = await catalog.client.post(
            "/v1/inspection-lists", json=list_body(r.json()["id"]), headers=catalog.as_admin()
        )
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["loc"] == ["body", "item_id"]


async def list_events(url: str) -> list[Any]:
    engine = create_engine(url, pool_size=1)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT payload, headers FROM outbox_events WHERE topic LIKE '%inspection%' ORDER BY seq")
            )
        ).all()
    await engine.dispose()
    return [from_kafka(p, [(k, v.encode()) for k, v in h.items()]) for p, h in rows]


class TestListLifecycle:
    async def test_adjustment_is_a_new_version_published_again_and_abolition_retires_the_code(
        self, catalog: Catalog
    ) -> None:
        item = await published_item(catalog)
        r = await catalog.client.post("/v1/inspection-lists", json=list_body(item["id"]), headers=catalog.as_dept())
        list_id = r.json()["id"]
        r = await catalog.client.post(
            f"/v1/inspection-lists/{list_id}/adjust",
            json={"changes": {"frequency": "每年2次"}, "reason": "草稿"},
            headers=catalog.as_dept(),
        )
        assert r.status_code == 409, r.text  # a draft is published as it is
        r = await catalog.client.post(f"/v1/inspection-lists/{list_id}/publish", headers=catalog.as_dept())
        code = r.json()["code"]

        photo = {"key": "photo_taken", "label": "是否拍照留存", "type": "boolean", "required": True}
        r = await catalog.client.post(
            f"/v1/inspection-lists/{list_id}/adjust",
            json={"changes": {"form": [*FORM, photo], "frequency": "每年不少于2次"}, "reason": "《食品安全法》修正"},
            headers=catalog.as_dept(),
        )
        assert r.status_code == 200, r.text
        adjusted = r.json()
        assert (adjusted["code"], adjusted["version"], adjusted["status"]) == (code, 2, "published")
        assert adjusted["frequency"] == "每年不少于2次"
        assert [f["key"] for f in adjusted["form"]][-1] == "photo_taken"
        r = await catalog.client.post(
            f"/v1/inspection-lists/{list_id}/form-check",
            json={"values": {"licence_valid": True, "result": "合格", "checked_on": "2026-11-20"}},
            headers=catalog.as_dept(),
        )
        assert [e["field"] for e in r.json()["errors"]] == ["photo_taken"]
        events = await list_events(catalog.url)
        assert [e.data.version for e in events] == [1, 2]  # type: ignore[attr-defined]
        assert events[1].data.code == code  # type: ignore[attr-defined]
        assert events[1].data.form[-1].key == "photo_taken"  # type: ignore[attr-defined]

        for body in (
            {"changes": {"frequency": "每年不少于2次"}, "reason": "无变化"},
            {"changes": {"content": None}, "reason": "x"},
            {"changes": {"form": [FORM[0], FORM[0]]}, "reason": "x"},
            {"changes": {}, "reason": ""},
        ):
            r = await catalog.client.post(
                f"/v1/inspection-lists/{list_id}/adjust", json=body, headers=catalog.as_dept()
            )
            assert r.status_code == 422, r.text
        r = await catalog.client.get(f"/v1/inspection-lists/{list_id}", headers=catalog.as_dept())
        assert r.json()["version"] == 2  # nothing of a refused adjustment stays

        r = await catalog.client.post(
            f"/v1/inspection-lists/{list_id}/abolish", json={"reason": "检查事项合并"}, headers=catalog.as_dept()
        )
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["abolished_reason"], r.json()["code"]) == (
            "abolished",
            "检查事项合并",
            code,
        )
        for action, body in (
            ("adjust", {"changes": {"frequency": "每月1次"}, "reason": "x"}),
            ("abolish", {"reason": "x"}),
        ):
            r = await catalog.client.post(
                f"/v1/inspection-lists/{list_id}/{action}", json=body, headers=catalog.as_dept()
            )
            assert r.status_code == 409, r.text

        r = await catalog.client.get(f"/v1/inspection-lists/{list_id}/versions", headers=catalog.as_dept())
        assert r.status_code == 200, r.text
        history = r.json()
        assert [(v["version"], v["status"], v["reason"]) for v in history] == [
            (1, "published", None),
            (2, "published", "《食品安全法》修正"),
            (3, "abolished", "检查事项合并"),
        ]
        assert history[0]["snapshot"]["frequency"] == "每年不少于1次"
        assert history[1]["snapshot"]["frequency"] == "每年不少于2次"
        assert history[1]["snapshot"]["code"] == code
        assert history[2]["actor"] == "test-client"

        # the agency drafts a new list for the item and level: it gets a new code, the old one is never reused
        r = await catalog.client.post("/v1/inspection-lists", json=list_body(item["id"]), headers=catalog.as_dept())
        assert r.status_code == 201, r.text
        new_id = r.json()["id"]
        r = await catalog.client.get(f"/v1/inspection-lists/{new_id}/versions", headers=catalog.as_dept())
        assert r.json() == []  # a draft has no version yet
        r = await catalog.client.post(f"/v1/inspection-lists/{new_id}/publish", headers=catalog.as_dept())
        assert r.status_code == 200, r.text
        assert r.json()["code"] != code
        r = await catalog.client.post(
            "/v1/code-schemes/check", json={"target": "inspection_list", "code": code}, headers=catalog.as_dept()
        )
        assert r.json()["allocated"] is True
