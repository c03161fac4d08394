"""Fixtures of joint-svc's tests, loaded with `pytest_plugins = ["joint_fixtures"]` (no conftest name clash).

One joint-svc runs in process for the session on the test profile's PostgreSQL, Kafka and Redis, with
its own database and consumer groups. Departments reach its directory the real way: as auth-svc's
`DepartmentChanged` events on Kafka.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest_asyncio
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from joint_svc.main import build_spec, create_app
from joint_svc.settings import JointSettings
from supervision_schemas.auth import Change, DepartmentChanged, DepartmentChangedData
from supervision_schemas.envelope import CloudEvent
from supervision_schemas.identifiers import uscc_check_char
from svc_runtime.cloudevents import to_kafka
from svc_runtime.db import create_engine
from svc_runtime.devstack.topology import Profile
from svc_runtime.kafka import create_producer
from svc_runtime.testing import (
    TestIssuer,
    create_database,
    eventually,
    random_ref,
    serve_in_process,
    settings_for,
    skip_history,
)


def new_uscc(prefix: str = "11341600") -> str:
    body = prefix + uuid.uuid4().hex[:9].upper()
    body = "".join({"I": "1", "O": "0", "Z": "2", "S": "5", "V": "7"}.get(c, c) for c in body)
    return body + uscc_check_char(body)


@dataclass
class Dept:
    id: uuid.UUID
    name: str
    region_code: str
    department_type: str
    parent_id: uuid.UUID | None = None
    credit_code: str = field(default_factory=new_uscc)


@dataclass
class Joint:
    client: AsyncClient
    url: str
    settings: JointSettings
    issuer: TestIssuer
    engine: AsyncEngine

    def token(self, dept: Dept | None, *roles: str, region_code: str | None = None) -> dict[str, str]:
        claims: dict[str, Any] = {"region_code": region_code or (dept.region_code if dept else None)}
        if dept is not None:
            claims["department_id"] = str(dept.id)
        token = self.issuer.token(
            subject=f"user-{dept.name if dept else 'leader'}", roles=roles or ("department_admin",), **claims
        )
        return {"authorization": f"Bearer {token}"}

    def admin(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.issuer.token(roles=('platform_admin',), region_code='000000')}"}

    async def publish(self, events: Sequence[CloudEvent]) -> None:
        producer = create_producer(self.settings)
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

    async def departments(self, *depts: Dept) -> None:
        """Publish the departments as auth-svc does and wait until the directory has them."""
        now = datetime.now(UTC)
        await self.publish(
            [
                DepartmentChanged.build(
                    source="/auth-svc",
                    subject=str(d.id),
                    data=DepartmentChangedData(
                        change=Change.CREATED,
                        department_id=d.id,
                        name=d.name,
                        department_type=d.department_type,
                        region_code=d.region_code,
                        parent_id=d.parent_id,
                        credit_code=d.credit_code,
                        active=True,
                        changed_at=now,
                    ),
                )
                for d in depts
            ]
        )
        ids = [d.id for d in depts]

        async def known() -> bool:
            return await self.scalar(
                "SELECT count(*) FROM joint_departments WHERE department_id = ANY(:ids)", ids=ids
            ) == len(ids)

        await eventually(known, timeout=120)

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.engine.connect() as conn:
            return await conn.scalar(text(sql), params)

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.engine.connect() as conn:
            return list((await conn.execute(text(sql), params)).mappings().all())

    async def events_of(self, event_type: str, key: str) -> list[dict[str, Any]]:
        """Payloads of the events joint-svc staged in its outbox, of one type and key, in order."""
        import orjson

        rows = await self.rows(
            "SELECT payload FROM outbox_events WHERE event_type = :t AND key = :k ORDER BY seq", t=event_type, k=key
        )
        return [orjson.loads(r["payload"]) for r in rows]


def make_depts(suffix: str, region: str = "341602") -> dict[str, Dept]:
    """A small organisation: a province and a city market bureau above a county one, and county peers."""
    province = Dept(uuid.uuid4(), f"省市场监管局{suffix}", "340000", f"market_regulation_{suffix}")
    city = Dept(
        uuid.uuid4(), f"亳州市市场监管局{suffix}", region[:4] + "00", f"market_regulation_{suffix}", province.id
    )
    return {
        "province": province,
        "city": city,
        "market": Dept(uuid.uuid4(), f"谯城区市场监管局{suffix}", region, f"market_regulation_{suffix}", city.id),
        "approval": Dept(uuid.uuid4(), f"谯城区行政审批局{suffix}", region, "administrative_approval"),
        "health": Dept(uuid.uuid4(), f"谯城区卫健委{suffix}", region, "health"),
        "ecology": Dept(uuid.uuid4(), f"谯城区生态环境分局{suffix}", region, "ecology_environment"),
    }


@contextlib.asynccontextmanager
async def running_joint(stack: Profile, issuer: TestIssuer, **overrides: Any) -> AsyncIterator[Joint]:
    """joint-svc in process on a database of its own, with consumer groups of its own."""
    url = await create_database(stack, random_ref("joint"))
    settings = JointSettings(**settings_for(stack, "joint-svc", url, auth_jwks_url=issuer.jwks_url, **overrides))
    prefix = random_ref("joint")
    await asyncio.gather(
        *(skip_history(settings, sub.group, sub.topics) for sub in build_spec(settings, prefix).subscriptions)
    )
    app = create_app(settings, group_prefix=prefix)
    engine = create_engine(url, pool_size=4)
    try:
        async with serve_in_process(app) as client:
            yield Joint(client, url, settings, issuer, engine)
    finally:
        await engine.dispose()


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def joint(stack: Profile, test_issuer: TestIssuer) -> AsyncIterator[Joint]:
    async with running_joint(stack, test_issuer, joint_sweep_interval_s=0.5) as j:
        yield j


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def org(joint: Joint) -> dict[str, Dept]:
    """Departments shared by the tests that need no fresh ones."""
    depts = make_depts(uuid.uuid4().hex[:6])
    await joint.departments(*depts.values())
    return depts
