"""Tasks: results on the inspection form, evidence, disclosure within working days, mobile views, statistics."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from rc_helpers import Setup, World, food_form, inspection_list, ok, plan_body, scenario, today

from supervision_schemas.randomcheck import CheckResultPublished
from svc_runtime.cloudevents import from_kafka
from svc_runtime.workdays import WorkdayCalendar

pytest_plugins = ["rc_fixtures"]
pytestmark = pytest.mark.asyncio(loop_scope="session")

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64


@dataclass
class Drawn:
    setup: Setup
    draw: dict[str, Any]
    tasks: list[dict[str, Any]]
    list_code: str


async def drawn(world: World, *, departments: int = 1, objects: int = 4) -> Drawn:
    setup = await scenario(world, departments=departments, objects={"D": objects})
    lists = [inspection_list(setup.items[d][0], food_form()) for d in setup.departments]
    await world.apply(lists)
    plan = ok(await world.client.post("/v1/plans", json=plan_body(setup, class_ratios={"D": 1.0})), 201)
    committed = ok(await world.client.post(f"/v1/plans/{plan['id']}/draws", json={"check_date": str(today())}), 201)
    draw = ok(await world.client.post(f"/v1/draws/{committed['id']}/execute", json={}))
    tasks = ok(await world.client.get("/v1/tasks", params={"draw_id": draw["id"], "limit": 100}))["items"]
    return Drawn(setup, draw, tasks, lists[0].data.code)


def good_result(task: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category": "no_problem",
        "checked_on": str(today()),
        "summary": "未发现问题",
        "forms": {task["item_codes"][0]: {"licence_displayed": True, "hygiene": "良好", "staff_checked": 3}},
    }
    body.update(overrides)
    return body


def as_inspector(world: World, task: dict[str, Any], setup: Setup, index: int = 0) -> dict[str, str]:
    return world.token(
        roles=("inspector",),
        department_id=uuid.UUID(task["department_id"]),
        region_code=setup.region,
        subject=task["inspector_ids"][index],
    )


class TestResults:
    async def test_a_result_that_fits_the_form_is_entered_with_its_disclosure_deadline(self, world: World) -> None:
        d = await drawn(world)
        task = d.tasks[0]
        assert task["status"] == "assigned"
        assert task["due_date"] == str(world.settings.calendar().add_workdays(today(), 20))
        entered = ok(
            await world.client.put(
                f"/v1/tasks/{task['id']}/result", json=good_result(task), headers=as_inspector(world, task, d.setup)
            )
        )
        assert entered["status"] == "submitted"
        assert entered["inspection_list_codes"] == [d.list_code]
        assert entered["disclosure_due"] == str(world.settings.calendar().add_workdays(today(), 20))
        assert entered["problem_found"] is False

    async def test_results_that_do_not_fit_the_form_are_refused_and_nothing_changes(self, world: World) -> None:
        d = await drawn(world)
        task = d.tasks[0]
        code = task["item_codes"][0]
        cases = [
            ({"forms": {code: {"licence_displayed": True}}}, ["body", "forms", code, "hygiene"]),
            (
                {"forms": {code: {"licence_displayed": "yes", "hygiene": "良好"}}},
                ["body", "forms", code, "licence_displayed"],
            ),
            ({"forms": {code: {"licence_displayed": True, "hygiene": "很好"}}}, ["body", "forms", code, "hygiene"]),
            (
                {"forms": {code: {"licence_displayed": True, "hygiene": "良好", "colour": "红"}}},
                ["body", "forms", code, "colour"],
            ),
            (
                {"forms": {code: {"licence_displayed": True, "hygiene": "良好", "staff_checked": 2.5}}},
                ["body", "forms", code, "staff_checked"],
            ),
            ({"forms": {"34160000000000": {}}}, ["body", "forms", "34160000000000"]),
            ({"checked_on": str(today() + timedelta(days=2))}, ["body", "checked_on"]),
            ({"category": "problem_corrected", "summary": None}, ["body", "summary"]),
        ]
        for overrides, loc in cases:
            r = await world.client.put(f"/v1/tasks/{task['id']}/result", json=good_result(task, **overrides))
            assert r.status_code == 422, r.text
            assert loc in [e["loc"] for e in r.json()["errors"]], r.text
        r = await world.client.put(f"/v1/tasks/{task['id']}/result", json=good_result(task, category="excellent"))
        assert r.status_code == 422, r.text
        after = ok(await world.client.get(f"/v1/tasks/{task['id']}"))
        assert after["status"] == "assigned"
        assert after["category"] is None
        assert after["forms"] is None

    async def test_no_form_needed_when_the_object_cannot_be_reached(self, world: World) -> None:
        d = await drawn(world)
        task = d.tasks[0]
        entered = ok(
            await world.client.put(
                f"/v1/tasks/{task['id']}/result",
                json={"category": "not_reachable", "checked_on": str(today()), "summary": "登记住所无法联系"},
            )
        )
        assert entered["status"] == "submitted"

    async def test_an_object_found_closed_leaves_the_population(self, world: World) -> None:
        d = await drawn(world)
        task = d.tasks[0]
        ok(
            await world.client.put(
                f"/v1/tasks/{task['id']}/result",
                json={"category": "closed", "checked_on": str(today()), "summary": "已停业"},
            )
        )
        obj = ok(await world.client.get(f"/v1/objects/{task['object_id']}"))
        assert obj["status"] == "deregistered"

    async def test_only_the_drawn_inspectors_enter_results(self, world: World) -> None:
        d = await drawn(world)
        task = d.tasks[0]
        stranger = world.token(
            roles=("inspector",),
            department_id=uuid.UUID(task["department_id"]),
            region_code=d.setup.region,
            subject=str(uuid.uuid4()),
        )
        r = await world.client.put(f"/v1/tasks/{task['id']}/result", json=good_result(task), headers=stranger)
        assert r.status_code == 403, r.text
        other_dept = world.admin_of(uuid.uuid4(), d.setup.region)
        r = await world.client.put(f"/v1/tasks/{task['id']}/result", json=good_result(task), headers=other_dept)
        assert r.status_code == 404, r.text
        assert ok(await world.client.get(f"/v1/tasks/{task['id']}"))["status"] == "assigned"


class TestDisclosure:
    async def test_unfinished_tasks_are_not_disclosed_and_nothing_changes(self, world: World) -> None:
        d = await drawn(world, objects=3)
        first, second = d.tasks[0], d.tasks[1]
        ok(await world.client.put(f"/v1/tasks/{first['id']}/result", json=good_result(first)))
        r = await world.client.post(f"/v1/tasks/{second['id']}/publish")
        assert r.status_code == 409, r.text
        assert "enter the result first" in r.json()["detail"]
        r = await world.client.post(f"/v1/draws/{d.draw['id']}/publish", json={"task_ids": [first["id"], second["id"]]})
        assert r.status_code == 409, r.text
        assert r.json()["unfinished"] == [second["id"]]
        assert ok(await world.client.get(f"/v1/tasks/{first['id']}"))["status"] == "submitted"
        assert (
            await world.scalar(
                "SELECT count(*) FROM outbox_events WHERE event_type = 'gov.supervision.randomcheck.result.published.v1' "
                "AND key = :k",
                k=first["object_id"],
            )
            == 0
        )

    async def test_a_disclosed_result_is_public_and_an_event(self, world: World) -> None:
        d = await drawn(world, departments=2, objects=2)
        mine = [t for t in d.tasks if t["department_id"] == str(d.setup.departments[0])]
        for task in mine:
            ok(
                await world.client.put(
                    f"/v1/tasks/{task['id']}/result",
                    json=good_result(
                        task, category="problem_corrected", summary="许可证未公示，已责令改正", findings="内部记录"
                    ),
                )
            )
        admin = world.admin_of(d.setup.departments[0], d.setup.region)
        published = ok(await world.client.post(f"/v1/draws/{d.draw['id']}/publish", json={}, headers=admin))
        assert published["published"] == len(mine)
        task = mine[0]
        r = await world.client.put(f"/v1/tasks/{task['id']}/result", json=good_result(task))
        assert r.status_code == 409, r.text

        public = ok(
            await world.client.get(
                "/v1/public/results", params={"region_code": d.setup.region}, headers={"authorization": ""}
            )
        )
        assert public["total"] == len(mine)
        result = next(p for p in public["items"] if p["result_id"] == task["id"])
        assert result["category"] == "problem_corrected"
        assert result["problem_found"] is True
        assert result["joint"] is True
        assert result["department_name"] == "部门0"
        assert "findings" not in result
        assert "inspector_ids" not in result

        row = (
            await world.rows(
                "SELECT payload, headers FROM outbox_events WHERE event_type = :t AND key = :k",
                t="gov.supervision.randomcheck.result.published.v1",
                k=task["object_id"],
            )
        )[0]
        event = from_kafka(row.payload, [(k, v.encode()) for k, v in row.headers.items()])
        assert isinstance(event, CheckResultPublished)
        assert event.data.result_id == uuid.UUID(task["id"])
        assert event.data.item_codes == task["item_codes"]
        assert event.data.inspection_list_codes == [d.list_code]
        assert event.data.problem_found
        assert event.data.summary == "许可证未公示，已责令改正"

    async def test_late_disclosures_are_flagged(self, world: World) -> None:
        d = await drawn(world, objects=1)
        task = d.tasks[0]
        checked = today() - timedelta(days=40)
        await world.execute(
            "UPDATE rc_draws SET drawn_at = drawn_at - interval '60 days' WHERE id = :d", d=uuid.UUID(d.draw["id"])
        )
        ok(await world.client.put(f"/v1/tasks/{task['id']}/result", json=good_result(task, checked_on=str(checked))))
        late = ok(await world.client.get("/v1/tasks", params={"draw_id": d.draw["id"], "disclosure_overdue": True}))
        assert [t["id"] for t in late["items"]] == [task["id"]]
        stats = ok(await world.client.get("/v1/statistics", params={"by": "department", "plan_id": task["plan_id"]}))
        assert stats["total"]["disclosure_overdue"] == 1


class TestHolidays:
    async def test_deadlines_skip_holidays_and_count_makeup_workdays(self, world: World) -> None:
        calendar = world.settings.calendar()
        plain = WorkdayCalendar()
        from datetime import date

        start = date(2026, 9, 25)
        assert calendar.add_workdays(start, 20) > plain.add_workdays(start, 20)


class TestEvidence:
    async def test_photos_and_pdfs_are_kept_with_their_hash(self, world: World) -> None:
        d = await drawn(world, objects=1)
        task = d.tasks[0]
        for name, data, kind in (("现场.png", PNG, "image/png"), ("笔录.pdf", PDF, "application/pdf")):
            saved = ok(
                await world.client.post(
                    "/v1/evidence",
                    data={"task_id": task["id"], "description": name},
                    files={"file": (name, data, kind)},
                    headers=as_inspector(world, task, d.setup),
                ),
                201,
            )
            assert saved["content_type"] == kind
            assert saved["size"] == len(data)
            content = await world.client.get(f"/v1/evidence/{saved['id']}")
            assert content.content == data
            assert content.headers["x-sha256"] == saved["sha256"]
        listed = ok(await world.client.get(f"/v1/tasks/{task['id']}/evidence"))
        assert [e["filename"] for e in listed] == ["现场.png", "笔录.pdf"]

    @pytest.mark.parametrize(
        ("data", "declared", "status"),
        [
            (b"MZ\x90\x00executable", "application/octet-stream", 415),
            (PNG, "application/pdf", 415),
            (b"\x89PNG\r\n\x1a\n" + b"\x00" * (70 * 1024), "image/png", 413),
            (b"", "image/png", 422),
        ],
    )
    async def test_wrong_type_or_size_is_refused(self, world: World, data: bytes, declared: str, status: int) -> None:
        d = await drawn(world, objects=1)
        task = d.tasks[0]
        r = await world.client.post("/v1/evidence", data={"task_id": task["id"]}, files={"file": ("x", data, declared)})
        assert r.status_code == status, r.text
        assert ok(await world.client.get(f"/v1/tasks/{task['id']}/evidence")) == []


class TestMobile:
    async def test_my_tasks_carry_the_forms_and_answer_304_when_unchanged(self, world: World) -> None:
        d = await drawn(world, objects=2)
        task = d.tasks[0]
        me = as_inspector(world, task, d.setup)
        r = await world.client.get("/v1/mobile/tasks", headers=me)
        mine = ok(r)
        assert task["id"] in {t["id"] for t in mine}
        record = next(t for t in mine if t["id"] == task["id"])
        assert record["items"][0]["inspection_list_code"] == d.list_code
        assert [f["key"] for f in record["items"][0]["form"]] == [
            "licence_displayed",
            "hygiene",
            "staff_checked",
            "remarks",
        ]
        assert len(record["co_inspectors"]) == 1
        etag = r.headers["etag"]
        again = await world.client.get("/v1/mobile/tasks", headers={**me, "if-none-match": etag})
        assert again.status_code == 304
        ok(await world.client.put(f"/v1/tasks/{task['id']}/result", json=good_result(task), headers=me))
        changed = await world.client.get("/v1/mobile/tasks", headers={**me, "if-none-match": etag})
        assert changed.status_code == 200
        assert task["id"] not in {t["id"] for t in changed.json()}
        one = ok(await world.client.get(f"/v1/mobile/tasks/{task['id']}", headers=me))
        assert one["category"] == "no_problem"


class TestStatistics:
    async def test_rates_by_department_industry_and_credit_class(self, world: World) -> None:
        d = await drawn(world, departments=2, objects=3)
        plan_id = d.tasks[0]["plan_id"]
        first_dept = [t for t in d.tasks if t["department_id"] == str(d.setup.departments[0])]
        for task, category in zip(first_dept, ["no_problem", "problem_transferred"], strict=False):
            ok(
                await world.client.put(
                    f"/v1/tasks/{task['id']}/result", json=good_result(task, category=category, summary="移送立案")
                )
            )
        ok(await world.client.post(f"/v1/tasks/{first_dept[0]['id']}/publish"))
        by_dept = ok(await world.client.get("/v1/statistics", params={"by": "department", "plan_id": plan_id}))
        rows = {r["label"]: r for r in by_dept["rows"]}
        assert rows["部门0"]["tasks"] == 3
        assert rows["部门0"]["completed"] == 2
        assert rows["部门0"]["problems"] == 1
        assert rows["部门0"]["completion_rate"] == round(2 / 3, 4)
        assert rows["部门0"]["problem_rate"] == 0.5
        assert rows["部门0"]["published_on_time"] == 1
        assert rows["部门1"]["completed"] == 0
        assert by_dept["total"]["tasks"] == 6
        by_class = ok(await world.client.get("/v1/statistics", params={"by": "credit_class", "plan_id": plan_id}))
        assert [r["key"] for r in by_class["rows"]] == ["D"]
        by_industry = ok(await world.client.get("/v1/statistics", params={"by": "industry", "plan_id": plan_id}))
        assert [r["key"] for r in by_industry["rows"]] == ["F"]
        public = ok(
            await world.client.get("/v1/public/statistics", params={"by": "department"}, headers={"authorization": ""})
        )
        assert public["total"]["tasks"] == public["total"]["published"]
        r = await world.client.get(
            "/v1/public/statistics", params={"by": "credit_class"}, headers={"authorization": ""}
        )
        assert r.status_code == 400, r.text
