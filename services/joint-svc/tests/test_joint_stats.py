"""Statistics on volumes, timeliness and overdue tasks by department, within data scope; supervision routes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from joint_fixtures import Dept, Joint, make_depts

pytest_plugins = ["joint_fixtures"]
pytestmark = pytest.mark.asyncio(loop_scope="session")


async def request(joint: Joint, sender: Dept, receiver: Dept) -> dict[str, Any]:
    r = await joint.client.post(
        "/v1/assistance-requests",
        json={
            "department_id": str(receiver.id),
            "assistance_type": "co_handling",
            "title": "协办某建筑工地扬尘投诉",
            "content": "请协助现场核查。",
            "deadline_workdays": 5,
        },
        headers=joint.token(sender),
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def answer(joint: Joint, task: dict[str, Any], receiver: Dept) -> None:
    for action, body in (("accept", {}), ("submit_result", {"result": {"suggestion": "已核查"}})):
        r = await joint.client.post(
            f"/v1/tasks/{task['id']}/actions/{action}", json=body, headers=joint.token(receiver)
        )
        assert r.status_code == 200, r.text


class TestStatistics:
    async def test_volumes_timeliness_and_overdue_by_receiving_department(self, joint: Joint) -> None:
        d = make_depts(uuid.uuid4().hex[:6])
        await joint.departments(*d.values())
        on_time, overdue, late = [await request(joint, d["ecology"], d["market"]) for _ in range(3)]
        declined = await request(joint, d["ecology"], d["health"])
        await answer(joint, on_time, d["market"])
        await answer(joint, late, d["market"])
        r = await joint.client.post(
            f"/v1/tasks/{declined['id']}/actions/decline", json={"reason": "不属我委"}, headers=joint.token(d["health"])
        )
        assert r.status_code == 200, r.text
        async with joint.engine.begin() as conn:  # one answered after its deadline, one left past it
            await conn.exec_driver_sql(
                f"UPDATE joint_tasks SET deadline = fed_back_at - interval '1 day' WHERE id = '{late['id']}'"
            )
            await conn.exec_driver_sql(
                f"UPDATE joint_tasks SET deadline = now() - interval '1 day' WHERE id = '{overdue['id']}'"
            )

        sender = joint.token(
            d["ecology"], "inspector"
        )  # (a department administrator also sees its region's unassigned tasks)
        r = await joint.client.get("/v1/statistics/tasks", headers=sender)
        assert r.status_code == 200, r.text
        report = r.json()
        rows = {row["key"]: row for row in report["rows"]}
        assert set(rows) == {str(d["market"].id), str(d["health"].id)}  # the tasks the ecology bureau sent
        market = rows[str(d["market"].id)]
        assert market["name"] == d["market"].name
        assert (market["total"], market["dispatched"], market["feedback"]) == (3, 1, 2)
        assert (market["completed"], market["completed_on_time"], market["completed_late"]) == (2, 1, 1)
        assert (market["open"], market["overdue"], market["timeliness_rate"]) == (1, 1, 0.5)
        assert market["avg_claim_hours"] is not None
        health = rows[str(d["health"].id)]
        assert (health["ended"], health["completed"], health["open"]) == (1, 1, 0)
        assert report["totals"]["total"] == 4

        r = await joint.client.get(
            "/v1/statistics/tasks", params={"group_by": "initiator"}, headers=joint.token(d["market"], "inspector")
        )
        [row] = r.json()["rows"]
        assert (row["key"], row["total"]) == (str(d["ecology"].id), 3)

        r = await joint.client.get(
            "/v1/statistics/tasks", params={"group_by": "kind", "kind": "assistance"}, headers=sender
        )
        assert [(row["key"], row["total"]) for row in r.json()["rows"]] == [("assistance", 4)]

        r = await joint.client.get("/v1/statistics/tasks", headers=joint.token(None, "leader", region_code="320000"))
        assert r.json()["totals"]["total"] == 0
        r = await joint.client.get("/v1/statistics/tasks", params={"region_code": "3416"}, headers=joint.admin())
        rows = {row["key"]: row for row in r.json()["rows"]}
        assert rows[str(d["market"].id)]["overdue"] == 1

        r = await joint.client.get("/v1/tasks", params={"overdue": True}, headers=sender)
        assert [t["id"] for t in r.json()["items"]] == [overdue["id"]]
        r = await joint.client.get("/v1/statistics/tasks", params={"group_by": "nobody"}, headers=joint.admin())
        assert r.status_code == 422, r.text


class TestRoutes:
    async def test_the_most_specific_route_names_the_supervising_department(self, joint: Joint) -> None:
        d = make_depts(uuid.uuid4().hex[:6], region="341623")
        await joint.departments(*d.values())
        admin = joint.token(d["city"], region_code="341600")
        industry = f"C{uuid.uuid4().int % 90 + 10}"
        for body in (
            {"industry_code": industry, "region_code": "341600", "department_id": str(d["city"].id)},
            {"industry_code": f"{industry}1", "region_code": "341623", "department_id": str(d["market"].id)},
        ):
            r = await joint.client.post("/v1/routes", json=body, headers=admin)
            assert r.status_code in (201, 409), r.text
        r = await joint.client.get(
            "/v1/routes/resolve", params={"industry_code": f"{industry}11", "region_code": "341623"}, headers=admin
        )
        assert r.json()["department_id"] == str(d["market"].id), r.text
        r = await joint.client.get(
            "/v1/routes/resolve", params={"industry_code": f"{industry}21", "region_code": "341602"}, headers=admin
        )
        assert r.json()["department_id"] == str(d["city"].id), r.text
        r = await joint.client.get(
            "/v1/routes/resolve", params={"industry_code": "A01", "region_code": "110101"}, headers=admin
        )
        assert r.status_code == 404, r.text

    async def test_only_department_administrators_of_the_region_keep_routes(
        self, joint: Joint, org: dict[str, Dept]
    ) -> None:
        body = {"industry_code": "H61", "region_code": "341602", "department_id": str(org["market"].id)}
        r = await joint.client.post("/v1/routes", json=body, headers=joint.token(org["market"], "inspector"))
        assert r.status_code == 403, r.text
        r = await joint.client.post(
            "/v1/routes", json={**body, "region_code": "320100"}, headers=joint.token(org["market"])
        )
        assert r.status_code == 403, r.text
        r = await joint.client.post(
            "/v1/routes", json={**body, "department_id": str(uuid.uuid4())}, headers=joint.token(org["market"])
        )
        assert r.status_code == 422, r.text
        r = await joint.client.post(
            "/v1/routes", json={**body, "industry_code": "Z99"}, headers=joint.token(org["market"])
        )
        assert r.status_code == 422, r.text
