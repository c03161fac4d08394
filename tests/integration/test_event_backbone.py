"""The event backbone on real servers: catalog-svc's outbox -> Kafka -> datahub-svc's consumer.

Both services run in this process (their web apps, relay and consumer), against the test
profile's PostgreSQL and Kafka broker; the broker tests stop and restart that broker process.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer
from httpx import AsyncClient
from sqlalchemy import text

from catalog_svc.main import create_app as create_catalog
from datahub_svc.main import create_app as create_datahub
from svc_runtime.db import create_engine
from svc_runtime.devstack import infra
from svc_runtime.devstack.topology import Profile
from svc_runtime.kafka import create_producer, dead_letter_topic
from svc_runtime.settings import ServiceSettings
from svc_runtime.testing import TestIssuer, create_database, eventually, random_ref, serve_in_process, settings_for

pytestmark = pytest.mark.asyncio(loop_scope="session")

ITEM = {
    "name": "对特种设备使用单位的监督检查",
    "item_type": "administrative_inspection",
    "supervision_level": "city",
    "implementing_department": "亳州市市场监督管理局",
    "region_code": "341600",
}


@dataclass
class Pair:
    catalog: AsyncClient
    datahub: AsyncClient
    catalog_url: str
    datahub_url: str


async def scalar(url: str, sql: str, **params: Any) -> Any:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return await conn.scalar(text(sql), params)
    finally:
        await engine.dispose()


@pytest_asyncio.fixture(loop_scope="session")
async def pair(stack: Profile, test_issuer: TestIssuer) -> AsyncIterator[Pair]:
    catalog_url = await create_database(stack, random_ref("catalog"))
    datahub_url = await create_database(stack, random_ref("datahub"))
    common = {"auth_jwks_url": test_issuer.jwks_url, "outbox_poll_interval_s": 0.2}
    catalog = create_catalog(ServiceSettings(**settings_for(stack, random_ref("catalog-svc"), catalog_url, **common)))
    datahub = create_datahub(ServiceSettings(**settings_for(stack, "datahub-svc", datahub_url, **common)))
    token = test_issuer.token()
    async with serve_in_process(catalog) as c, serve_in_process(datahub) as d:
        for client in (c, d):
            client.headers["authorization"] = f"Bearer {token}"
        yield Pair(c, d, catalog_url, datahub_url)


async def in_library(pair: Pair, item_id: str) -> dict[str, Any] | None:
    r = await pair.datahub.get(f"/v1/catalog-items/{item_id}")
    return r.json() if r.status_code == 200 else None


async def create_item(pair: Pair, **overrides: Any) -> str:
    r = await pair.catalog.post("/v1/items", json={**ITEM, **overrides})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def times_processed(pair: Pair, item_id: str) -> int:
    event_id = await scalar(pair.catalog_url, "SELECT event_id FROM outbox_events WHERE key = :key", key=item_id)
    return int(
        await scalar(
            pair.datahub_url,
            "SELECT count(*) FROM processed_events WHERE consumer_group = 'datahub.catalog' AND event_id = :e",
            e=event_id,
        )
    )


class TestEventBackbone:
    async def test_created_item_reaches_the_datahub_library(self, pair: Pair) -> None:
        item_id = await create_item(pair)
        stored = await eventually(lambda: in_library(pair, item_id))
        assert stored["name"] == ITEM["name"]
        assert stored["region_code"] == "341600"
        assert await times_processed(pair, item_id) == 1

    async def test_event_created_while_broker_is_down_arrives_once(self, pair: Pair, stack: Profile) -> None:
        infra.stop_kafka(stack)
        try:
            item_id = await create_item(pair, name="停机期间创建的事项")
            await asyncio.sleep(1.0)
            assert await in_library(pair, item_id) is None
        finally:
            infra.start_kafka(stack)
        await eventually(lambda: in_library(pair, item_id), timeout=60)
        await asyncio.sleep(2.0)  # time for any duplicate to show
        assert await times_processed(pair, item_id) == 1

    async def test_events_acknowledged_but_lost_by_the_broker_arrive_once(self, pair: Pair, stack: Profile) -> None:
        # Stop the consumer side: datahub's consumer is paused by stopping it through its worker task.
        workers = [t for t in asyncio.all_tasks() if t.get_name() == "consumer-datahub.catalog"]
        assert workers, "datahub consumer is not running"
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        ids = [await create_item(pair, name=f"未消费事项 {i}") for i in range(5)]

        async def all_sent() -> bool:
            unsent = await scalar(
                pair.catalog_url, "SELECT count(*) FROM outbox_events WHERE sent_at IS NULL AND key = ANY(:k)", k=ids
            )
            return unsent == 0

        await eventually(all_sent)
        infra.stop_kafka(stack)  # the broker had acknowledged them; they die with it
        infra.start_kafka(stack)
        # Restart the consumer as the service would after a crash.
        from datahub_svc.catalog.consumers import subscription
        from svc_runtime.app import supervise
        from svc_runtime.consumer import EventConsumer

        settings = ServiceSettings(**settings_for(stack, "datahub-svc", pair.datahub_url))
        from svc_runtime.db import create_sessionmaker

        engine = create_engine(pair.datahub_url, pool_size=2)
        consumer = EventConsumer(settings, create_sessionmaker(engine), subscription)
        task = asyncio.create_task(supervise("datahub.catalog", consumer.run), name="consumer-datahub.catalog")
        try:
            for item_id in ids:
                await eventually(lambda item_id=item_id: in_library(pair, item_id), timeout=60)
            await asyncio.sleep(2.0)
            for item_id in ids:
                assert await times_processed(pair, item_id) == 1
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await engine.dispose()

    async def test_malformed_event_goes_to_dead_letter_topic_and_consumer_carries_on(
        self, pair: Pair, stack: Profile
    ) -> None:
        settings = ServiceSettings(**settings_for(stack, "poison-producer", pair.catalog_url))
        producer = create_producer(settings)
        await producer.start()
        marker = random_ref("poison")
        try:
            await producer.send_and_wait(
                "supervision.catalog.items",
                key=marker.encode(),
                value=b'{"not": "an item"',
                headers=[("ce_id", marker.encode()), ("ce_type", b"gov.supervision.catalog.item.created.v1")],
            )
            await producer.send_and_wait(
                "supervision.catalog.items",
                key=marker.encode(),
                value=b'{"item_id": "nope"}',
                headers=[
                    ("ce_id", (marker + "-2").encode()),
                    ("ce_source", b"/somewhere"),
                    ("ce_type", b"gov.supervision.catalog.item.created.v1"),
                    ("ce_specversion", b"1.0"),
                    ("ce_time", b"2026-11-21T10:00:00+00:00"),
                    ("ce_subject", marker.encode()),
                ],
            )
        finally:
            await producer.stop()
        # The consumer carries on: a valid event after the poison ones is applied.
        item_id = await create_item(pair, name="毒消息之后的事项")
        await eventually(lambda: in_library(pair, item_id), timeout=30)

        dlq = AIOKafkaConsumer(
            dead_letter_topic("datahub.catalog"),
            bootstrap_servers=stack.kafka_bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=None,
        )
        await dlq.start()
        try:
            found: dict[str, dict[str, bytes]] = {}
            deadline = asyncio.get_running_loop().time() + 20
            while len(found) < 2 and asyncio.get_running_loop().time() < deadline:
                batch = await dlq.getmany(timeout_ms=500)
                for records in batch.values():
                    for r in records:
                        headers = dict(r.headers)
                        if headers.get("ce_id", b"").decode().startswith(marker):
                            found[headers["ce_id"].decode()] = headers
        finally:
            await dlq.stop()
        assert set(found) == {marker, marker + "-2"}
        assert all(h["dlq_topic"] == b"supervision.catalog.items" for h in found.values())
        assert b"schema" in found[marker + "-2"]["dlq_reason"] or b"match" in found[marker + "-2"]["dlq_reason"]
        # nothing half-applied: the poison events left no trace in the library
        stored = await scalar(
            pair.datahub_url, "SELECT count(*) FROM processed_events WHERE event_id LIKE :m", m=marker + "%"
        )
        assert stored == 0
