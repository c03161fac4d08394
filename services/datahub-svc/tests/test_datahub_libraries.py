"""The remaining libraries on a real database: personnel, complaints, credit, third-party data, knowledge,
risk warnings; kept from events and API pushes, linked to objects, gathered by the object profile."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from datahub_helpers import Hub
from sqlalchemy import select, text

from datahub_svc.complaints.consumers import on_received, on_signals, on_status_changed
from datahub_svc.credit.consumers import on_grades, on_list_entries
from datahub_svc.personnel.consumers import on_inspectors_changed
from datahub_svc.risk_warnings.consumers import on_closed, on_warnings
from datahub_svc.thirdparty.consumers import on_observations
from supervision_schemas.auth import Change, InspectorChanged, InspectorChangedData, StaffStatus
from supervision_schemas.complaint import (
    ComplaintAction,
    ComplaintChannel,
    ComplaintKind,
    ComplaintReceived,
    ComplaintReceivedData,
    ComplaintResult,
    ComplaintStatus,
    ComplaintStatusChanged,
    ComplaintStatusChangedData,
    ComplaintTarget,
)
from supervision_schemas.credit import (
    CreditListType,
    GradeChanged,
    GradeChangedData,
    ListAction,
    ListEntryChanged,
    ListEntryChangedData,
)
from supervision_schemas.identifiers import uscc_check_char
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
from supervision_schemas.signals import (
    ComplaintSignalData,
    ComplaintSignalRecorded,
    ObservationCategory,
    ObservationKind,
    ObservationRecorded,
    ObservationRecordedData,
    SignalObject,
)
from svc_runtime.db import create_sessionmaker

pytestmark = pytest.mark.asyncio(loop_scope="session")
pytest_plugins = ["datahub_fixtures"]

NOW = datetime.now(UTC)


def new_uscc() -> str:
    first17 = f"91341602MA{uuid.uuid4().int % 10**7:07d}"
    return first17 + uscc_check_char(first17)


async def apply(hub: Hub, handler: Any, events: list[Any]) -> None:
    """Run a consumer handler as the runtime would: one transaction for a run of events."""
    async with create_sessionmaker(hub.engine)() as session, session.begin():
        await handler(session, events)


async def make_company(hub: Hub, name: str | None = None) -> tuple[str, str]:
    code = new_uscc()
    r = await hub.client.post(
        "/v1/objects",
        json={
            "kind": "legal_person",
            "name": name or f"亳州市{uuid.uuid4().hex[:6]}大药房有限公司",
            "uscc": code,
            "legal_representative": "周七",
            "address": "亳州市谯城区药都路 1 号",
            "industry_code": "F52",
            "region_code": "341602",
        },
    )
    assert r.status_code == 201, r.text
    return r.json()["id"], code


class TestPersonnel:
    async def test_kept_from_inspector_events_newest_wins(self, hub: Hub) -> None:
        user_id, dept = uuid.uuid4(), uuid.uuid4()

        def event(name: str, at: datetime, status: StaffStatus = StaffStatus.ACTIVE) -> InspectorChanged:
            return InspectorChanged.build(
                source="/auth-svc",
                subject=str(user_id),
                data=InspectorChangedData(
                    change=Change.UPDATED,
                    user_id=user_id,
                    name=name,
                    department_id=dept,
                    region_code="341602",
                    certificate_number=f"CERT-{user_id.hex[:8]}",
                    certificate_valid_from=date(2024, 1, 1),
                    certificate_valid_until=date(2030, 12, 31),
                    qualifications=["食品", "药品"],
                    status=status,
                    changed_at=at,
                ),
            )

        await apply(hub, on_inspectors_changed, [event("王执法", NOW), event("旧名字", NOW - timedelta(days=1))])
        listed = (
            await hub.client.get("/v1/personnel", params={"certificate_number": f"CERT-{user_id.hex[:8]}"})
        ).json()
        assert [o["name"] for o in listed["items"]] == ["王执法"]
        await apply(hub, on_inspectors_changed, [event("王执法", NOW + timedelta(seconds=1), StaffStatus.LEFT)])
        got = (await hub.client.get(f"/v1/personnel/{listed['items'][0]['id']}")).json()
        assert got["status"] == "left"
        assert got["user_id"] == str(user_id)

    async def test_agency_push_is_validated_masked_and_adopted_by_the_identity_system(self, hub: Hub) -> None:
        cert = f"AG-{uuid.uuid4().hex[:8]}"
        officer = {
            "name": "李检查",
            "certificate_number": cert,
            "region_code": "341602",
            "unit": "谯城区市场监督管理局",
            "certificate_valid_until": "2031年1月1日",
            "qualifications": ["特种设备"],
            "id_number": "11010519491231002x",
            "phone": "13800138000",
        }
        r = await hub.client.post("/v1/personnel", json=officer)
        assert r.status_code == 201, r.text
        officer_id = r.json()["ids"][0]
        leader = hub.auth(roles=("leader",), region_code="341600")
        masked = (await hub.client.get(f"/v1/personnel/{officer_id}", headers=leader)).json()
        assert (masked["id_number"], masked["phone"]) == ("110105********002X", "138****8000")
        bad = await hub.client.post(
            "/v1/personnel/batch",
            json={"items": [officer, {**officer, "certificate_valid_from": "2032-01-01", "region_code": "99"}]},
        )
        assert bad.status_code == 422, bad.text
        assert {(e["row"], e["field"]) for e in bad.json()["errors"]} == {
            (2, "region_code"),
            (2, "certificate_valid_until"),
        }
        # The identity system later registers the same officer: one record, now keyed by the user.
        user_id = uuid.uuid4()
        await apply(
            hub,
            on_inspectors_changed,
            [
                InspectorChanged.build(
                    source="/auth-svc",
                    subject=str(user_id),
                    data=InspectorChangedData(
                        change=Change.CREATED,
                        user_id=user_id,
                        name="李检查",
                        department_id=uuid.uuid4(),
                        region_code="341602",
                        certificate_number=cert,
                        status=StaffStatus.ACTIVE,
                        qualifications=["特种设备"],
                        changed_at=datetime.now(UTC) + timedelta(minutes=1),  # newer than the push
                    ),
                )
            ],
        )
        listed = (await hub.client.get("/v1/personnel", params={"certificate_number": cert})).json()
        assert listed["total"] == 1
        assert listed["items"][0]["id"] == officer_id
        assert listed["items"][0]["user_id"] == str(user_id)


class TestComplaints:
    async def test_events_of_one_complaint_merge_and_link_to_the_object(self, hub: Hub) -> None:
        object_id, code = await make_company(hub)
        complaint_id = uuid.uuid4()
        target = ComplaintTarget(name="某大药房", uscc=code, industry_code="F52", link_method="uscc")
        received = ComplaintReceived.build(
            source="/complaint-svc",
            subject=str(complaint_id),
            data=ComplaintReceivedData(
                complaint_id=complaint_id,
                tracking_no="TS-1",
                kind=ComplaintKind.COMPLAINT,
                channel=ComplaintChannel.HOTLINE_12315,
                category="drug",
                region_code="341602",
                routed_by="object",
                target=target,
                anonymous=False,
                received_at=NOW - timedelta(hours=2),
            ),
        )
        closed = ComplaintStatusChanged.build(
            source="/complaint-svc",
            subject=str(complaint_id),
            data=ComplaintStatusChangedData(
                complaint_id=complaint_id,
                tracking_no="TS-1",
                kind=ComplaintKind.COMPLAINT,
                channel=ComplaintChannel.HOTLINE_12315,
                action=ComplaintAction.CLOSE,
                from_status=ComplaintStatus.REPLIED,
                to_status=ComplaintStatus.CLOSED,
                region_code="341602",
                actor="officer",
                result=ComplaintResult(code="mediated", summary="已调解"),
                changed_at=NOW - timedelta(hours=1),
            ),
        )
        signal = ComplaintSignalRecorded.build(
            source="/complaint-svc",
            subject=code,
            data=ComplaintSignalData(
                complaint_id=complaint_id,
                object=SignalObject(uscc=code, name="某大药房", region_code="341602"),
                category=ObservationCategory.DRUG,
                channel="12315",
                received_at=NOW - timedelta(hours=2),
                summary="售卖过期药品",
            ),
        )
        await apply(hub, on_status_changed, [closed])  # the status arrives first
        await apply(hub, on_received, [received])
        await apply(hub, on_signals, [signal])
        listed = (await hub.client.get("/v1/complaints", params={"object_id": object_id})).json()
        assert listed["total"] == 1, listed
        c = listed["items"][0]
        assert (c["status"], c["result_code"], c["summary"], c["link_method"]) == (
            "closed",
            "mediated",
            "售卖过期药品",
            "exact",
        )
        assert c["received_at"].startswith((NOW - timedelta(hours=2)).strftime("%Y-%m-%dT%H"))

    async def test_hotline_push_masks_the_complainant_and_checks_its_fields(self, hub: Hub) -> None:
        body = {
            "number": f"12345-{uuid.uuid4().hex[:6]}",
            "channel": "12345",
            "kind": "report",
            "summary": "无证经营",
            "received_at": NOW.isoformat(),
            "complainant_name": "张三丰",
            "complainant_phone": "13912345678",
            "region_code": "341602",
            "target_name": "无名小店",
        }
        r = await hub.client.post("/v1/complaints", json=body)
        assert r.status_code == 201, r.text
        complaint_id = r.json()["ids"][0]
        full = (await hub.client.get(f"/v1/complaints/{complaint_id}")).json()
        assert full["complainant_phone"] == "13912345678"
        agency = hub.auth(roles=("agency_system",), region_code="341602", department_id=str(uuid.uuid4()))
        assert (await hub.client.get(f"/v1/complaints/{complaint_id}", headers=agency)).status_code == 200
        leader = hub.auth(roles=("leader",), region_code="341600")
        masked = (await hub.client.get(f"/v1/complaints/{complaint_id}", headers=leader)).json()
        assert (masked["complainant_name"], masked["complainant_phone"]) == ("张**", "139****5678")
        bad = await hub.client.post(
            "/v1/complaints",
            json={**body, "anonymous": True, "closed_at": (NOW - timedelta(days=1)).isoformat()},
        )
        assert bad.status_code == 422, bad.text
        assert {e["field"] for e in bad.json()["errors"]} == {"anonymous", "closed_at"}


class TestCredit:
    async def test_grades_set_the_credit_tag_and_lists_show_in_the_profile(self, hub: Hub) -> None:
        object_id, code = await make_company(hub)
        before = await hub_count(hub, "outbox_events")
        grade = GradeChanged.build(
            source="/credit-svc",
            subject=object_id,
            data=GradeChangedData(
                object_id=uuid.UUID(object_id),
                uscc=code,
                name="某公司",
                region_code="341602",
                risk_class="D",
                previous_class="B",
                score=31.5,
                scheme_id="samr-2022",
                scheme_version=3,
                graded_at=NOW,
            ),
        )
        entry = ListEntryChanged.build(
            source="/credit-svc",
            subject=object_id,
            data=ListEntryChangedData(
                entry_id=uuid.uuid4(),
                list_type=CreditListType.ABNORMAL_OPERATION,
                action=ListAction.ADDED,
                object_id=uuid.UUID(object_id),
                uscc=code,
                name="某公司",
                region_code="341602",
                reason="未按期公示年报",
                effective_from=date(2025, 1, 1),
                changed_at=NOW,
            ),
        )
        await apply(hub, on_grades, [grade])
        await apply(hub, on_list_entries, [entry])
        got = (await hub.client.get(f"/v1/objects/{object_id}")).json()
        assert got["credit_class"] == "D"
        assert got["lineage"]["credit_class"]["source"] == "/credit-svc"
        # The tag follows credit-svc's grade without an ObjectChanged (credit-svc regrades on those).
        assert await hub_count(hub, "outbox_events") == before
        profile = (await hub.client.get(f"/v1/objects/{object_id}/profile")).json()
        assert [g["risk_class"] for g in profile["credit"]["grades"]] == ["D"]
        assert profile["credit"]["on_lists"] == ["abnormal_operation"]

    async def test_agency_push_needs_what_its_type_needs(self, hub: Hub) -> None:
        _, code = await make_company(hub)
        ok = {
            "record_type": "list_entry",
            "reference": uuid.uuid4().hex,
            "uscc": code,
            "name": "某公司",
            "region_code": "341602",
            "list_type": "black",
            "action": "added",
            "reason": "法院失信被执行人",
            "occurred_at": NOW.isoformat(),
        }
        r = await hub.client.post("/v1/credit-records", json=ok)
        assert r.status_code == 201, r.text
        stored = (await hub.client.get(f"/v1/credit-records/{r.json()['ids'][0]}")).json()
        assert stored["link_method"] == "exact"
        bad = await hub.client.post("/v1/credit-records", json={**ok, "record_type": "grade"})
        assert bad.status_code == 422, bad.text
        assert bad.json()["errors"][0]["field"] == "risk_class"


class TestThirdPartyAndWarnings:
    async def test_observations_and_warnings_reach_the_profile(self, hub: Hub) -> None:
        object_id, code = await make_company(hub)
        observation = ObservationRecorded.build(
            source="/thirdparty-bridge",
            subject=code,
            data=ObservationRecordedData(
                observation_id=uuid.uuid4(),
                kind=ObservationKind.PUBLIC_OPINION,
                category=ObservationCategory.DRUG,
                object=SignalObject(uscc=code, name="某公司", region_code="341602"),
                observed_at=NOW - timedelta(minutes=5),
                channel="微博",
                values={"mentions": 120, "sentiment": -0.6},
                excerpt="网友反映该药房售假",
            ),
        )
        await apply(hub, on_observations, [observation])
        pushed = await hub.client.post(
            "/v1/thirdparty-records",
            json={
                "reference": uuid.uuid4().hex,
                "kind": "production",
                "channel": "重点企业生产经营数据直报",
                "observed_at": NOW.isoformat(),
                "values": {"output_tonnes": 1200.5, "energy_kwh": 35000},
                "uscc": code,
                "object_name": "某公司",
                "region_code": "341602",
            },
        )
        assert pushed.status_code == 201, pushed.text
        future = await hub.client.post(
            "/v1/thirdparty-records",
            json={
                "reference": "x",
                "kind": "monitoring",
                "channel": "在线监测",
                "observed_at": (NOW + timedelta(days=1)).isoformat(),
                "object_name": "某公司",
                "region_code": "341602",
            },
        )
        assert future.status_code == 422, future.text
        warning_id = uuid.uuid4()
        raised = WarningRaised.build(
            source="/risk-svc",
            subject=code,
            data=WarningData(
                warning_id=warning_id,
                rule_id="illegal_drug_sales@1",
                title="疑似网络非法售药",
                level=WarningLevel.ORANGE,
                score=0.82,
                domain=RiskDomain.DRUG,
                source="risk-svc/stream",
                province="340000",
                object=WarningObject(key=code, uscc=code, name="某公司", region_code="341602"),
                evidence=Evidence(),
                model=ModelRef(model_key="illegal_drug_sales", version=1, estimator="rules"),
                responsible_department="亳州市市场监督管理局",
                trigger_event_id="e1",
                raised_at=NOW,
                updated_at=NOW,
            ),
        )
        await apply(hub, on_warnings, [raised])
        await apply(
            hub,
            on_closed,
            [
                WarningClosed.build(
                    source="/risk-svc",
                    subject=code,
                    data=WarningClosedData(
                        warning_id=warning_id,
                        object_key=code,
                        model_key="illegal_drug_sales",
                        outcome=DisposalOutcome.CONFIRMED,
                        closed_at=NOW,
                    ),
                )
            ],
        )
        profile = (await hub.client.get(f"/v1/objects/{object_id}/profile")).json()
        assert {t["kind"] for t in profile["thirdparty"]} == {"public_opinion", "production"}
        assert [(w["title"], w["status"], w["outcome"]) for w in profile["warnings"]] == [
            ("疑似网络非法售药", "closed", "confirmed")
        ]


class TestKnowledge:
    async def test_entries_are_searchable_and_cited_in_profiles(self, hub: Hub) -> None:
        item_code = "34160000000077"
        law = {
            "entry_type": "law",
            "code": f"主席令第{uuid.uuid4().int % 1000}号",
            "title": "中华人民共和国药品管理法",
            "issuer": "全国人民代表大会常务委员会",
            "issued_on": "2019-08-26",
            "effective_on": "2019年12月1日",
            "item_codes": [item_code],
            "tags": ["药品"],
            "articles": [{"number": "第九十九条", "text": "药品监督管理部门应当依照法律、法规的规定对药品研制……"}],
        }
        r = await hub.client.post("/v1/knowledge", json=law)
        assert r.status_code == 201, r.text
        # Nationwide entries are for platform administrators to write; everyone reads them.
        county = hub.auth(roles=("department_admin",), region_code="341602", department_id=str(uuid.uuid4()))
        refused = await hub.client.post("/v1/knowledge", json={**law, "code": "x"}, headers=county)
        assert refused.status_code == 422, refused.text
        found = (await hub.client.get("/v1/knowledge", params={"q": "药品管理"}, headers=county)).json()
        assert law["title"] in [e["title"] for e in found["items"]]
        bad = await hub.client.post("/v1/knowledge", json={**law, "item_codes": ["123"]})
        assert bad.status_code == 422, bad.text
        object_id, code = await make_company(hub)
        act = await hub.client.post(
            "/v1/behaviour-records",
            json={
                "record_type": "inspection",
                "record_code": uuid.uuid4().hex,
                "item_code": item_code,
                "implementing_agency": "亳州市市场监督管理局",
                "object_name": "某公司",
                "object_uscc": code,
                "region_code": "341602",
                "acted_on": "2024-05-06",
            },
        )
        assert act.status_code == 201, act.text
        profile = (await hub.client.get(f"/v1/objects/{object_id}/profile")).json()
        assert [k["title"] for k in profile["knowledge"]] == [law["title"]]
        assert "knowledge" not in profile["libraries_without_data"]


async def hub_count(hub: Hub, table: str) -> int:
    async with hub.engine.connect() as conn:
        return int(await conn.scalar(text(f"SELECT count(*) FROM {table}")) or 0)


async def test_records_can_be_read_back_by_id(hub: Hub) -> None:
    async with hub.engine.connect() as conn:
        ids = (await conn.execute(select(text("id")).select_from(text("complaints")).limit(1))).scalars().all()
    for complaint_id in ids:
        assert (await hub.client.get(f"/v1/complaints/{complaint_id}")).status_code == 200
    assert (await hub.client.get(f"/v1/complaints/{uuid.uuid4()}")).status_code == 404
