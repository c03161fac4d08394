"""Helpers of complaint-svc's tests: the service handle, tokens, seed events and outbox reads."""

from __future__ import annotations

import asyncio
import secrets
import uuid
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from complaint_svc.settings import ComplaintSettings
from supervision_schemas.envelope import CloudEvent
from supervision_schemas.identifiers import uscc_check_char
from svc_runtime.cloudevents import from_kafka, to_kafka
from svc_runtime.kafka import create_producer, ensure_topics, topic_specs
from svc_runtime.testing import TestIssuer

# A county and city of this run only (valid GB/T 2260 shape in province 34): the Kafka topics keep other
# runs' departments and objects, which the views read as well.
REGION = f"349{secrets.randbelow(9) + 1}{secrets.randbelow(90) + 10:02d}"
CITY = REGION[:4] + "00"


@dataclass
class Svc:
    client: AsyncClient
    url: str
    engine: AsyncEngine
    issuer: TestIssuer
    settings: ComplaintSettings
    departments: dict[str, uuid.UUID]
    objects: dict[str, dict[str, Any]]

    def headers(self, **claims: Any) -> dict[str, str]:
        return {"authorization": f"Bearer {self.issuer.token(**claims)}"}

    def staff(self, department: str, role: str = "inspector", region: str = REGION) -> dict[str, str]:
        return self.headers(
            subject=f"{role}-{department}",
            roles=(role,),
            region_code=region,
            department_id=str(self.departments[department]),
        )

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.engine.connect() as conn:
            return await conn.scalar(text(sql), params)

    async def outbox(self, complaint_id: str | None = None, event_type: str | None = None) -> list[CloudEvent]:
        """Events staged in the outbox (parsed as consumers parse them), optionally of one complaint or type."""
        async with self.engine.connect() as conn:
            rows = (await conn.execute(text("SELECT headers, payload FROM outbox_events ORDER BY seq"))).all()
        events = [from_kafka(bytes(r.payload), [(k, v.encode()) for k, v in r.headers.items()]) for r in rows]
        if event_type:
            events = [e for e in events if e.type == event_type]
        if complaint_id:
            events = [e for e in events if str(getattr(e.data, "complaint_id", "")) == complaint_id]
        return events


def new_uscc(prefix: str = "91341600") -> str:
    body = prefix + uuid.uuid4().hex[:9].upper().replace("I", "1").replace("O", "0")
    body = "".join(c if c not in "ZSV" else "1" for c in body)
    return body + uscc_check_char(body)


async def publish(settings: ComplaintSettings, events: list[CloudEvent]) -> None:
    producer = create_producer(settings)
    await producer.start()
    try:
        for e in events:
            key, value, headers = to_kafka(e)
            await producer.send_and_wait(e.topic, value=value, key=key, headers=headers)
    finally:
        await producer.stop()


def complaint_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "complaint",
        "channel": "12345",
        "content": "在这家超市买的酸奶已经过期三天还在货架上销售，要求退款被拒绝",
        "region_code": REGION,
        "complainant": {"anonymous": False, "name": "李四", "phone": "13812345678", "id_number": "11010519491231002X"},
    }
    body.update(overrides)
    return body


def now() -> datetime:
    return datetime.now(UTC)


async def _partitions(settings: ComplaintSettings, topics: Sequence[str]) -> list[TopicPartition]:
    """The topics' partitions as the broker has them (a topic auto-created before it was declared may have fewer)."""
    await ensure_topics(settings, topic_specs(topics))
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    return [TopicPartition(t["topic"], p["partition"]) for t in described for p in t.get("partitions", [])]


async def _commit_ends(settings: ComplaintSettings, group: str, topics: Sequence[str]) -> None:
    partitions = await _partitions(settings, topics)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=group,
        enable_auto_commit=False,
        request_timeout_ms=10_000,
        retry_backoff_ms=200,
    )
    await consumer.start()
    try:
        ends = await consumer.end_offsets(partitions)
        consumer.assign(partitions)
        for tp, offset in ends.items():
            consumer.seek(tp, offset)
        # the dev broker's "end" may name the last record rather than the next offset: read past it
        for tp, records in (await consumer.getmany(timeout_ms=1000)).items():
            ends[tp] = max(ends[tp], records[-1].offset + 1)
        await consumer.commit(dict(ends))
    finally:
        await consumer.stop()


async def skip_history(
    settings: ComplaintSettings, group: str, topics: Sequence[str], *, patience_s: float = 150
) -> None:
    """Commit the group's offsets at the end of its topics, so that the views read only this run's events.

    The shared test broker holds every object and department other suites published. While they load
    it an offsets request can time out, so each attempt runs on a fresh client and is retried with
    backoff; should the broker never answer, the views read the topics from the start instead (slower,
    just as correct: the seeds are unique to the run).
    """
    loop = asyncio.get_running_loop()
    give_up, delay = loop.time() + patience_s, 0.5
    while True:
        try:
            await asyncio.wait_for(_commit_ends(settings, group, topics), timeout=45)
            return
        except (KafkaError, TimeoutError, OSError) as exc:
            if loop.time() + delay > give_up:
                warnings.warn(f"{group} reads its topics from the start: {exc!r}", stacklevel=2)
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 8.0)
