"""Grades kept from events on real Kafka and PostgreSQL: objects, penalties, inspections, complaints, warnings,
merges; GradeChanged only when the score or class changes, naming the event and the factors that moved it."""

from __future__ import annotations

import uuid

import pytest
from credit_helpers import (
    GRADE_CHANGED,
    Credit,
    behaviour,
    changed,
    check_result,
    complaint,
    created,
    merged,
    new_object,
    outbox,
    publish,
    query,
    wait_grade,
    warning,
    warning_closed,
)

from supervision_schemas.credit import GradeChanged
from supervision_schemas.datahub import BehaviourType, CreditClass
from supervision_schemas.risk import WarningLevel
from svc_runtime.testing import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")
pytest_plugins = ["credit_fixtures"]


async def grade_events(credit: Credit, object_id: uuid.UUID) -> list[GradeChanged]:
    return [e for e in await outbox(credit.url, GRADE_CHANGED, str(object_id)) if isinstance(e, GradeChanged)]


class TestIncrementalGrading:
    async def test_new_object_is_graded_and_announced(self, credit: Credit) -> None:
        obj = new_object(department=credit.department)
        event = created(obj)
        await publish(credit.settings, event)
        grade = await wait_grade(credit, obj.object_id)
        # base 80, complete basic information, three clean years (+5)
        assert grade["score"] == 85.0
        assert grade["risk_class"] == "B"
        assert grade["scheme_key"] == "samr-2022"
        assert {f["indicator"] for f in grade["factors"]} == {"compliance_3y"}
        events = await eventually(lambda: grade_events(credit, obj.object_id), timeout=60)
        assert len(events) == 1
        data = events[0].data
        assert data.risk_class == "B"
        assert data.previous_class is None
        assert data.score == 85.0
        assert data.uscc == obj.uscc
        assert data.region_code == "341602"
        assert data.name == obj.name
        assert data.trigger == "event"
        assert data.trigger_event_id == event.id

    async def test_penalty_moves_the_class_and_explains_why(self, credit: Credit) -> None:
        obj = new_object(department=credit.department)
        await publish(credit.settings, created(obj))
        await wait_grade(credit, obj.object_id)
        penalty = behaviour(obj, BehaviourType.PENALTY, result="销售过期食品", amount="50000.00")
        await publish(credit.settings, penalty)
        grade = await wait_grade(credit, obj.object_id, lambda g: g["risk_class"] == "C")
        # 85 - 12 (one penalty) - 3 (fine of 50,000) - 5 (no longer three clean years)
        assert grade["score"] == 65.0
        assert grade["previous_class"] == "B"
        assert grade["previous_score"] == 85.0
        moved = {f["indicator"]: f["contribution"] for f in grade["moved_by"]}
        assert moved == {"penalties_3y": -12.0, "penalty_amount_3y": -3.0, "compliance_3y": -5.0}
        factors = {f["indicator"]: f for f in grade["factors"]}
        assert factors["penalties_3y"]["value"] == 1.0
        assert factors["penalty_amount_3y"]["value"] == 50000.0
        events = await eventually(lambda: _at_least(grade_events(credit, obj.object_id), 2), timeout=60)
        last = events[-1].data
        assert (last.previous_class, last.risk_class) == ("B", "C")
        assert last.trigger_event_id == penalty.id
        assert {f.indicator for f in last.moved_by} == {"penalties_3y", "penalty_amount_3y", "compliance_3y"}
        assert last.factors[0].indicator == "penalties_3y"  # largest first
        records = await credit.client.get("/v1/records", params={"object_id": str(obj.object_id)})
        assert records.status_code == 200, records.text
        [record] = records.json()["items"]
        assert record["record_type"] == "penalty"
        assert record["source"] == "datahub"
        assert record["amount"] == "50000.00"

    async def test_unchanged_inputs_emit_nothing(self, credit: Credit) -> None:
        obj = new_object(department=credit.department)
        record_id = uuid.uuid4()
        await publish(credit.settings, created(obj), behaviour(obj, BehaviourType.PENALTY, record_id=record_id))
        await wait_grade(credit, obj.object_id, lambda g: g["risk_class"] == "C")
        before = len(await eventually(lambda: grade_events(credit, obj.object_id), timeout=60))
        # The same record re-sent with a new event id, and a change the grade does not read (the class tag).
        marker = new_object()
        await publish(
            credit.settings,
            behaviour(obj, BehaviourType.PENALTY, record_id=record_id),
            changed(obj, credit_class=CreditClass.C),
            created(marker),
        )
        await wait_grade(credit, marker.object_id)  # everything published before the marker was consumed
        history = await credit.client.get(f"/v1/grades/{obj.object_id}/history")
        assert history.json()["total"] == before
        assert len(await grade_events(credit, obj.object_id)) == before

    async def test_inspections_complaints_and_warnings(self, credit: Credit) -> None:
        obj = new_object(department=credit.department)
        await publish(credit.settings, created(obj))
        await wait_grade(credit, obj.object_id)
        await publish(
            credit.settings,
            behaviour(obj, BehaviourType.INSPECTION, result="未发现问题"),
            behaviour(obj, BehaviourType.INSPECTION, result="合格"),
        )
        grade = await wait_grade(credit, obj.object_id, lambda g: g["score"] == 90.0)
        assert grade["risk_class"] == "A"  # two clean inspections: +5
        await publish(credit.settings, complaint(obj), complaint(obj, report=True))
        grade = await wait_grade(credit, obj.object_id, lambda g: g["score"] < 90)
        grade = await wait_grade(credit, obj.object_id, lambda g: abs(g["score"] - 84.6) < 1e-6)
        assert grade["risk_class"] == "B"
        wid = uuid.uuid4()
        await publish(credit.settings, warning(obj, WarningLevel.RED, warning_id=wid))
        grade = await wait_grade(credit, obj.object_id, lambda g: abs(g["score"] - 74.6) < 1e-6)
        assert grade["risk_class"] == "C"
        assert {f["indicator"]: f["value"] for f in grade["factors"]}["risk_warnings"] == 4.0
        await publish(credit.settings, warning_closed(obj, wid))
        grade = await wait_grade(credit, obj.object_id, lambda g: abs(g["score"] - 84.6) < 1e-6)
        assert grade["risk_class"] == "B"
        await publish(credit.settings, behaviour(obj, BehaviourType.INSPECTION, result="发现问题，已责令整改"))
        grade = await wait_grade(credit, obj.object_id, lambda g: g["score"] < 84)
        # -7.5 failed inspection, +2.5 fewer passed, -5 compliance
        factors = {f["indicator"]: f["contribution"] for f in grade["factors"]}
        assert factors["inspections_failed_2y"] == -7.5

    async def test_random_check_results_count_once(self, credit: Credit) -> None:
        obj = new_object(department=credit.department)
        await publish(credit.settings, created(obj))
        await wait_grade(credit, obj.object_id)
        result = check_result(obj, problem=True)
        await publish(credit.settings, result)
        grade = await wait_grade(credit, obj.object_id, lambda g: g["score"] < 85)
        factors = {f["indicator"]: f for f in grade["factors"]}
        assert factors["inspections_failed_2y"]["value"] == 1.0
        # The data hub's mirror of the same result (its record code is the result id) is not a second inspection.
        mirror = behaviour(obj, BehaviourType.INSPECTION, result="发现问题")
        mirror = mirror.model_copy(
            update={"data": mirror.data.model_copy(update={"record_code": str(result.data.result_id)})}
        )
        marker = new_object()
        await publish(credit.settings, mirror, check_result(obj, problem=False), created(marker))
        await wait_grade(credit, marker.object_id)
        grade = await wait_grade(
            credit, obj.object_id, lambda g: "inspections_passed_2y" in {f["indicator"] for f in g["factors"]}
        )
        factors = {f["indicator"]: f for f in grade["factors"]}
        assert factors["inspections_failed_2y"]["value"] == 1.0

    async def test_inputs_before_their_object_are_attached(self, credit: Credit) -> None:
        obj = new_object(department=credit.department)
        await publish(credit.settings, behaviour(obj, BehaviourType.PENALTY, linked=False, amount="2000"))
        await eventually(
            lambda: query(credit.url, "SELECT 1 FROM credit_records WHERE uscc = :u AND object_id IS NULL", u=obj.uscc),
            timeout=90,
        )
        await publish(credit.settings, created(obj))
        grade = await wait_grade(credit, obj.object_id)
        assert grade["risk_class"] == "C"
        assert grade["score"] == 68.0

    async def test_merge_moves_inputs_to_the_survivor(self, credit: Credit) -> None:
        keep, dup = new_object(department=credit.department), new_object(department=credit.department)
        await publish(credit.settings, created(keep), created(dup), behaviour(dup, BehaviourType.PENALTY))
        await wait_grade(credit, dup.object_id, lambda g: g["risk_class"] == "C")
        await wait_grade(credit, keep.object_id, lambda g: g["risk_class"] == "B")
        await publish(credit.settings, merged(keep, [dup]))
        grade = await wait_grade(credit, keep.object_id, lambda g: g["risk_class"] == "C")
        assert {f["indicator"] for f in grade["factors"]} >= {"penalties_3y"}
        r = await credit.client.get(f"/v1/grades/{dup.object_id}")
        assert r.status_code == 404, r.text
        await publish(credit.settings, merged(keep, [dup], action="split"))
        await wait_grade(credit, keep.object_id, lambda g: g["risk_class"] == "B")
        await wait_grade(credit, dup.object_id, lambda g: g["risk_class"] == "C")


async def _at_least(awaitable, n):  # type: ignore[no-untyped-def]
    items = await awaitable
    return items if len(items) >= n else None
