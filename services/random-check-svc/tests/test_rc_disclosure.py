"""Automatic disclosure (一公开): entered results are disclosed by a background worker when their deadline
(20 working days after the check, on the configured calendar) comes; never twice, across re-runs and
restarts; unfinished tasks are never disclosed."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
import pytest_asyncio
from rc_helpers import World, food_form, inspection_list, ok, plan_body, scenario, today

from random_check_svc.library.consumers import subscription
from random_check_svc.main import create_app
from random_check_svc.settings import RandomCheckSettings
from random_check_svc.tasks.service import AUTO_DISCLOSER, disclose_due
from supervision_schemas.randomcheck import CheckResultPublished
from svc_runtime.cloudevents import from_kafka
from svc_runtime.db import create_engine
from svc_runtime.devstack.topology import Profile
from svc_runtime.testing import (
    TestIssuer,
    create_database,
    eventually,
    random_ref,
    serve_in_process,
    settings_for,
    skip_history,
)

pytest_plugins = ["rc_fixtures"]
pytestmark = pytest.mark.asyncio(loop_scope="session")
RESULT_PUBLISHED = "gov.supervision.randomcheck.result.published.v1"
CALENDAR = '{"holidays": ["2026-10-01", "2026-10-02", "2026-10-05"], "workdays": ["2026-09-27"]}'  # as rc_fixtures


@dataclass
class Drawn:
    draw: dict[str, Any]
    tasks: list[dict[str, Any]]


async def drawn(world: World, *, objects: int = 3) -> Drawn:
    setup = await scenario(world, objects={"D": objects})
    await world.apply([inspection_list(setup.items[d][0], food_form()) for d in setup.departments])
    plan = ok(await world.client.post("/v1/plans", json=plan_body(setup, class_ratios={"D": 1.0})), 201)
    committed = ok(await world.client.post(f"/v1/plans/{plan['id']}/draws", json={"check_date": str(today())}), 201)
    draw = ok(await world.client.post(f"/v1/draws/{committed['id']}/execute", json={}))
    tasks = ok(await world.client.get("/v1/tasks", params={"draw_id": draw["id"], "limit": 100}))["items"]
    return Drawn(draw, tasks)


async def enter(world: World, task: dict[str, Any]) -> dict[str, Any]:
    body = {
        "category": "no_problem",
        "checked_on": str(today()),
        "summary": "未发现问题",
        "forms": {task["item_codes"][0]: {"licence_displayed": True, "hygiene": "良好"}},
    }
    entered: dict[str, Any] = ok(await world.client.put(f"/v1/tasks/{task['id']}/result", json=body))
    return entered


async def run_disclosure(world: World, on: date) -> list[uuid.UUID]:
    async with world.sessionmaker() as session, session.begin():
        return await disclose_due(session, world.settings, on=on)


async def published_events(world: World, task_id: str) -> list[CheckResultPublished]:
    rows = await world.rows(
        "SELECT headers, payload FROM outbox_events WHERE event_type = :t ORDER BY seq", t=RESULT_PUBLISHED
    )
    events = [from_kafka(bytes(r[1]), [(k, v.encode()) for k, v in r[0].items()]) for r in rows]
    return [e for e in events if isinstance(e, CheckResultPublished) and str(e.data.result_id) == task_id]


class TestDueResults:
    async def test_results_are_disclosed_on_their_deadline_once(self, world: World) -> None:
        d = await drawn(world)
        entered = await enter(world, d.tasks[0])
        due = date.fromisoformat(entered["disclosure_due"])
        assert due == world.settings.calendar().add_workdays(today(), world.settings.disclosure_workdays)
        day_before = world.settings.calendar().add_workdays(due, -1)
        assert entered["id"] not in {str(i) for i in await run_disclosure(world, day_before)}
        assert ok(await world.client.get(f"/v1/tasks/{entered['id']}"))["status"] == "submitted"

        disclosed = await run_disclosure(world, due)
        assert uuid.UUID(entered["id"]) in disclosed
        task = ok(await world.client.get(f"/v1/tasks/{entered['id']}"))
        assert (task["status"], task["published_by"]) == ("published", AUTO_DISCLOSER)
        [event] = await published_events(world, entered["id"])
        assert event.data.category == "no_problem"
        assert event.data.checked_on == today()
        public = ok(await world.client.get("/v1/public/results", params={"draw_id": d.draw["id"]}))
        assert entered["id"] in {r["result_id"] for r in public["items"]}

        assert await run_disclosure(world, due + timedelta(days=3)) == []  # a re-run finds nothing to do
        assert len(await published_events(world, entered["id"])) == 1
        again = await world.client.post(f"/v1/tasks/{entered['id']}/publish")
        assert again.status_code == 409, again.text

    async def test_unfinished_tasks_are_never_disclosed(self, world: World) -> None:
        d = await drawn(world)
        far = today() + timedelta(days=400)
        disclosed = {str(i) for i in await run_disclosure(world, far)}
        for task in d.tasks:
            assert task["id"] not in disclosed
            assert ok(await world.client.get(f"/v1/tasks/{task['id']}"))["status"] in ("assigned", "understaffed")
            assert await published_events(world, task["id"]) == []

    async def test_holidays_push_the_deadline_back(self, world: World) -> None:
        # 2026-09-30 (Wed) + 3 working days: 10-01, 10-02 holidays, 10-03/04 weekend, 10-05 holiday
        calendar = world.settings.calendar()
        assert calendar.add_workdays(date(2026, 9, 30), 3) == date(2026, 10, 8)
        assert calendar.add_workdays(date(2026, 9, 25), 1) == date(2026, 9, 27)  # a make-up Sunday counts


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def live_url(stack: Profile) -> str:
    return await create_database(stack, random_ref("random_check_disclosure"))


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def live_settings(stack: Profile, test_issuer: TestIssuer, live_url: str) -> RandomCheckSettings:
    # a result is due as soon as it is entered (20 working days ahead), and the worker looks often
    return RandomCheckSettings(
        **settings_for(
            stack,
            "random-check-svc",
            live_url,
            auth_jwks_url=test_issuer.jwks_url,
            workday_calendar=CALENDAR,
            auto_disclosure_lead_workdays=25,
            auto_disclosure_interval_s=0.2,
        )
    )


@contextlib.asynccontextmanager
async def running(settings: RandomCheckSettings, issuer: TestIssuer) -> AsyncIterator[World]:
    """The service with its workers (relay, library consumer from now on, automatic disclosure)."""
    group = random_ref("random-check.library")
    await skip_history(settings, group, subscription(group).topics)
    engine = create_engine(settings.database_url, pool_size=2)
    try:
        async with serve_in_process(create_app(settings, group=group)) as client:
            client.headers["authorization"] = f"Bearer {issuer.token()}"
            yield World(client, settings.database_url, engine, issuer, settings)
    finally:
        await engine.dispose()


class TestWorker:
    async def test_the_worker_discloses_due_results_and_a_restart_repeats_nothing(
        self, live_settings: RandomCheckSettings, test_issuer: TestIssuer
    ) -> None:
        async with running(live_settings, test_issuer) as world:
            d = await drawn(world, objects=2)
            entered = await enter(world, d.tasks[0])

            async def disclosed() -> dict[str, Any] | None:
                task: dict[str, Any] = ok(await world.client.get(f"/v1/tasks/{entered['id']}"))
                return task if task["status"] == "published" else None

            task = await eventually(disclosed, timeout=60, interval=0.2)
            assert task["published_by"] == AUTO_DISCLOSER
            assert len(await published_events(world, entered["id"])) == 1
        # a restart of the service: the worker starts again over the same database
        async with running(live_settings, test_issuer) as world2:
            later = await enter(world2, d.tasks[1])

            async def second() -> bool:
                return bool(await published_events(world2, later["id"]))

            await eventually(second, timeout=60, interval=0.2)
            assert len(await published_events(world2, entered["id"])) == 1
            assert await run_disclosure(world2, today()) == []
