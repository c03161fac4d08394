"""Aggregation review (事项汇聚审核): the owner of a region's list reviews what its departments submit."""

from __future__ import annotations

import uuid

import pytest
from catalog_fixtures import OTHER_DEPT, OWNER_DEPT, REVIEW_DEPT, Catalog, item_body

pytest_plugins = ["catalog_fixtures"]
pytestmark = pytest.mark.asyncio(loop_scope="session")

PROVINCE_OFFICE = uuid.uuid4()


async def submitted(cat: Catalog, name: str, department: uuid.UUID = OWNER_DEPT, region: str = "341600") -> str:
    headers = cat.as_dept(department, region=region)
    r = await cat.client.post(
        "/v1/items", json=item_body(name=name, department_id=str(department), region_code=region), headers=headers
    )
    assert r.status_code == 201, r.text
    item_id = str(r.json()["id"])
    r = await cat.client.post(f"/v1/items/{item_id}/submit", headers=headers)
    assert r.status_code == 200, r.text
    return item_id


async def test_the_list_owner_reviews_and_sees_its_queue(catalog: Catalog) -> None:
    first = await submitted(catalog, "对食品生产企业的监督检查")
    second = await submitted(catalog, "对食品销售者的监督检查", OTHER_DEPT, "341602")

    # no owner named: any other department of the region reviews
    queue = (await catalog.client.get("/v1/items/review-queue", headers=catalog.as_dept(REVIEW_DEPT))).json()
    assert {i["id"] for i in queue["items"]} == {first, second}
    assert queue["items"][0]["reviewer"] is None
    own = (await catalog.client.get("/v1/items/review-queue", headers=catalog.as_dept())).json()
    assert [i["id"] for i in own["items"]] == [second]  # never its own items

    owner = {"department_id": str(PROVINCE_OFFICE), "department_name": "安徽省数据资源管理局"}
    r = await catalog.client.put("/v1/list-owners/340000", json=owner, headers=catalog.as_dept())
    assert r.status_code == 403, r.text
    r = await catalog.client.put("/v1/list-owners/340000", json=owner, headers=catalog.as_admin())
    assert r.status_code == 200, r.text
    assert (await catalog.client.get("/v1/list-owners", headers=catalog.as_dept())).json()[0]["region_code"] == "340000"

    province = catalog.as_dept(PROVINCE_OFFICE, region="340000")
    queue = (await catalog.client.get("/v1/items/review-queue", headers=province)).json()
    assert {i["id"] for i in queue["items"]} == {first, second}
    assert {i["reviewer"] for i in queue["items"]} == {"安徽省数据资源管理局"}
    assert (await catalog.client.get("/v1/items/review-queue", headers=catalog.as_dept(REVIEW_DEPT))).json()[
        "total"
    ] == 0
    r = await catalog.client.post(
        f"/v1/items/{first}/review", json={"decision": "approve"}, headers=catalog.as_dept(REVIEW_DEPT)
    )
    assert r.status_code == 403, r.text
    assert "安徽省数据资源管理局" in r.json()["detail"]

    # batch review: all or none
    r = await catalog.client.post(
        "/v1/items/reviews", json={"item_ids": [first, second], "decision": "return"}, headers=province
    )
    assert r.status_code == 422, r.text  # returning needs a comment
    draft = (await catalog.client.post("/v1/items", json=item_body(name="草稿"), headers=catalog.as_dept())).json()[
        "id"
    ]
    r = await catalog.client.post(
        "/v1/items/reviews", json={"item_ids": [first, draft], "decision": "approve"}, headers=province
    )
    assert r.status_code == 404, r.text  # a draft of another department is not the reviewer's to see
    assert draft in r.json()["detail"]
    item = (await catalog.client.get(f"/v1/items/{first}", headers=province)).json()
    assert item["status"] == "submitted"  # nothing partial
    r = await catalog.client.post(
        "/v1/items/reviews", json={"item_ids": [first, second], "decision": "approve"}, headers=province
    )
    assert r.status_code == 200, r.text
    assert [i["status"] for i in r.json()] == ["approved", "approved"]

    # a nearer owner takes over its region
    city_office = uuid.uuid4()
    await catalog.client.put(
        "/v1/list-owners/341600",
        json={"department_id": str(city_office), "department_name": "亳州市数据资源管理局"},
        headers=catalog.as_admin(),
    )
    third = await submitted(catalog, "对餐饮服务提供者的监督检查")
    r = await catalog.client.post(f"/v1/items/{third}/review", json={"decision": "approve"}, headers=province)
    assert r.status_code == 403, r.text
    city = catalog.as_dept(city_office, region="341600")
    assert [i["id"] for i in (await catalog.client.get("/v1/items/review-queue", headers=city)).json()["items"]] == [
        third
    ]
    r = await catalog.client.post(f"/v1/items/{third}/review", json={"decision": "approve"}, headers=city)
    assert r.status_code == 200, r.text
    assert (await catalog.client.delete("/v1/list-owners/341600", headers=catalog.as_admin())).status_code == 204
    assert (await catalog.client.delete("/v1/list-owners/341600", headers=catalog.as_admin())).status_code == 404
