"""Draws on real PostgreSQL: seed hash first, stratified quotas, exclusions, joint merging, inspectors, proof."""

from __future__ import annotations

import math
import uuid
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from rc_helpers import Setup, World, grade, inspector, item, now, ok, plan_body, scenario, supervised_object, today
from sqlalchemy.exc import DBAPIError

from random_check_svc.draws import algorithm
from supervision_schemas.datahub import ObjectKind, ObjectMerged, ObjectMergedData
from svc_runtime.cloudevents import from_kafka

pytest_plugins = ["rc_fixtures"]
pytestmark = pytest.mark.asyncio(loop_scope="session")


async def make_plan(world: World, setup: Setup, **overrides: object) -> dict:  # type: ignore[type-arg]
    return ok(await world.client.post("/v1/plans", json=plan_body(setup, **overrides)), 201)  # type: ignore[no-any-return]


async def run_draw(world: World, plan_id: str, **execute: object) -> dict:  # type: ignore[type-arg]
    committed = ok(await world.client.post(f"/v1/plans/{plan_id}/draws", json={"check_date": str(today())}), 201)
    return ok(await world.client.post(f"/v1/draws/{committed['id']}/execute", json=execute))  # type: ignore[no-any-return]


async def tasks_of(world: World, draw_id: str) -> list[dict]:  # type: ignore[type-arg]
    rows = await world.rows(
        "SELECT v.object_id, v.stratum, v.joint, t.department_id, t.inspector_ids, t.item_codes, t.status "
        "FROM rc_tasks t JOIN rc_visits v ON v.id = t.visit_id WHERE t.draw_id = :d",
        d=uuid.UUID(draw_id),
    )
    return [r._asdict() for r in rows]


class TestCommitAndReveal:
    async def test_the_seed_hash_is_published_before_and_the_seed_after_the_draw(self, world: World) -> None:
        setup = await scenario(world, objects={"B": 40, "C": 10})
        plan = await make_plan(world, setup)
        committed = ok(await world.client.post(f"/v1/plans/{plan['id']}/draws", json={"check_date": str(today())}), 201)
        assert committed["status"] == "committed"
        assert len(committed["seed_hash"]) == 64
        assert committed["seed"] is None
        public = ok(await world.client.get(f"/v1/public/draws/{committed['id']}", headers={"authorization": ""}))
        assert public["seed_hash"] == committed["seed_hash"]
        assert public["seed"] is None
        assert await world.scalar("SELECT count(*) FROM rc_tasks WHERE draw_id = :d", d=uuid.UUID(committed["id"])) == 0

        drawn = ok(await world.client.post(f"/v1/draws/{committed['id']}/execute", json={}))
        assert drawn["status"] == "revealed"
        seed = bytes.fromhex(drawn["seed"])
        assert algorithm.sha256_hex(seed) == committed["seed_hash"]
        entries = ok(await world.client.get(f"/v1/draws/{committed['id']}/ledger"))
        assert [e["entry"] for e in entries] == ["commitment", "inputs", "avoidance", "outputs", "reveal"]
        assert entries[0]["body"]["seed_hash"] == committed["seed_hash"]
        assert entries[0]["seq"] < entries[-1]["seq"]

    async def test_a_draw_runs_once(self, world: World) -> None:
        setup = await scenario(world, objects={"B": 20})
        plan = await make_plan(world, setup)
        drawn = await run_draw(world, plan["id"])
        r = await world.client.post(f"/v1/draws/{drawn['id']}/execute", json={})
        assert r.status_code == 409, r.text

    async def test_the_check_date_must_be_in_the_plan_year(self, world: World) -> None:
        setup = await scenario(world, objects={"B": 5})
        plan = await make_plan(world, setup)
        r = await world.client.post(
            f"/v1/plans/{plan['id']}/draws", json={"check_date": str(today() + timedelta(days=400))}
        )
        assert r.status_code == 422, r.text
        assert "check_date" in r.json()["detail"]


class TestStrata:
    async def test_each_class_draws_its_ratio_rounded_up_and_class_a_only_with_a_lead(self, world: World) -> None:
        setup = await scenario(world, objects={"A": 50, "B": 200, "C": 40, "D": 30, "": 20})
        plan = await make_plan(world, setup, class_ratios={"A": 0.0, "B": 0.05, "C": 0.25, "D": 0.65})
        drawn = await run_draw(world, plan["id"])
        strata = {s["key"]: s for s in drawn["summary"]["strata"]}
        assert strata["A"]["drawn"] == 0
        assert strata["B"]["size"] == 200
        assert strata["B"]["drawn"] == 10
        assert strata["C"]["drawn"] == 10
        assert strata["D"]["drawn"] == math.ceil(Decimal("0.65") * 30) == 20
        assert strata["unclassified"]["drawn"] == 1  # default 5% of 20
        tasks = await tasks_of(world, drawn["id"])
        assert Counter(t["stratum"] for t in tasks) == {"B": 10, "C": 10, "D": 20, "unclassified": 1}

    async def test_a_credit_grade_overrides_the_hub_class(self, world: World) -> None:
        setup = await scenario(world)
        objs = [supervised_object(credit_class="A", region=setup.region) for _ in range(10)]
        await world.apply(objs)
        await world.apply(grade(o, "D") for o in objs)
        await world.apply(
            supervised_object(credit_class="A", object_id=o.data.object_id, version=2, region=setup.region)
            for o in objs
        )
        plan = await make_plan(world, setup, class_ratios={"A": 0.0, "D": 1.0})
        drawn = await run_draw(world, plan["id"])
        assert {s["key"]: s["drawn"] for s in drawn["summary"]["strata"]}["D"] >= 10


class TestExclusions:
    async def test_deregistered_merged_and_recently_checked_objects_are_not_drawn(self, world: World) -> None:
        setup = await scenario(world, objects={"D": 30})
        gone, merged = setup.objects[0], setup.objects[1]
        ok(
            await world.client.put(
                f"/v1/objects/{gone}/status", json={"status": "deregistered", "reason": "营业执照已注销"}
            )
        )
        await world.apply(
            ObjectMerged.build(
                source="/datahub-svc",
                subject=str(setup.objects[2]),
                data=ObjectMergedData(
                    surviving_object_id=setup.objects[2],
                    merged_object_ids=[merged],
                    action="merge",
                    merged_at=now(),
                ),
            )
        )
        plan = await make_plan(world, setup, class_ratios={"D": 0.5}, recent_check_days=180, max_checks_per_period=5)
        first = await run_draw(world, plan["id"])
        assert first["summary"]["excluded"]["inactive"] == 2
        assert first["summary"]["population"] == 28
        first_objects = {t["object_id"] for t in await tasks_of(world, first["id"])}
        assert len(first_objects) == 14
        assert gone not in first_objects
        assert merged not in first_objects

        second = await run_draw(world, plan["id"])
        assert second["summary"]["excluded"]["recent"] == 14
        second_objects = {t["object_id"] for t in await tasks_of(world, second["id"])}
        assert not first_objects & second_objects
        assert len(second_objects) == 7

    async def test_the_cap_counts_checks_by_every_department(self, world: World) -> None:
        setup = await scenario(world, departments=2, objects={"D": 10})
        first_dept, second_dept = setup.departments
        plan_a = await make_plan(
            world,
            setup,
            departments=[{"department_id": str(first_dept), "item_codes": setup.items[first_dept]}],
            class_ratios={"D": 1.0},
            max_checks_per_period=1,
        )
        await run_draw(world, plan_a["id"])
        plan_b = await make_plan(
            world,
            setup,
            department_id=str(second_dept),
            departments=[{"department_id": str(second_dept), "item_codes": setup.items[second_dept]}],
            class_ratios={"D": 1.0},
            max_checks_per_period=1,
        )
        drawn = await run_draw(world, plan_b["id"])
        assert drawn["summary"]["excluded"]["cap"] == 10
        assert drawn["summary"]["visits"] == 0


class TestJointChecks:
    async def test_a_joint_plan_visits_each_object_once_with_every_department(self, world: World) -> None:
        setup = await scenario(world, departments=3, objects={"C": 40})
        plan = await make_plan(world, setup, class_ratios={"C": 0.5})
        assert plan["kind"] == "joint"
        drawn = await run_draw(world, plan["id"])
        assert drawn["summary"]["visits"] == 20
        assert drawn["summary"]["tasks"] == 60
        assert drawn["summary"]["joint_visits"] == 20
        tasks = await tasks_of(world, drawn["id"])
        by_object: dict[uuid.UUID, set[uuid.UUID]] = {}
        for t in tasks:
            by_object.setdefault(t["object_id"], set()).add(t["department_id"])
            assert t["joint"]
            assert t["item_codes"] == setup.items[t["department_id"]]
        assert all(depts == set(setup.departments) for depts in by_object.values())

    async def test_a_department_joins_only_visits_its_items_apply_to(self, world: World) -> None:
        setup = await scenario(world, departments=2, objects={"C": 10})
        equipment_dept = setup.departments[1]
        equipment_item = item(object_types=["equipment"], domain="特种设备")
        await world.apply(equipment_item)
        await world.apply(inspector(equipment_dept, ["特种设备"], region=setup.region) for _ in range(2))
        await world.apply(
            supervised_object(credit_class="C", kind=ObjectKind.EQUIPMENT, region=setup.region) for _ in range(6)
        )
        plan = await make_plan(
            world,
            setup,
            departments=[
                {"department_id": str(setup.departments[0]), "item_codes": setup.items[setup.departments[0]]},
                {"department_id": str(equipment_dept), "item_codes": [equipment_item.data.code]},
            ],
            object_kinds=["legal_person", "equipment"],
            class_ratios={"C": 1.0},
        )
        drawn = await run_draw(world, plan["id"])
        tasks = await tasks_of(world, drawn["id"])
        depts_by_object: dict[uuid.UUID, set[uuid.UUID]] = {}
        for t in tasks:
            depts_by_object.setdefault(t["object_id"], set()).add(t["department_id"])
        kinds = {r.object_id: r.kind for r in await world.rows("SELECT object_id, kind FROM rc_objects")}
        for object_id, depts in depts_by_object.items():
            expected = {equipment_dept} if kinds[object_id] == "equipment" else {setup.departments[0]}
            assert depts == expected


class TestInspectors:
    async def test_two_qualified_inspectors_with_valid_certificates_per_task_and_balanced(self, world: World) -> None:
        setup = await scenario(world, departments=1, inspectors_per_department=5, objects={"D": 30})
        region = setup.region
        dept = setup.departments[0]
        code = setup.items[dept][0]
        expired = inspector(dept, [code], valid_until=today() - timedelta(days=1), region=region)
        unqualified = inspector(dept, ["别的领域"], region=region)
        no_certificate = inspector(dept, [code], certificate=None, region=region)
        other_dept = inspector(uuid.uuid4(), [code], region=region)
        await world.apply(expired, unqualified, no_certificate, other_dept)
        plan = await make_plan(world, setup, class_ratios={"D": 1.0})
        drawn = await run_draw(world, plan["id"])
        tasks = await tasks_of(world, drawn["id"])
        assert len(tasks) == 30
        load: Counter[uuid.UUID] = Counter()
        for t in tasks:
            assert len(t["inspector_ids"]) == 2
            assert len(set(t["inspector_ids"])) == 2
            assert set(t["inspector_ids"]) <= set(setup.inspectors[dept])
            load.update(t["inspector_ids"])
        assert sorted(load.values()) == [12, 12, 12, 12, 12]

    async def test_nobody_is_drawn_against_an_avoidance_rule(self, world: World) -> None:
        setup = await scenario(world, departments=1, inspectors_per_department=3, objects={"D": 12})
        dept = setup.departments[0]
        conflicted = setup.inspectors[dept][0]
        for object_id in setup.objects[:6]:
            ok(
                await world.client.post(
                    "/v1/conflicts",
                    json={"inspector_id": str(conflicted), "object_id": str(object_id), "reason": "relative"},
                ),
                201,
            )
        plan = await make_plan(world, setup, class_ratios={"D": 1.0}, recent_check_days=0, max_checks_per_period=10)
        first = await run_draw(world, plan["id"])
        first_tasks = await tasks_of(world, first["id"])
        assert first["summary"]["avoidance"]["conflict"] == 6
        for t in first_tasks:
            if t["object_id"] in setup.objects[:6]:
                assert conflicted not in t["inspector_ids"]
        previous = {t["object_id"]: set(t["inspector_ids"]) for t in first_tasks}
        second = await run_draw(world, plan["id"])
        assert second["summary"]["avoidance"]["previous"] == 24
        for t in await tasks_of(world, second["id"]):
            # three inspectors, two drew it last time: at most one may go now; conflicted objects get nobody new
            assert not set(t["inspector_ids"]) & previous[t["object_id"]]
            assert t["status"] == "understaffed"

    async def test_too_few_eligible_inspectors_refuses_the_draw_and_changes_nothing(self, world: World) -> None:
        setup = await scenario(world, departments=1, inspectors_per_department=1, objects={"D": 5})
        plan = await make_plan(world, setup, class_ratios={"D": 1.0})
        committed = ok(await world.client.post(f"/v1/plans/{plan['id']}/draws", json={"check_date": str(today())}), 201)
        before = await world.scalar("SELECT count(*) FROM rc_draw_ledger")
        r = await world.client.post(f"/v1/draws/{committed['id']}/execute", json={})
        assert r.status_code == 409, r.text
        assert "1 inspector(s) qualified" in r.json()["detail"]
        assert await world.scalar("SELECT count(*) FROM rc_draw_ledger") == before
        assert await world.scalar("SELECT count(*) FROM rc_tasks WHERE draw_id = :d", d=uuid.UUID(committed["id"])) == 0
        assert ok(await world.client.get(f"/v1/draws/{committed['id']}"))["status"] == "committed"


class TestVerification:
    async def test_a_rerun_from_the_revealed_seed_is_identical(self, world: World) -> None:
        setup = await scenario(world, departments=2, objects={"B": 60, "C": 30, "D": 10})
        plan = await make_plan(world, setup, class_ratios={"B": 0.1, "C": 0.3, "D": 0.9})
        drawn = await run_draw(world, plan["id"], public_entropy="2026年第1期福利彩票开奖号码 03 11 19 24 28 31")
        proof = ok(await world.client.post(f"/v1/draws/{drawn['id']}/verify"))
        assert proof["verified"], proof
        assert proof["outputs_identical"]
        assert proof["inputs_match"]
        assert proof["seed_matches_hash"]
        assert proof["tasks_match_outputs"] is True
        public = ok(
            await world.client.get(f"/v1/public/draws/{drawn['id']}/verification", headers={"authorization": ""})
        )
        assert public["verified"]
        assert public["tasks_match_outputs"] is None

        # Offline: anyone with the seed and the ledger's blobs gets the same bytes.
        entries = {e["entry"]: e for e in ok(await world.client.get(f"/v1/draws/{drawn['id']}/ledger"))}
        blobs = {}
        for name in ("inputs", "avoidance", "outputs"):
            r = await world.client.get(f"/v1/draws/{drawn['id']}/ledger/{name}/blob")
            assert r.status_code == 200, r.text
            assert algorithm.sha256_hex(r.content) == entries[name]["blob_sha256"] == r.headers["x-sha256"]
            blobs[name] = r.content
        rerun = algorithm.run(
            bytes.fromhex(drawn["seed"]),
            algorithm.Params.from_json(entries["inputs"]["body"]["params"]),
            blobs["inputs"],
            blobs["avoidance"],
            public_entropy=entries["inputs"]["body"]["public_entropy"],
        )
        assert rerun.outputs == blobs["outputs"]
        assert rerun.outputs_hash == drawn["outputs_hash"]
        # Without the public entropy the same seed gives another draw.
        other = algorithm.run(
            bytes.fromhex(drawn["seed"]),
            algorithm.Params.from_json(entries["inputs"]["body"]["params"]),
            blobs["inputs"],
            blobs["avoidance"],
        )
        assert other.outputs != blobs["outputs"]

    async def test_tampering_with_the_tasks_or_the_ledger_is_detected(self, world: World) -> None:
        setup = await scenario(world, departments=1, inspectors_per_department=4, objects={"D": 8})
        plan = await make_plan(world, setup, class_ratios={"D": 1.0})
        drawn = await run_draw(world, plan["id"])
        with pytest.raises(DBAPIError, match="append-only"):
            await world.execute("UPDATE rc_draw_ledger SET body = '{}' WHERE draw_id = :d", d=uuid.UUID(drawn["id"]))
        task = await world.scalar("SELECT id FROM rc_tasks WHERE draw_id = :d LIMIT 1", d=uuid.UUID(drawn["id"]))
        keep = await world.scalar("SELECT inspector_ids[1] FROM rc_tasks WHERE id = :t", t=task)
        await world.execute("UPDATE rc_tasks SET inspector_ids = ARRAY[CAST(:i AS uuid)] WHERE id = :t", i=keep, t=task)
        proof = ok(await world.client.post(f"/v1/draws/{drawn['id']}/verify"))
        assert not proof["verified"]
        assert proof["outputs_identical"]  # the record itself is intact
        assert "tasks differ" in proof["detail"]
        chain = ok(await world.client.get("/v1/ledger/verify"))
        assert chain["intact"], chain

    async def test_the_completed_draw_is_an_event_with_its_seed(self, world: World) -> None:
        setup = await scenario(world, objects={"B": 10})
        plan = await make_plan(world, setup, class_ratios={"B": 0.5})
        drawn = await run_draw(world, plan["id"])
        row = (
            await world.rows(
                "SELECT payload, headers FROM outbox_events WHERE event_type = :t ORDER BY seq DESC LIMIT 1",
                t="gov.supervision.randomcheck.draw.completed.v1",
            )
        )[0]
        event = from_kafka(row.payload, [(k, v.encode()) for k, v in row.headers.items()])
        assert event.data.draw_id == uuid.UUID(drawn["id"])  # type: ignore[attr-defined]
        assert event.data.seed == drawn["seed"]  # type: ignore[attr-defined]
        assert event.subject == plan["id"]
