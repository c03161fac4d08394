"""Fixtures of complaint-svc's tests (loaded with `pytest_plugins = ["complaint_fixtures"]`)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator

import pytest_asyncio
from complaint_helpers import CITY, REGION, Svc, new_uscc, now, publish

from complaint_svc.main import build_spec, create_app
from complaint_svc.settings import ComplaintSettings
from supervision_schemas.auth import Change, DepartmentChanged, DepartmentChangedData
from supervision_schemas.datahub import ObjectCreated, ObjectData, ObjectKind
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

DEPARTMENTS = {
    # name: (department type, region)
    "qiaocheng_market": ("market_regulation", REGION),
    "bozhou_drugs": ("drugs", CITY),
    "qiaocheng_health": ("health", REGION),
    "bozhou_environment": ("ecology_environment", CITY),
    "mengcheng_market": ("market_regulation", REGION[:4] + "22"),
}


def _department_events(ids: dict[str, uuid.UUID]) -> list[DepartmentChanged]:
    return [
        DepartmentChanged.build(
            source="/auth-svc",
            subject=str(ids[name]),
            data=DepartmentChangedData(
                change=Change.CREATED,
                department_id=ids[name],
                name=f"{name}局",
                department_type=kind,
                region_code=region,
                active=True,
                changed_at=now(),
            ),
        )
        for name, (kind, region) in DEPARTMENTS.items()
    ]


def _object(name: str, uscc: str | None, department: uuid.UUID, industry: str) -> ObjectCreated:
    object_id = uuid.uuid4()
    return ObjectCreated.build(
        source="/datahub-svc",
        subject=str(object_id),
        data=ObjectData(
            object_id=object_id,
            kind=ObjectKind.LEGAL_PERSON,
            name=name,
            uscc=uscc,
            region_code=REGION,
            department_id=department,
            industry_code=industry,
            version=1,
            changed_at=now(),
        ),
    )


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def svc(stack: Profile, test_issuer: TestIssuer) -> AsyncIterator[Svc]:
    """complaint-svc in process on a fresh database, consuming views from Kafka, seeded with departments and objects."""
    url = await create_database(stack, random_ref("complaint"))
    settings = ComplaintSettings(
        **settings_for(
            stack,
            "complaint-svc",
            url,
            auth_jwks_url=test_issuer.jwks_url,
            deadline_scan_interval_s=0,
            hotspot_scan_interval_s=0,
            hotspot_min_count=3,
            open311_api_keys={"app-key-1": "mobile_app"},
        )
    )
    engine = create_engine(url, pool_size=2)
    departments = {name: uuid.uuid4() for name in DEPARTMENTS}
    # Names unique to the run: the topics keep other runs' objects, which the views read as well.
    tag = "".join(chr(0x4E00 + secrets.randbelow(0x5000)) for _ in range(3))
    supermarket = _object(f"亳州市{tag}惠民生活超市有限公司", new_uscc(), departments["qiaocheng_market"], "F5211")
    pharmacy = _object(f"亳州市{tag}济仁堂大药房连锁有限公司", None, departments["bozhou_drugs"], "F5251")
    clinic = _object(f"谯城区{tag}康乐口腔诊所", new_uscc("52341600"), departments["qiaocheng_health"], "Q8423")
    seeded = [supermarket, pharmacy, clinic]
    group, national_group = random_ref("complaint.views"), random_ref("complaint.national")
    for sub in build_spec(settings, group, national_group).subscriptions:
        await skip_history(settings, sub.group, sub.topics)
    async with serve_in_process(create_app(settings, group=group, national_group=national_group)) as client:
        client.headers["authorization"] = f"Bearer {test_issuer.token()}"
        await publish(settings, [*_department_events(departments), *seeded])
        svc = Svc(
            client,
            url,
            engine,
            test_issuer,
            settings,
            departments,
            {
                "supermarket": supermarket.data.model_dump(),
                "pharmacy": pharmacy.data.model_dump(),
                "clinic": clinic.data.model_dump(),
                "tag": {"name": tag},
            },
        )

        async def views_ready() -> bool:
            objects = await svc.scalar(
                "SELECT count(*) FROM object_view WHERE object_id = ANY(:ids)", ids=[e.data.object_id for e in seeded]
            )
            depts = await svc.scalar(
                "SELECT count(*) FROM department_view WHERE department_id = ANY(:ids)", ids=list(departments.values())
            )
            return objects == len(seeded) and depts == len(departments)

        await eventually(views_ready, timeout=120)
        yield svc
    await engine.dispose()
