"""Events in and out over Kafka: disposal tasks from risk warnings and their feedback to risk-svc, tasks
dispatched by the national system and their status going back up, and the evidence pack kept from
credit, complaint and risk events."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from joint_fixtures import Dept, Joint, new_uscc

from supervision_schemas import parse_event
from supervision_schemas.credit import (
    CreditListType,
    GradeChanged,
    GradeChangedData,
    ListAction,
    ListEntryChanged,
    ListEntryChangedData,
)
from supervision_schemas.joint import (
    JointBasisData,
    JointComplaintRecord,
    JointSuperviseObject,
    JointTaskDispatched,
    JointTaskDispatchedData,
    JointTaskKind,
    TaskOrigin,
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
    WarningUpdated,
)
from supervision_schemas.signals import ComplaintSignalData, ComplaintSignalRecorded, ObservationCategory, SignalObject
from svc_runtime.cloudevents import from_kafka
from svc_runtime.testing import eventually

pytest_plugins = ["joint_fixtures"]
pytestmark = pytest.mark.asyncio(loop_scope="session")

DISPOSAL = "gov.supervision.risk.disposal.recorded.v1"
STATUS = "gov.supervision.joint.task.status-changed.v1"


def warning(
    uscc: str,
    *,
    department: Dept | None,
    level: WarningLevel = WarningLevel.RED,
    warning_id: uuid.UUID | None = None,
    industry: str = "Q8411",
    score: float = 0.91,
) -> WarningData:
    now = datetime.now(UTC)
    return WarningData(
        warning_id=warning_id or uuid.uuid4(),
        rule_id="false_medical_ad@1",
        title="亳州某某医院: 虚假医疗广告",
        level=level,
        score=score,
        domain=RiskDomain.MARKET,
        source="/risk-svc/streaming",
        province="340000",
        object=WarningObject(key=uscc, uscc=uscc, name="亳州某某医院", region_code="341602", industry_code=industry),
        evidence=Evidence(event_ids=["e1"], features={"medical_ad_hits_30d": 4.0}),
        model=ModelRef(model_key="false_medical_ad", version=1, estimator="rule"),
        responsible_department_id=department.id if department else None,
        responsible_department=department.name if department else "谯城区市场监督管理局",
        properties={"industry_code": industry},
        trigger_event_id="e1",
        raised_at=now,
        updated_at=now,
    )


async def task_for(joint: Joint, source_key: str) -> dict[str, Any]:
    async def find() -> uuid.UUID | None:
        return await joint.scalar("SELECT id FROM joint_tasks WHERE source_key = :k", k=source_key)  # type: ignore[no-any-return]

    task_id = await eventually(find, timeout=60)
    r = await joint.client.get(f"/v1/tasks/{task_id}", headers=joint.admin())
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


class TestDisposal:
    async def test_a_raised_warning_opens_a_task_whose_outcome_goes_back_to_risk_svc(
        self, joint: Joint, org: dict[str, Dept]
    ) -> None:
        uscc = new_uscc()
        data = warning(uscc, department=org["market"])
        raised = WarningRaised.build(source="/risk-svc", subject=uscc, data=data)
        again = WarningRaised.build(source="/risk-svc", subject=uscc, data=data)  # a repeat of the same warning
        await joint.publish([raised, raised, again])
        task = await task_for(joint, f"warning:{data.warning_id}")
        assert (task["kind"], task["origin"], task["state"]) == ("disposal", "risk", "dispatched")
        assert task["assignee_department_id"] == str(org["market"].id)
        assert task["details"]["model_key"] == "false_medical_ad"
        assert task["deadline_workdays"] == 3  # a red warning
        [record] = task["objects"][0]["basis_data"]["risk_warning"]
        assert (record["fxyj_id"], record["rule_id"], record["level"]) == (
            str(data.warning_id),
            "false_medical_ad@1",
            "red",
        )
        assert (
            await joint.scalar("SELECT count(*) FROM joint_tasks WHERE source_key = :k", k=f"warning:{data.warning_id}")
            == 1
        )

        updated = warning(
            uscc, department=org["market"], warning_id=data.warning_id, level=WarningLevel.ORANGE, score=0.7
        )
        await joint.publish([WarningUpdated.build(source="/risk-svc", subject=uscc, data=updated)])
        market = joint.token(org["market"])

        async def recorded() -> list[dict[str, Any]]:
            r = await joint.client.get(f"/v1/tasks/{task['id']}/timeline", headers=market)
            return [e for e in r.json()["items"] if e["action"] == "warning_updated"]

        [entry] = await eventually(recorded, timeout=60)
        assert (entry["data"]["previous_level"], entry["data"]["level"]) == ("red", "orange")

        r = await joint.client.post(
            f"/v1/tasks/{task['id']}/actions/dispose", json={"outcome": "confirmed"}, headers=market
        )
        assert r.status_code == 409, r.text  # not claimed yet
        for action, body in (
            ("claim", {}),
            ("dispose", {"outcome": "action_taken", "measures": "责令停止发布广告，立案调查", "comment": "已处置"}),
        ):
            r = await joint.client.post(f"/v1/tasks/{task['id']}/actions/{action}", json=body, headers=market)
            assert r.status_code == 200, r.text
        assert (r.json()["state"], r.json()["national_status"]) == ("disposed", "feedback")
        assert r.json()["result"]["outcome"] == "action_taken"

        rows = await joint.rows(
            "SELECT payload, headers FROM outbox_events WHERE event_type = :t AND key = :k", t=DISPOSAL, k=uscc
        )
        assert len(rows) == 1
        event = from_kafka(rows[0]["payload"], [(k, v.encode()) for k, v in rows[0]["headers"].items()])
        assert event.type == DISPOSAL  # what risk-svc takes as disposal feedback
        feedback = event.data
        assert feedback.warning_id == data.warning_id  # type: ignore[attr-defined]
        assert (feedback.model_key, feedback.model_version) == ("false_medical_ad", 1)  # type: ignore[attr-defined]
        assert feedback.outcome is DisposalOutcome.ACTION_TAKEN  # type: ignore[attr-defined]
        assert feedback.action == "责令停止发布广告,立案调查"  # type: ignore[attr-defined]  # stored normalised (NFKC)
        assert feedback.department_id == org["market"].id  # type: ignore[attr-defined]

        closed = WarningClosed.build(
            source="/risk-svc",
            subject=uscc,
            data=WarningClosedData(
                warning_id=data.warning_id,
                object_key=uscc,
                model_key="false_medical_ad",
                outcome=DisposalOutcome.ACTION_TAKEN,
                closed_at=datetime.now(UTC),
            ),
        )
        await joint.publish([closed])

        async def is_closed() -> bool:
            r = await joint.client.get(f"/v1/tasks/{task['id']}", headers=market)
            return bool(r.json()["state"] == "closed")

        await eventually(is_closed, timeout=60)

    async def test_an_unrouted_warning_waits_for_the_regions_dispatcher(
        self, joint: Joint, org: dict[str, Dept]
    ) -> None:
        uscc = new_uscc()
        data = warning(uscc, department=None, industry="N7721", level=WarningLevel.BLUE)
        await joint.publish([WarningRaised.build(source="/risk-svc", subject=uscc, data=data)])
        task = await task_for(joint, f"warning:{data.warning_id}")
        assert (task["state"], task["national_status"], task["assignee_department_id"]) == (
            "unassigned",
            "dispatched",
            None,
        )
        assert task["deadline_workdays"] == 15
        tid = task["id"]
        r = await joint.client.get(f"/v1/tasks/{tid}", headers=joint.token(org["ecology"], "inspector"))
        assert r.status_code == 404, r.text
        for who, status in (
            (joint.token(org["ecology"], "inspector"), 404),
            (joint.token(org["ecology"], "department_admin"), 200),  # the region's dispatcher
            (joint.token(None, "leader", region_code="341600"), 200),
            (joint.token(None, "leader", region_code="340100"), 404),
            (joint.admin(), 200),
        ):
            r = await joint.client.get(f"/v1/tasks/{tid}/timeline", headers=who)
            assert r.status_code == status, r.text
            assert (await joint.client.get(f"/v1/tasks/{tid}", headers=who)).status_code == status
        r = await joint.client.post(
            f"/v1/tasks/{tid}/actions/assign",
            json={"department_id": str(org["ecology"].id)},
            headers=joint.token(org["market"], "inspector"),
        )
        assert r.status_code == 404, r.text  # an inspector is no dispatcher and does not see it
        dispatcher = joint.token(org["market"], "department_admin")
        r = await joint.client.post(f"/v1/tasks/{tid}/actions/assign", json={}, headers=dispatcher)
        assert r.status_code == 422, r.text
        r = await joint.client.post(
            f"/v1/tasks/{tid}/actions/assign", json={"department_id": str(org["ecology"].id)}, headers=dispatcher
        )
        assert r.status_code == 200, r.text
        assert (r.json()["state"], r.json()["assignee_department_id"]) == ("dispatched", str(org["ecology"].id))
        eco = joint.token(org["ecology"])
        r = await joint.client.get("/v1/notifications", params={"task_id": tid}, headers=eco)
        assert [n["reason"] for n in r.json()["items"]] == ["assigned"]
        r = await joint.client.post(f"/v1/tasks/{tid}/actions/return", json={"reason": "不属环保职责"}, headers=eco)
        assert (r.json()["state"], r.json()["assignee_department_id"]) == ("unassigned", None)


def dispatched(org: dict[str, Dept], *, union_dept_no: str | None, task_no: str, uscc: str) -> JointTaskDispatched:
    data = JointTaskDispatchedData(
        upstream_task_no=task_no,
        source_system="national",
        origin=TaskOrigin.NATIONAL,
        kind=JointTaskKind.ASSISTANCE,
        task_name="国家局交办：网络销售处方药核查",
        task_start_time=datetime.now(UTC),
        initiate_unit_no="11100000MB0143028R",
        initiate_unit_name="国家市场监督管理总局",
        initiate_unit_type="national",
        union_dept_no=union_dept_no,
        union_dept_name=org["market"].name,
        union_region_no="341602",
        union_region_name="谯城区",
        supervision_matter_code="34160200000001",
        supervise_object_no="F5251",
        inspect_content="核查该企业网络销售处方药情况",
        inspect_claim="15 个工作日内反馈核查结果",
        supervise_objects=[
            JointSuperviseObject(
                object_type="legal_person",
                name="亳州市某某大药房有限公司",
                code=uscc,
                basis_data=JointBasisData(
                    complaint_info=[
                        JointComplaintRecord(complaint_id="12315-0001", channel="12315", summary="无处方售药")
                    ]
                ),
            )
        ],
    )
    return JointTaskDispatched.build(source="/crosslevel-bridge", subject=task_no, data=data)


class TestCrossLevel:
    async def test_a_national_task_arrives_and_its_status_goes_back_up(
        self, joint: Joint, org: dict[str, Dept]
    ) -> None:
        task_no = f"GJ{uuid.uuid4().hex[:12]}"
        event = dispatched(org, union_dept_no=org["market"].credit_code, task_no=task_no, uscc=new_uscc())
        await joint.publish([event, event])
        task = await task_for(joint, f"upstream:national:{task_no}")
        assert (task["origin"], task["upstream_task_no"], task["kind"]) == ("national", task_no, "assistance")
        assert task["assignee_department_id"] == str(org["market"].id)
        assert task["initiator_department_name"] == "国家市场监督管理总局"
        assert task["requirements"] == "15 个工作日内反馈核查结果"
        assert task["objects"][0]["basis_data"]["complaint_info"][0]["complaint_id"] == "12315-0001"
        market = joint.token(org["market"])
        for action, body in (
            ("accept", {}),
            (
                "submit_result",
                {
                    "result": {
                        "suggestion": "未发现违法销售处方药",
                        "records": [{"record_type": "adm_inspection", "record_no": "JC-9"}],
                    }
                },
            ),
        ):
            r = await joint.client.post(f"/v1/tasks/{task['id']}/actions/{action}", json=body, headers=market)
            assert r.status_code == 200, r.text
        events = await joint.events_of(STATUS, task["task_no"])
        assert [(e["national_status"], e["national_status_label"]) for e in events] == [
            ("dispatched", "分发"),
            ("claimed", "认领"),
            ("feedback", "反馈"),
        ]
        assert {e["upstream_task_no"] for e in events} == {task_no}
        assert events[-1]["feedback_suggestion"] == "未发现违法销售处方药"
        assert events[-1]["union_department_id"] == str(org["market"].id)
        rows = await joint.rows("SELECT payload, headers FROM outbox_events WHERE key = :k", k=task["task_no"])
        for row in rows:  # every outbound event parses as the catalogue's type
            parsed = from_kafka(row["payload"], [(k, v.encode()) for k, v in row["headers"].items()])
            assert parse_event(parsed.model_dump()).type == STATUS

    async def test_a_national_task_for_an_unknown_department_waits_for_the_dispatcher(
        self, joint: Joint, org: dict[str, Dept]
    ) -> None:
        task_no = f"GJ{uuid.uuid4().hex[:12]}"
        event = dispatched(org, union_dept_no="91110000000000000X", task_no=task_no, uscc=new_uscc())
        event = event.model_copy(
            update={
                "data": event.data.model_copy(update={"supervision_matter_code": None, "supervise_object_no": "R88"})
            }
        )
        await joint.publish([event])
        task = await task_for(joint, f"upstream:national:{task_no}")
        assert (task["state"], task["assignee_department_id"], task["initiator_region_code"]) == (
            "unassigned",
            None,
            "000000",
        )


class TestEvidence:
    async def test_the_evidence_pack_is_kept_from_events_and_attached_to_new_tasks(
        self, joint: Joint, org: dict[str, Dept]
    ) -> None:
        uscc, object_id, now = new_uscc(), uuid.uuid4(), datetime.now(UTC)
        grade = GradeChanged.build(
            source="/credit-svc",
            subject=str(object_id),
            data=GradeChangedData(
                object_id=object_id,
                uscc=uscc,
                name="亳州某某医院",
                region_code="341602",
                risk_class="D",
                score=38.5,
                scheme_id="samr-2022",
                scheme_version=1,
                graded_at=now,
            ),
        )

        def entry(list_type: CreditListType, action: ListAction, entry_id: uuid.UUID) -> ListEntryChanged:
            return ListEntryChanged.build(
                source="/credit-svc",
                subject=str(object_id),
                data=ListEntryChangedData(
                    entry_id=entry_id,
                    list_type=list_type,
                    action=action,
                    object_id=object_id,
                    uscc=uscc,
                    name="亳州某某医院",
                    region_code="341602",
                    reason="未按规定报送年度报告",
                    effective_from=date(2026, 1, 1),
                    changed_at=now,
                ),
            )

        serious = uuid.uuid4()

        def complaint(is_report: bool) -> ComplaintSignalRecorded:
            return ComplaintSignalRecorded.build(
                source="/complaint-svc",
                subject=uscc,
                data=ComplaintSignalData(
                    complaint_id=uuid.uuid4(),
                    object=SignalObject(uscc=uscc, name="亳州某某医院", region_code="341602"),
                    category=ObservationCategory.MEDICAL_SERVICE,
                    channel="12345",
                    is_report=is_report,
                    received_at=now,
                    summary="举报虚假宣传" if is_report else "收费不透明",
                ),
            )

        await joint.publish(
            [
                grade,
                entry(CreditListType.ABNORMAL_OPERATION, ListAction.ADDED, uuid.uuid4()),
                entry(CreditListType.SERIOUS_VIOLATION, ListAction.ADDED, serious),
                entry(CreditListType.SERIOUS_VIOLATION, ListAction.REMOVED, serious),
                complaint(False),
                complaint(True),
            ]
        )

        async def kept() -> bool:
            row = await joint.rows("SELECT * FROM joint_object_evidence WHERE object_key = :k", k=uscc)
            return (
                bool(row)
                and len(row[0]["complaint_info"]) == 1
                and len(row[0]["tip_info"]) == 1
                and row[0]["credit_assess"] is not None
            )

        await eventually(kept, timeout=60)
        r = await joint.client.post(
            "/v1/assistance-requests",
            json={
                "department_id": str(org["health"].id),
                "assistance_type": "investigation",
                "title": "协查亳州某某医院",
                "content": "请协助核查其医疗广告审查证明。",
                "objects": [{"object_type": "legal_person", "name": "亳州某某医院", "code": uscc}],
            },
            headers=joint.token(org["market"]),
        )
        assert r.status_code == 201, r.text
        basis = r.json()["objects"][0]["basis_data"]
        assert basis["credit_assess"]["risk_class"] == "D"
        assert [e["reason"] for e in basis["operating_abnormal"]] == ["未按规定报送年度报告"]
        assert basis["serious_illegal"] == []  # added, then removed
        assert [c["summary"] for c in basis["complaint_info"]] == ["收费不透明"]
        assert [c["summary"] for c in basis["tip_info"]] == ["举报虚假宣传"]
