"""Builders of the events random-check-svc consumes, and a World that applies them and calls the API."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any

from httpx import AsyncClient, Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from random_check_svc.library.consumers import HANDLERS
from random_check_svc.settings import RandomCheckSettings
from supervision_schemas.auth import (
    Change,
    DepartmentChanged,
    DepartmentChangedData,
    InspectorChanged,
    InspectorChangedData,
    StaffStatus,
)
from supervision_schemas.catalog import (
    FormFieldSpec,
    InspectionListPublished,
    InspectionListPublishedData,
    ItemAbolished,
    ItemAbolishedData,
    ItemPublished,
    ItemPublishedData,
    ItemType,
    SupervisionLevel,
)
from supervision_schemas.credit import GradeChanged, GradeChangedData
from supervision_schemas.datahub import CreditClass, ObjectCreated, ObjectData, ObjectKind
from supervision_schemas.envelope import CloudEvent
from supervision_schemas.identifiers import uscc_check_char
from svc_runtime.testing import TestIssuer
from svc_runtime.workdays import CHINA_TZ

REGION = "341602"  # 亳州市谯城区
CITY = "341600"
AGENCY_USCC = "11341600MB1234567" + uscc_check_char("11341600MB1234567")
_codes = count(1)


_used_regions: set[str] = set()


def fresh_region() -> str:
    """A county code no other test of the run uses, so populations do not mix."""
    while True:
        code = f"{uuid.uuid4().int % 90 + 10:02d}{uuid.uuid4().int % 89 + 11:02d}{uuid.uuid4().int % 89 + 11:02d}"
        if code not in _used_regions:
            _used_regions.add(code)
            return code


def today() -> date:
    return datetime.now(CHINA_TZ).date()


def now() -> datetime:
    return datetime.now(UTC)


def new_item_code() -> str:
    return f"3416{uuid.uuid4().int % 10**10:010d}"


def new_uscc() -> str:
    body = "91341600" + uuid.uuid4().hex[:9].upper()
    body = "".join({"I": "1", "O": "0", "Z": "2", "S": "5", "V": "7"}.get(c, c) for c in body)
    return body + uscc_check_char(body)


def department(name: str, *, region: str = REGION, active: bool = True) -> DepartmentChanged:
    dept_id = uuid.uuid4()
    return DepartmentChanged.build(
        source="/auth-svc",
        subject=str(dept_id),
        data=DepartmentChangedData(
            change=Change.CREATED,
            department_id=dept_id,
            name=name,
            department_type="market_regulation",
            region_code=region,
            active=active,
            changed_at=now(),
        ),
    )


def item(
    code: str | None = None,
    *,
    name: str = "对食品经营者的监督检查",
    random_check: bool = True,
    object_types: Sequence[str] = ("legal_person",),
    domain: str | None = "食品",
    version: int = 1,
    region: str = CITY,
    department_id: uuid.UUID | None = None,
) -> ItemPublished:
    item_id = uuid.uuid4()
    return ItemPublished.build(
        source="/catalog-svc",
        subject=str(item_id),
        data=ItemPublishedData(
            item_id=item_id,
            code=code or new_item_code(),
            version=version,
            kind="main",
            name=name,
            item_type=ItemType.ADMINISTRATIVE_INSPECTION,
            supervision_level=SupervisionLevel.CITY,
            implementing_department="亳州市市场监督管理局",
            department_id=department_id,
            region_code=region,
            domain=domain,
            object_types=list(object_types),
            random_check=random_check,
            effective_from=now(),
        ),
    )


def abolished(event: ItemPublished) -> ItemAbolished:
    return ItemAbolished.build(
        source="/catalog-svc",
        subject=event.subject,
        data=ItemAbolishedData(
            item_id=event.data.item_id,
            code=event.data.code,
            version=event.data.version + 1,
            reason="法律废止",
            abolished_at=now(),
        ),
    )


def inspection_list(item_code: str, fields: Sequence[FormFieldSpec], *, version: int = 1) -> InspectionListPublished:
    list_id = uuid.uuid4()
    return InspectionListPublished.build(
        source="/catalog-svc",
        subject=str(list_id),
        data=InspectionListPublishedData(
            list_id=list_id,
            code=AGENCY_USCC + "3" + f"{next(_codes):06d}",
            item_id=uuid.uuid4(),
            item_code=item_code,
            level=3,
            agency_uscc=AGENCY_USCC,
            implementing_agency="亳州市市场监督管理局",
            region_code=CITY,
            method="on_site",
            version=version,
            form=list(fields),
            published_at=now(),
        ),
    )


def food_form() -> list[FormFieldSpec]:
    return [
        FormFieldSpec(key="licence_displayed", label="许可证公示", type="boolean", required=True),
        FormFieldSpec(key="hygiene", label="卫生状况", type="select", required=True, options=["良好", "一般", "较差"]),
        FormFieldSpec(key="staff_checked", label="检查从业人员数", type="integer"),
        FormFieldSpec(key="remarks", label="备注", type="text"),
    ]


def supervised_object(
    *,
    credit_class: str | None = "B",
    kind: ObjectKind = ObjectKind.LEGAL_PERSON,
    region: str = REGION,
    industry: str | None = "F5221",
    name: str | None = None,
    version: int = 1,
    object_id: uuid.UUID | None = None,
) -> ObjectCreated:
    oid = object_id or uuid.uuid4()
    return ObjectCreated.build(
        source="/datahub-svc",
        subject=str(oid),
        data=ObjectData(
            object_id=oid,
            kind=kind,
            name=name or f"谯城区某某食品店{str(oid)[:6]}",
            uscc=new_uscc() if kind is ObjectKind.LEGAL_PERSON else None,
            region_code=region,
            industry_code=industry,
            credit_class=CreditClass(credit_class) if credit_class else None,
            version=version,
            changed_at=now(),
        ),
    )


def grade(obj: ObjectCreated, risk_class: str, *, at: datetime | None = None) -> GradeChanged:
    return GradeChanged.build(
        source="/credit-svc",
        subject=obj.subject,
        data=GradeChangedData(
            object_id=obj.data.object_id,
            uscc=obj.data.uscc,
            name=obj.data.name,
            region_code=obj.data.region_code,
            risk_class=risk_class,
            score=50.0,
            scheme_id="samr-2022",
            scheme_version=1,
            graded_at=at or now(),
        ),
    )


def inspector(
    department_id: uuid.UUID,
    qualifications: Sequence[str],
    *,
    name: str | None = None,
    valid_from: date | None = None,
    valid_until: date | None = None,
    certificate: str | None = "auto",
    status: StaffStatus = StaffStatus.ACTIVE,
    region: str = REGION,
    user_id: uuid.UUID | None = None,
) -> InspectorChanged:
    uid = user_id or uuid.uuid4()
    return InspectorChanged.build(
        source="/auth-svc",
        subject=str(uid),
        data=InspectorChangedData(
            change=Change.CREATED,
            user_id=uid,
            name=name or f"检查员{str(uid)[:4]}",
            department_id=department_id,
            region_code=region,
            certificate_number=f"34160{next(_codes):07d}" if certificate == "auto" else certificate,
            certificate_valid_from=valid_from or today() - timedelta(days=365),
            certificate_valid_until=valid_until or today() + timedelta(days=365),
            qualifications=list(qualifications),
            status=status,
            changed_at=now(),
        ),
    )


@dataclass
class World:
    """The service under test, its database, and helpers to feed it events and call it as someone."""

    client: AsyncClient
    url: str
    engine: AsyncEngine
    issuer: TestIssuer
    settings: RandomCheckSettings
    sessionmaker: async_sessionmaker[AsyncSession] = field(init=False)

    def __post_init__(self) -> None:
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    async def apply(self, *events: CloudEvent | Iterable[CloudEvent]) -> None:
        """Apply events through the consumer's handlers (runs of one type, in order), as the consumer does."""
        flat: list[CloudEvent] = []
        for e in events:
            if isinstance(e, CloudEvent):
                flat.append(e)
            else:
                flat.extend(e)
        async with self.sessionmaker() as session, session.begin():
            run: list[CloudEvent] = []
            for event in flat:
                if run and run[0].type != event.type:
                    await HANDLERS[run[0].type](session, run)
                    run = []
                run.append(event)
            if run:
                await HANDLERS[run[0].type](session, run)

    def token(
        self,
        *,
        roles: Sequence[str] = ("platform_admin",),
        department_id: uuid.UUID | None = None,
        region_code: str = REGION,
        subject: str | None = None,
    ) -> dict[str, str]:
        claims: dict[str, Any] = {"region_code": region_code}
        if department_id:
            claims["department_id"] = str(department_id)
        token = self.issuer.token(subject or f"user-{uuid.uuid4().hex[:6]}", roles=tuple(roles), **claims)
        return {"authorization": f"Bearer {token}"}

    def admin_of(self, department_id: uuid.UUID, region_code: str = REGION) -> dict[str, str]:
        return self.token(roles=("department_admin",), department_id=department_id, region_code=region_code)

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.engine.connect() as conn:
            return await conn.scalar(text(sql), params)

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.engine.connect() as conn:
            return list((await conn.execute(text(sql), params)).all())

    async def execute(self, sql: str, **params: Any) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(text(sql), params)


def ok(r: Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


@dataclass
class Setup:
    """Departments, items, inspectors and objects of one scenario."""

    region: str
    departments: list[uuid.UUID]
    items: dict[uuid.UUID, list[str]]
    inspectors: dict[uuid.UUID, list[uuid.UUID]]
    objects: list[uuid.UUID]


async def scenario(
    world: World,
    *,
    departments: int = 1,
    inspectors_per_department: int = 4,
    objects: dict[str, int] | None = None,
    region: str | None = None,
    kind: ObjectKind = ObjectKind.LEGAL_PERSON,
) -> Setup:
    """A fresh region: departments each with one item (its own domain) and qualified inspectors, and objects."""
    region = region or fresh_region()
    dept_events = [department(f"部门{i}", region=region) for i in range(departments)]
    await world.apply(dept_events)
    items: dict[uuid.UUID, list[str]] = {}
    people: dict[uuid.UUID, list[uuid.UUID]] = {}
    events: list[CloudEvent] = []
    for i, d in enumerate(dept_events):
        dept_id = d.data.department_id
        it = item(domain=f"领域{i}-{uuid.uuid4().hex[:4]}")
        items[dept_id] = [it.data.code]
        events.append(it)
        inspectors_ = [inspector(dept_id, [it.data.code], region=region) for _ in range(inspectors_per_department)]
        people[dept_id] = [p.data.user_id for p in inspectors_]
        events.extend(inspectors_)
    await world.apply(events)
    objs = [
        supervised_object(credit_class=cls or None, region=region, kind=kind)
        for cls, n in (objects or {}).items()
        for _ in range(n)
    ]
    if objs:
        await world.apply(objs)
    return Setup(region, [d.data.department_id for d in dept_events], items, people, [o.data.object_id for o in objs])


def plan_body(setup: Setup, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": f"{today().year}年度双随机抽查计划",
        "year": today().year,
        "region_code": setup.region,
        "department_id": str(setup.departments[0]),
        "departments": [{"department_id": str(d), "item_codes": setup.items[d]} for d in setup.departments],
    }
    body.update(overrides)
    return body
