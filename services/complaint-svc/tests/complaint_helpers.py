"""Helpers of complaint-svc's tests: the service handle, tokens, seed events and outbox reads."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from complaint_svc.settings import ComplaintSettings
from supervision_schemas.envelope import CloudEvent
from supervision_schemas.identifiers import uscc_check_char
from svc_runtime.cloudevents import from_kafka, to_kafka
from svc_runtime.kafka import create_producer
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
