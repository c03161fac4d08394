"""One list, two databases kept from events: ordering, precedence, merges, leads, conflicts, data scope."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from rc_helpers import (
    World,
    abolished,
    department,
    fresh_region,
    grade,
    inspection_list,
    inspector,
    item,
    now,
    ok,
    plan_body,
    scenario,
    supervised_object,
    today,
)

from supervision_schemas.catalog import ItemAdjusted, ItemAdjustedData
from supervision_schemas.credit import CreditListType, ListAction, ListEntryChanged, ListEntryChangedData
from supervision_schemas.datahub import (
    BehaviourRecorded,
    BehaviourRecordedData,
    BehaviourType,
    ObjectCreated,
    ObjectMerged,
    ObjectMergedData,
)
from supervision_schemas.risk import (
    DisposalOutcome,
    Evidence,
    ModelRef,
    RiskDomain,
    WarningClosed,
    WarningClosedData,
    WarningData,
    WarningLevel,
    WarningObject,
    WarningRaised,
)

pytest_plugins = ["rc_fixtures"]
pytestmark = pytest.mark.asyncio(loop_scope="session")


class TestItems:
    async def test_newer_versions_win_and_abolished_items_leave_the_list(self, world: World) -> None:
        published = item(name="对餐饮服务提供者的监督检查")
        await world.apply(published)
        adjusted = ItemAdjusted.build(
            source="/catalog-svc",
            subject=published.subject,
            data=ItemAdjustedData(
                **{**published.data.model_dump(), "version": 2, "name": "对餐饮服务提供者的监督检查（修订）"},
                changed_fields=["name"],
                reason="法律修订",
            ),
        )
        await world.apply(adjusted, published)  # the stale version arrives late
        got = ok(await world.client.get(f"/v1/items/{published.data.code}"))
        assert got["version"] == 2
        assert got["name"].endswith("(修订)")  # NFKC-normalised by the contract
        listed = ok(await world.client.get("/v1/items", params={"q": published.data.code, "limit": 100}))
        assert [i["code"] for i in listed["items"]] == [published.data.code]
        await world.apply(abolished(published))
        listed = ok(await world.client.get("/v1/items", params={"q": published.data.code}))
        assert listed["total"] == 0
        public = ok(
            await world.client.get("/v1/public/items", params={"q": published.data.code}, headers={"authorization": ""})
        )
        assert public["total"] == 0

    async def test_the_inspection_form_of_an_item_is_its_newest_list(self, world: World) -> None:
        it = item()
        await world.apply(it)
        await world.apply(inspection_list(it.data.code, []), inspection_list(it.data.code, [], version=2))
        form = ok(await world.client.get(f"/v1/items/{it.data.code}/form"))
        assert form["item_code"] == it.data.code


class TestObjects:
    async def test_hub_classes_apply_until_credit_grades_and_stale_versions_are_ignored(self, world: World) -> None:
        region = fresh_region()
        obj = supervised_object(credit_class="B", region=region)
        await world.apply(obj)
        assert ok(await world.client.get(f"/v1/objects/{obj.data.object_id}"))["credit_class"] == "B"
        await world.apply(grade(obj, "D"))
        newer = supervised_object(
            credit_class="A", object_id=obj.data.object_id, version=2, region=region, name="新名称"
        )
        await world.apply(newer, obj)
        got = ok(await world.client.get(f"/v1/objects/{obj.data.object_id}"))
        assert got["credit_class"] == "D"
        assert got["name"] == "新名称"
        assert got["version"] == 2
        await world.apply(grade(obj, "C", at=now() - timedelta(days=1)))  # an older grade
        assert ok(await world.client.get(f"/v1/objects/{obj.data.object_id}"))["credit_class"] == "D"

    async def test_a_grade_may_arrive_before_the_object(self, world: World) -> None:
        obj = supervised_object(credit_class=None, region=fresh_region())
        await world.apply(grade(obj, "C"))
        await world.apply(obj)
        got = ok(await world.client.get(f"/v1/objects/{obj.data.object_id}"))
        assert got["credit_class"] == "C"
        assert got["kind"] == "legal_person"

    async def test_merges_and_splits(self, world: World) -> None:
        region = fresh_region()
        keep, dup = supervised_object(region=region), supervised_object(region=region)
        await world.apply(keep, dup)

        def merged(action: str) -> ObjectMerged:
            return ObjectMerged.build(
                source="/datahub-svc",
                subject=keep.subject,
                data=ObjectMergedData(
                    surviving_object_id=keep.data.object_id,
                    merged_object_ids=[dup.data.object_id],
                    action=action,
                    merged_at=now(),
                ),
            )

        await world.apply(merged("merge"))
        got = ok(await world.client.get(f"/v1/objects/{dup.data.object_id}"))
        assert got["status"] == "merged"
        assert got["merged_into"] == str(keep.data.object_id)
        r = await world.client.put(f"/v1/objects/{dup.data.object_id}/status", json={"status": "active", "reason": "x"})
        assert r.status_code == 409, r.text
        await world.apply(merged("split"))
        assert ok(await world.client.get(f"/v1/objects/{dup.data.object_id}"))["status"] == "active"

    async def test_revocations_recorded_in_the_data_hub_deregister_the_object(self, world: World) -> None:
        region = fresh_region()
        revoked, fined, by_code, merged_away = (supervised_object(region=region) for _ in range(4))
        await world.apply(revoked, fined, by_code, merged_away)
        await world.apply(
            ObjectMerged.build(
                source="/datahub-svc",
                subject=fined.subject,
                data=ObjectMergedData(
                    surviving_object_id=fined.data.object_id,
                    merged_object_ids=[merged_away.data.object_id],
                    action="merge",
                    merged_at=now(),
                ),
            )
        )

        def decision(
            obj: ObjectCreated, result: str, *, linked: bool = True, kind: BehaviourType = BehaviourType.PENALTY
        ) -> BehaviourRecorded:
            return BehaviourRecorded.build(
                source="/datahub-svc",
                subject=obj.subject,
                data=BehaviourRecordedData(
                    record_id=uuid.uuid4(),
                    record_type=kind,
                    record_code=f"亳市监罚〔2026〕{uuid.uuid4().int % 9999}号",
                    item_code="34160000000001",
                    object_id=obj.data.object_id if linked else None,
                    object_uscc=obj.data.uscc,
                    object_name=obj.data.name,
                    region_code=region,
                    acted_on=today(),
                    result=result,
                    recorded_at=now(),
                ),
            )

        revocation = decision(revoked, "罚款五万元，吊销营业执照")
        await world.apply(
            revocation,
            decision(fined, "罚款五千元，责令改正"),
            decision(fined, "吊销营业执照", kind=BehaviourType.INSPECTION),  # an inspection result decides nothing
            decision(by_code, "注销登记", linked=False, kind=BehaviourType.ENFORCEMENT_MEASURE),
            decision(merged_away, "吊销营业执照"),
        )
        got = ok(await world.client.get(f"/v1/objects/{revoked.data.object_id}"))
        assert got["status"] == "deregistered"
        assert revocation.data.record_code in got["status_reason"]
        assert ok(await world.client.get(f"/v1/objects/{fined.data.object_id}"))["status"] == "active"
        assert ok(await world.client.get(f"/v1/objects/{by_code.data.object_id}"))["status"] == "deregistered"
        assert ok(await world.client.get(f"/v1/objects/{merged_away.data.object_id}"))["status"] == "merged"
        # the decision may come before the object itself (another topic): the object arrives deregistered
        late = supervised_object(region=region)
        await world.apply(decision(late, "责令关闭"))
        await world.apply(late)
        got = ok(await world.client.get(f"/v1/objects/{late.data.object_id}"))
        assert (got["status"], got["name"], got["kind"]) == ("deregistered", late.data.name, "legal_person")

    async def test_objects_are_read_within_the_region(self, world: World) -> None:
        region, elsewhere = fresh_region(), fresh_region()
        here, there = supervised_object(region=region), supervised_object(region=elsewhere)
        await world.apply(here, there)
        dept = uuid.uuid4()
        headers = world.admin_of(dept, region)
        assert ok(await world.client.get(f"/v1/objects/{here.data.object_id}", headers=headers))
        r = await world.client.get(f"/v1/objects/{there.data.object_id}", headers=headers)
        assert r.status_code == 404, r.text
        listed = ok(await world.client.get("/v1/objects", headers=headers, params={"limit": 100}))
        assert {o["region_code"] for o in listed["items"]} == {region}
        r = await world.client.put(
            f"/v1/objects/{there.data.object_id}/status",
            json={"status": "deregistered", "reason": "注销"},
            headers=headers,
        )
        assert r.status_code == 404, r.text
        reader = world.token(roles=("auditor",), region_code=region)
        r = await world.client.put(
            f"/v1/objects/{here.data.object_id}/status",
            json={"status": "deregistered", "reason": "注销"},
            headers=reader,
        )
        assert r.status_code == 403, r.text


class TestLeads:
    async def test_class_a_is_checked_only_with_an_open_lead(self, world: World) -> None:
        setup = await scenario(world, objects={"A": 6})
        warned, listed = setup.objects[0], setup.objects[1]
        uscc = ok(await world.client.get(f"/v1/objects/{warned}"))["uscc"]
        warning_id = uuid.uuid4()
        await world.apply(
            WarningRaised.build(
                source="/risk-svc",
                subject=uscc,
                data=WarningData(
                    warning_id=warning_id,
                    rule_id="false_medical_ad@1",
                    title="疑似虚假医疗广告",
                    level=WarningLevel.ORANGE,
                    score=0.9,
                    domain=RiskDomain.MARKET,
                    source="risk-svc",
                    province="340000",
                    object=WarningObject(key=uscc, uscc=uscc, name="某店", region_code=setup.region),
                    evidence=Evidence(),
                    model=ModelRef(model_key="false_medical_ad", version=1, estimator="rule"),
                    responsible_department="市场监管局",
                    trigger_event_id="e1",
                    raised_at=now(),
                    updated_at=now(),
                ),
            ),
            ListEntryChanged.build(
                source="/credit-svc",
                subject=str(listed),
                data=ListEntryChangedData(
                    entry_id=uuid.uuid4(),
                    list_type=CreditListType.ABNORMAL_OPERATION,
                    action=ListAction.ADDED,
                    object_id=listed,
                    name="某公司",
                    region_code=setup.region,
                    reason="未按期年报",
                    effective_from=today(),
                    changed_at=now(),
                ),
            ),
        )
        plan = ok(await world.client.post("/v1/plans", json=plan_body(setup, class_ratios={"A": 0}, lead_ratio=1)), 201)
        draw = ok(await world.client.post(f"/v1/plans/{plan['id']}/draws", json={"check_date": str(today())}), 201)
        drawn = ok(await world.client.post(f"/v1/draws/{draw['id']}/execute", json={}))
        strata = {s["key"]: s for s in drawn["summary"]["strata"]}
        assert strata["A"]["size"] == 4
        assert strata["A"]["drawn"] == 0
        assert strata["A+lead"]["size"] == 2
        assert strata["A+lead"]["drawn"] == 2
        await world.apply(
            WarningClosed.build(
                source="/risk-svc",
                subject=uscc,
                data=WarningClosedData(
                    warning_id=warning_id,
                    object_key=uscc,
                    model_key="false_medical_ad",
                    outcome=DisposalOutcome.CONFIRMED,
                    closed_at=now(),
                ),
            )
        )
        assert await world.scalar("SELECT closed_at IS NOT NULL FROM rc_leads WHERE lead_id = :i", i=warning_id)


class TestInspectorsAndConflicts:
    async def test_the_inspector_database_by_department_qualification_and_validity(self, world: World) -> None:
        region = fresh_region()
        dept = department("某局", region=region)
        await world.apply(dept)
        dept_id = dept.data.department_id
        valid = inspector(dept_id, ["食品"], region=region)
        expired = inspector(dept_id, ["食品"], valid_until=today() - timedelta(days=2), region=region)
        other = inspector(dept_id, ["药品"], region=region)
        await world.apply(valid, expired, other)
        headers = world.admin_of(dept_id, region)
        got = ok(
            await world.client.get(
                "/v1/inspectors", params={"qualified_for": "食品", "valid_on": str(today())}, headers=headers
            )
        )
        assert [i["user_id"] for i in got["items"]] == [str(valid.data.user_id)]
        outsider = world.admin_of(uuid.uuid4(), region)
        assert ok(await world.client.get("/v1/inspectors", headers=outsider))["total"] == 0
        r = await world.client.get(f"/v1/inspectors/{valid.data.user_id}", headers=outsider)
        assert r.status_code == 404, r.text

    async def test_conflicts_are_declared_in_the_inspectors_department_and_withdrawn_on_record(
        self, world: World
    ) -> None:
        setup = await scenario(world, objects={"B": 1})
        dept = setup.departments[0]
        person = setup.inspectors[dept][0]
        body = {
            "inspector_id": str(person),
            "object_id": str(setup.objects[0]),
            "reason": "relative",
            "note": "配偶任职",
        }
        r = await world.client.post("/v1/conflicts", json=body, headers=world.admin_of(uuid.uuid4(), setup.region))
        assert r.status_code == 403, r.text
        declared = ok(
            await world.client.post("/v1/conflicts", json=body, headers=world.admin_of(dept, setup.region)), 201
        )
        r = await world.client.post("/v1/conflicts", json=body)
        assert r.status_code == 409, r.text
        r = await world.client.post("/v1/conflicts", json={**body, "object_id": str(uuid.uuid4())})
        assert r.status_code == 422, r.text
        assert "unknown object" in r.text
        r = await world.client.post("/v1/conflicts", json={**body, "reason": "dislike"})
        assert r.status_code == 422, r.text
        withdrawn = ok(await world.client.delete(f"/v1/conflicts/{declared['id']}"))
        assert withdrawn["withdrawn_at"] is not None
        listed = ok(await world.client.get("/v1/conflicts", params={"inspector_id": str(person)}))
        assert listed["total"] == 1


class TestAuthentication:
    @pytest.mark.parametrize(
        "path", ["/v1/items", "/v1/objects", "/v1/plans", "/v1/draws", "/v1/tasks", "/v1/statistics?by=department"]
    )
    async def test_the_work_interface_needs_a_token(self, world: World, path: str) -> None:
        r = await world.client.get(path, headers={"authorization": ""})
        assert r.status_code == 401, r.text

    @pytest.mark.parametrize(
        "path",
        [
            "/v1/public/items",
            "/v1/public/plans",
            "/v1/public/draws",
            "/v1/public/results",
            "/v1/public/statistics?by=industry",
        ],
    )
    async def test_the_public_interface_does_not(self, world: World, path: str) -> None:
        r = await world.client.get(path, headers={"authorization": ""})
        assert r.status_code == 200, r.text
