"""Plans: validated against the item list and the organisation tree; bad ones refused with nothing stored."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from rc_helpers import World, abolished, department, item, ok, plan_body, scenario, today

pytest_plugins = ["rc_fixtures"]
pytestmark = pytest.mark.asyncio(loop_scope="session")


async def plan_count(world: World) -> int:
    return int(await world.scalar("SELECT count(*) FROM rc_plans") or 0)


async def refused(world: World, body: dict[str, Any], status: int = 422) -> dict[str, Any]:
    before = await plan_count(world)
    r = await world.client.post("/v1/plans", json=body)
    assert r.status_code == status, r.text
    assert await plan_count(world) == before
    assert (
        await world.scalar("SELECT count(*) FROM rc_plan_departments WHERE plan_id NOT IN (SELECT id FROM rc_plans)")
        == 0
    )
    return r.json()  # type: ignore[no-any-return]


class TestCreate:
    async def test_a_department_plan_takes_default_ratios_for_the_classes_it_does_not_set(self, world: World) -> None:
        setup = await scenario(world)
        plan = ok(await world.client.post("/v1/plans", json=plan_body(setup, class_ratios={"D": 0.9})), 201)
        assert plan["kind"] == "department"
        assert plan["class_ratios"] == {"A": 0.0, "B": 0.05, "C": 0.25, "D": 0.9, "unclassified": 0.05}
        assert plan["lead_ratio"] == 1.0
        assert plan["inspectors_per_object"] == 2
        assert plan["departments"][0]["department_name"] == "部门0"
        got = ok(await world.client.get(f"/v1/plans/{plan['id']}"))
        assert got == plan

    async def test_a_joint_plan_lists_every_department_and_its_items(self, world: World) -> None:
        setup = await scenario(world, departments=3)
        plan = ok(await world.client.post("/v1/plans", json=plan_body(setup)), 201)
        assert plan["kind"] == "joint"
        assert [d["item_codes"] for d in plan["departments"]] == [setup.items[d] for d in setup.departments]
        public = ok(
            await world.client.get(
                "/v1/public/plans", params={"region_code": setup.region}, headers={"authorization": ""}
            )
        )
        assert public["items"][0]["id"] == plan["id"]
        assert "class_ratios" not in public["items"][0]


class TestRefusals:
    @pytest.mark.parametrize(
        ("ratios", "loc"),
        [
            ({"D": 1.5}, ["body", "class_ratios", "D"]),
            ({"B": -0.1}, ["body", "class_ratios", "B"]),
            ({"C": "NaN"}, ["body", "class_ratios", "C"]),
        ],
    )
    async def test_impossible_ratios(self, world: World, ratios: dict[str, Any], loc: list[str]) -> None:
        setup = await scenario(world)
        body = await refused(world, plan_body(setup, class_ratios=ratios))
        assert body["errors"][0]["loc"] == loc

    async def test_an_unknown_credit_class(self, world: World) -> None:
        setup = await scenario(world)
        body = await refused(world, plan_body(setup, class_ratios={"Z": 0.5}))
        assert body["errors"][0]["loc"] == ["body", "class_ratios", "Z"]
        assert "unknown credit class 'Z'" in body["detail"]

    async def test_all_ratios_zero(self, world: World) -> None:
        setup = await scenario(world)
        ratios = {"A": 0, "B": 0, "C": 0, "D": 0, "unclassified": 0}
        body = await refused(world, plan_body(setup, class_ratios=ratios, lead_ratio=0))
        assert "never draw" in body["detail"]

    async def test_unknown_abolished_and_unlisted_item_codes(self, world: World) -> None:
        setup = await scenario(world)
        dept = setup.departments[0]
        gone = item()
        not_listed = item(random_check=False)
        await world.apply(gone, not_listed)
        await world.apply(abolished(gone))
        codes = [*setup.items[dept], "34160099999999", gone.data.code, not_listed.data.code]
        body = await refused(world, plan_body(setup, departments=[{"department_id": str(dept), "item_codes": codes}]))
        messages = {tuple(e["loc"]): e["msg"] for e in body["errors"]}
        assert messages[("body", "departments", 0, "item_codes", 1)].startswith("unknown item code 34160099999999")
        assert "abolished" in messages[("body", "departments", 0, "item_codes", 2)]
        assert "not on the random-check item list" in messages[("body", "departments", 0, "item_codes", 3)]
        assert "unknown item code 34160099999999" in body["detail"]

    async def test_malformed_codes_and_unknown_fields(self, world: World) -> None:
        setup = await scenario(world)
        dept = setup.departments[0]
        await refused(world, plan_body(setup, departments=[{"department_id": str(dept), "item_codes": ["123"]}]))
        await refused(world, plan_body(setup, sampling="random"))
        await refused(world, plan_body(setup, inspectors_per_object=1))

    async def test_unknown_departments_and_an_initiator_that_does_not_take_part(self, world: World) -> None:
        setup = await scenario(world)
        stranger = uuid.uuid4()
        body = await refused(
            world,
            plan_body(
                setup, departments=[{"department_id": str(stranger), "item_codes": setup.items[setup.departments[0]]}]
            ),
        )
        messages = [e["msg"] for e in body["errors"]]
        assert any("must take part" in m for m in messages)
        assert any(f"unknown department {stranger}" in m for m in messages)

    async def test_another_department_cannot_plan_for_mine(self, world: World) -> None:
        setup = await scenario(world)
        other = department("别的局", region=setup.region)
        await world.apply(other)
        before = await plan_count(world)
        r = await world.client.post(
            "/v1/plans", json=plan_body(setup), headers=world.admin_of(other.data.department_id, setup.region)
        )
        assert r.status_code == 403, r.text
        assert await plan_count(world) == before


class TestChanges:
    async def test_a_plan_changes_until_its_first_draw_has_run(self, world: World) -> None:
        setup = await scenario(world, objects={"B": 5})
        plan = ok(await world.client.post("/v1/plans", json=plan_body(setup)), 201)
        changed = ok(await world.client.patch(f"/v1/plans/{plan['id']}", json={"class_ratios": {"B": 0.5}}))
        assert changed["class_ratios"]["B"] == 0.5
        r = await world.client.patch(f"/v1/plans/{plan['id']}", json={"class_ratios": {"B": 2}})
        assert r.status_code == 422, r.text
        draw = ok(await world.client.post(f"/v1/plans/{plan['id']}/draws", json={"check_date": str(today())}), 201)
        ok(await world.client.post(f"/v1/draws/{draw['id']}/execute", json={}))
        r = await world.client.patch(f"/v1/plans/{plan['id']}", json={"class_ratios": {"B": 0.1}})
        assert r.status_code == 409, r.text
        assert ok(await world.client.get(f"/v1/plans/{plan['id']}"))["class_ratios"]["B"] == 0.5
        closed = ok(await world.client.post(f"/v1/plans/{plan['id']}/close"))
        assert closed["status"] == "closed"
        r = await world.client.post(f"/v1/plans/{plan['id']}/draws", json={"check_date": str(today())})
        assert r.status_code == 409, r.text


class TestScope:
    async def test_departments_see_plans_they_initiate_or_join(self, world: World) -> None:
        setup = await scenario(world, departments=2)
        outsider = department("外局", region=setup.region)
        await world.apply(outsider)
        plan = ok(await world.client.post("/v1/plans", json=plan_body(setup)), 201)
        for dept in setup.departments:
            got = ok(await world.client.get("/v1/plans", headers=world.admin_of(dept, setup.region)))
            assert plan["id"] in {p["id"] for p in got["items"]}
        r = await world.client.get(
            f"/v1/plans/{plan['id']}", headers=world.admin_of(outsider.data.department_id, setup.region)
        )
        assert r.status_code == 404, r.text
        leader = world.token(roles=("leader",), region_code=setup.region[:4] + "00")
        assert plan["id"] in {p["id"] for p in ok(await world.client.get("/v1/plans", headers=leader))["items"]}
        # the participant may read it but not draw for it: only the initiator commits draws
        r = await world.client.post(
            f"/v1/plans/{plan['id']}/draws",
            json={"check_date": str(today())},
            headers=world.admin_of(setup.departments[1], setup.region),
        )
        assert r.status_code == 403, r.text
