"""Deadlines in working days, reminders before them, escalation (督办) up the hierarchy after them.

The sweep is called with chosen moments (no waiting on the clock); one test lets the background
sweep find a task whose deadline was moved into the past. These tests run on a database of their
own, so that sweeping at future moments touches no other test's tasks.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from joint_fixtures import Dept, Joint, make_depts, running_joint

from joint_svc.deadlines import clock
from joint_svc.deadlines.sweep import sweep_once
from svc_runtime.db import create_sessionmaker
from svc_runtime.devstack.topology import Profile
from svc_runtime.testing import TestIssuer, eventually
from svc_runtime.workdays import CHINA_TZ, WorkdayCalendar

pytestmark = pytest.mark.asyncio(loop_scope="module")

HOLIDAYS = '{"holidays": ["2030-10-01", "2030-10-02", "2030-10-03"], "workdays": ["2030-09-29"]}'


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def sweepable(stack: Profile, test_issuer: TestIssuer) -> AsyncIterator[tuple[Joint, dict[str, Dept]]]:
    async with running_joint(stack, test_issuer, joint_sweep_interval_s=0.3, workday_calendar=HOLIDAYS) as j:
        depts = make_depts(uuid.uuid4().hex[:6])
        await j.departments(*depts.values())
        yield j, depts


async def assistance(joint: Joint, depts: dict[str, Dept], **extra: Any) -> dict[str, Any]:
    r = await joint.client.post(
        "/v1/assistance-requests",
        json={
            "department_id": str(depts["market"].id),
            "assistance_type": "investigation",
            "title": "协查某食品经营者进货台账",
            "content": "请协助核查进货来源。",
            "deadline_workdays": 3,
            **extra,
        },
        headers=joint.token(depts["ecology"]),
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


class TestWorkingDayDeadlines:
    async def test_the_deadline_counts_working_days_of_the_configured_calendar(
        self, sweepable: tuple[Joint, dict[str, Dept]]
    ) -> None:
        joint, depts = sweepable
        task = await assistance(joint, depts)
        deadline = at(task["deadline"]).astimezone(CHINA_TZ)
        today = datetime.now(CHINA_TZ).date()
        calendar = WorkdayCalendar.from_json(HOLIDAYS)
        assert deadline.date() == calendar.add_workdays(today, 3)
        assert (deadline.hour, deadline.minute) == (23, 59)
        assert calendar.add_workdays(datetime(2030, 9, 30).date(), 1).isoformat() == "2030-10-04"  # holidays skipped

    async def test_the_deadline_may_be_a_day_but_not_a_past_one(self, sweepable: tuple[Joint, dict[str, Dept]]) -> None:
        joint, depts = sweepable
        day = (datetime.now(CHINA_TZ) + timedelta(days=30)).date()
        task = await assistance(joint, depts, deadline_workdays=None, deadline=day.isoformat())
        assert at(task["deadline"]).astimezone(CHINA_TZ).date() == day
        r = await joint.client.post(
            "/v1/assistance-requests",
            json={
                "department_id": str(depts["market"].id),
                "assistance_type": "investigation",
                "title": "x",
                "content": "y",
                "deadline": (datetime.now(CHINA_TZ) - timedelta(days=1)).date().isoformat(),
            },
            headers=joint.token(depts["ecology"]),
        )
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["loc"] == ["body", "deadline"]


class TestReminderAndEscalation:
    async def test_reminded_before_escalated_after_once_each_and_up_the_hierarchy(
        self, sweepable: tuple[Joint, dict[str, Dept]]
    ) -> None:
        joint, depts = sweepable
        sessions = create_sessionmaker(joint.engine)
        task = await assistance(joint, depts)
        tid, deadline = task["id"], at(task["deadline"])
        market, initiator, city = (
            joint.token(depts["market"]),
            joint.token(depts["ecology"]),
            joint.token(depts["city"]),
        )

        remind_at = clock.reminder_time(joint.settings, deadline) + timedelta(minutes=1)
        await sweep_once(sessions, joint.settings, now=remind_at)
        await sweep_once(sessions, joint.settings, now=remind_at)  # again: nothing more to do
        r = await joint.client.get("/v1/notifications", params={"task_id": tid, "reason": "reminder"}, headers=market)
        assert r.json()["total"] == 1, r.text
        assert "将于" in r.json()["items"][0]["message"]
        r = await joint.client.get(f"/v1/tasks/{tid}", headers=city)
        assert r.status_code == 404, r.text  # the supervising level sees it only once escalated

        late = deadline + timedelta(minutes=5)
        await sweep_once(sessions, joint.settings, now=late)
        await sweep_once(sessions, joint.settings, now=late)
        r = await joint.client.get(f"/v1/tasks/{tid}", headers=city)
        assert r.status_code == 200, r.text
        escalated = r.json()
        assert escalated["escalation_level"] == 1
        assert escalated["escalated_to_department_id"] == str(depts["city"].id)  # the receiver's parent
        assert escalated["overdue"] is False  # not yet overdue by the real clock
        for who in (city, market, initiator):
            r = await joint.client.get("/v1/notifications", params={"task_id": tid, "reason": "escalated"}, headers=who)
            assert r.json()["total"] == 1, r.text
            assert "督办（第 1 级）" in r.json()["items"][0]["message"]
        r = await joint.client.get("/v1/tasks", params={"role": "escalated"}, headers=city)
        assert tid in [t["id"] for t in r.json()["items"]]

        level2 = clock.escalation_time(joint.settings, deadline, 2) + timedelta(minutes=1)
        await sweep_once(sessions, joint.settings, now=level2)
        r = await joint.client.get(f"/v1/tasks/{tid}", headers=joint.token(depts["province"]))
        assert r.status_code == 200, r.text
        assert r.json()["escalation_level"] == 2
        assert r.json()["escalated_to_department_id"] == str(depts["province"].id)
        await sweep_once(sessions, joint.settings, now=level2 + timedelta(days=60))  # the ladder has two levels
        entries = (await joint.client.get(f"/v1/tasks/{tid}/timeline", headers=market)).json()["items"]
        assert [e["action"] for e in entries] == ["create", "reminder", "escalation", "escalation"]
        assert [e["data"].get("level") for e in entries[2:]] == [1, 2]
        assert await joint.scalar("SELECT next_due_at FROM joint_tasks WHERE id = :i", i=uuid.UUID(tid)) is None

    async def test_an_answered_task_is_not_escalated(self, sweepable: tuple[Joint, dict[str, Dept]]) -> None:
        joint, depts = sweepable
        sessions = create_sessionmaker(joint.engine)
        task = await assistance(joint, depts)
        market = joint.token(depts["market"])
        for action, body in (("accept", {}), ("submit_result", {"result": {"suggestion": "台账齐全"}})):
            r = await joint.client.post(f"/v1/tasks/{task['id']}/actions/{action}", json=body, headers=market)
            assert r.status_code == 200, r.text
        await sweep_once(sessions, joint.settings, now=at(task["deadline"]) + timedelta(days=30))
        r = await joint.client.get(f"/v1/tasks/{task['id']}", headers=market)
        assert r.json()["escalation_level"] == 0
        assert r.json()["reminded_at"] is None

    async def test_concurrent_sweeps_escalate_each_task_once(self, sweepable: tuple[Joint, dict[str, Dept]]) -> None:
        joint, depts = sweepable
        tasks = [await assistance(joint, depts, deadline_workdays=7) for _ in range(25)]
        ids = [uuid.UUID(t["id"]) for t in tasks]
        late = max(at(t["deadline"]) for t in tasks) + timedelta(minutes=1)
        settings = joint.settings.model_copy(update={"joint_sweep_batch": 4})
        replicas = [create_sessionmaker(joint.engine) for _ in range(3)]
        await asyncio.gather(*(sweep_once(s, settings, now=late) for s in replicas))
        rows = await joint.rows(
            "SELECT task_id, count(*) AS n FROM joint_task_events WHERE action = 'escalation' AND task_id = ANY(:ids) "
            "GROUP BY task_id",
            ids=ids,
        )
        assert len(rows) == 25
        assert {r["n"] for r in rows} == {1}
        notified = await joint.scalar(
            "SELECT count(*) FROM joint_notifications WHERE reason = 'escalated' AND task_id = ANY(:ids)", ids=ids
        )
        assert notified == 25 * 3  # supervising level, receiver, initiator

    async def test_the_background_sweep_escalates_a_task_whose_deadline_passed(
        self, sweepable: tuple[Joint, dict[str, Dept]]
    ) -> None:
        joint, depts = sweepable
        task = await assistance(joint, depts)
        async with joint.engine.begin() as conn:
            await conn.exec_driver_sql(
                "UPDATE joint_tasks SET deadline = now() - interval '2 hours', next_due_at = now() "
                f"WHERE id = '{task['id']}'"
            )

        async def escalated() -> bool:
            r = await joint.client.get(f"/v1/tasks/{task['id']}", headers=joint.token(depts["market"]))
            return bool(r.json()["escalation_level"] == 1)

        await eventually(escalated, timeout=60)
        r = await joint.client.get(
            "/v1/tasks", params={"overdue": True, "role": "received"}, headers=joint.token(depts["market"])
        )
        assert [t["id"] for t in r.json()["items"]] == [task["id"]]
        assert r.json()["items"][0]["overdue"] is True
