"""End to end on the real broker: other services' events in, the draw and disclosed results out."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from httpx import AsyncClient
from rc_helpers import (
    department,
    food_form,
    fresh_region,
    inspection_list,
    inspector,
    item,
    ok,
    supervised_object,
    today,
)

from random_check_svc.library.consumers import subscription
from random_check_svc.main import create_app
from random_check_svc.settings import RandomCheckSettings
from supervision_schemas.envelope import CloudEvent
from supervision_schemas.randomcheck import RANDOMCHECK_DRAWS_TOPIC, RANDOMCHECK_RESULTS_TOPIC
from svc_runtime.cloudevents import from_kafka, to_kafka
from svc_runtime.devstack.topology import Profile
from svc_runtime.kafka import create_consumer, create_producer
from svc_runtime.testing import (
    TestIssuer,
    create_database,
    eventually,
    random_ref,
    serve_in_process,
    settings_for,
    skip_history,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def live(stack: Profile, test_issuer: TestIssuer) -> AsyncIterator[tuple[AsyncClient, RandomCheckSettings]]:
    """The service with its outbox relay and its library consumer running against the test broker."""
    url = await create_database(stack, random_ref("random_check_live"))
    settings = RandomCheckSettings(**settings_for(stack, "random-check-svc", url, auth_jwks_url=test_issuer.jwks_url))
    group = random_ref("random-check.library")
    await skip_history(settings, group, subscription(group).topics)  # the shared broker's backlog is not ours
    async with serve_in_process(create_app(settings, group=group)) as client:
        client.headers["authorization"] = f"Bearer {test_issuer.token()}"
        yield client, settings


async def publish(settings: RandomCheckSettings, events: list[CloudEvent]) -> None:
    producer = create_producer(settings, request_timeout_ms=60_000)  # the broker is shared with every suite
    await producer.start()
    try:
        futures = []
        for e in events:
            key, value, headers = to_kafka(e)
            futures.append(await producer.send(e.topic, value=value, key=key, headers=headers))
        for f in futures:
            await f
    finally:
        await producer.stop()


async def reader(settings: RandomCheckSettings, topic: str) -> str:
    """A consumer group positioned at the end of `topic` now (the events before are other suites')."""
    group = random_ref("rc.reader")
    await skip_history(settings, group, [topic])
    return group


async def read_topic(settings: RandomCheckSettings, topic: str, group: str, want: set[str]) -> dict[str, Any]:
    """Events on `topic` whose subject is in `want`, read by `group` from where it was positioned."""
    consumer = create_consumer(settings, group, (topic,))
    await consumer.start()
    found: dict[str, Any] = {}
    try:

        async def poll() -> bool:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for r in records:
                    event = from_kafka(r.value, r.headers)
                    if event.subject in want:
                        found[event.subject] = event
            return want <= set(found)

        await eventually(poll, timeout=120)
    finally:
        await consumer.stop()
    return found


async def test_events_in_draw_and_disclosure_out(live: tuple[AsyncClient, RandomCheckSettings]) -> None:
    client, settings = live
    region = fresh_region()
    dept = department("亳州市市场监督管理局谯城分局", region=region)
    it = item()
    people = [inspector(dept.data.department_id, [it.data.code], region=region) for _ in range(3)]
    objects = [supervised_object(credit_class="D", region=region) for _ in range(4)]
    await publish(settings, [dept, it, inspection_list(it.data.code, food_form()), *people, *objects])

    async def library_ready() -> bool:
        objs = (await client.get("/v1/objects", params={"region_code": region})).json()
        insp = (await client.get("/v1/inspectors", params={"department_id": str(dept.data.department_id)})).json()
        form = (await client.get(f"/v1/items/{it.data.code}/form")).json() if objs.get("total") else None
        return objs.get("total") == 4 and insp.get("total") == 3 and bool(form)

    await eventually(library_ready, timeout=120, interval=0.5)

    plan_request = {
        "name": "谯城区食品经营者双随机抽查",
        "year": today().year,
        "region_code": region,
        "department_id": str(dept.data.department_id),
        "departments": [{"department_id": str(dept.data.department_id), "item_codes": [it.data.code]}],
        "class_ratios": {"D": 0.5},
    }

    async def plan_created() -> dict[str, Any] | None:
        # the department comes on its own topic: until it is in, the plan is refused (unknown department)
        r = await client.post("/v1/plans", json=plan_request)
        assert r.status_code in (201, 422), r.text
        return r.json() if r.status_code == 201 else None

    plan = await eventually(plan_created, timeout=120, interval=0.5)
    draws_reader = await reader(settings, RANDOMCHECK_DRAWS_TOPIC)
    results_reader = await reader(settings, RANDOMCHECK_RESULTS_TOPIC)
    committed = ok(await client.post(f"/v1/plans/{plan['id']}/draws", json={"check_date": str(today())}), 201)
    drawn = ok(await client.post(f"/v1/draws/{committed['id']}/execute", json={}))
    assert drawn["summary"]["visits"] == 2

    tasks = ok(await client.get("/v1/tasks", params={"draw_id": drawn["id"]}))["items"]
    task = tasks[0]
    ok(
        await client.put(
            f"/v1/tasks/{task['id']}/result",
            json={
                "category": "no_problem",
                "checked_on": str(today()),
                "forms": {it.data.code: {"licence_displayed": True, "hygiene": "良好"}},
            },
        )
    )
    ok(await client.post(f"/v1/tasks/{task['id']}/publish"))

    draws = await read_topic(settings, RANDOMCHECK_DRAWS_TOPIC, draws_reader, {plan["id"]})
    assert draws[plan["id"]].data.seed == drawn["seed"]
    results = await read_topic(settings, RANDOMCHECK_RESULTS_TOPIC, results_reader, {task["object_id"]})
    assert results[task["object_id"]].data.result_id == uuid.UUID(task["id"])
