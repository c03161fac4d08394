"""Builders and helpers of credit-svc's tests (events as the producers send them, outbox reading)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from httpx import AsyncClient
from sqlalchemy import text

from credit_svc.settings import CreditSettings
from supervision_schemas.datahub import (
    BehaviourRecorded,
    BehaviourRecordedData,
    BehaviourType,
    ObjectChanged,
    ObjectCreated,
    ObjectData,
    ObjectKind,
    ObjectMerged,
    ObjectMergedData,
)
from supervision_schemas.envelope import CloudEvent
from supervision_schemas.identifiers import uscc_check_char
from supervision_schemas.risk import (
    DisposalOutcome,
    Evidence,
    ModelRef,
    RiskDomain,
    WarningClosed,
    WarningClosedData,
    WarningData,
    WarningLevel,
    WarningObject,
    WarningRaised,
)
from supervision_schemas.signals import ComplaintSignalData, ComplaintSignalRecorded, ObservationCategory, SignalObject
from svc_runtime.cloudevents import from_kafka, to_kafka
from svc_runtime.db import create_engine
from svc_runtime.kafka import create_producer
from svc_runtime.testing import TestIssuer, eventually

_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def new_uscc(region: str = "341602") -> str:
    body = "91" + region + "".join(random.choice(_CHARS) for _ in range(9))
    return body + uscc_check_char(body)


@dataclass
class Credit:
    """credit-svc in process: an admin client, its database URL, settings and the token issuer."""

    client: AsyncClient
    url: str
    settings: CreditSettings
    issuer: TestIssuer
    department: uuid.UUID = field(default_factory=uuid.uuid4)

    def headers(
        self,
        *roles: str,
        region: str = "341602",
        department: uuid.UUID | None = None,
        sub: str | None = None,
        scopes: tuple[str, ...] = (),
    ) -> dict[str, str]:
        claims: dict[str, Any] = {"region_code": region}
        if department is not None:
            claims["department_id"] = str(department)
        token = self.issuer.token(sub or f"user-{uuid.uuid4().hex[:8]}", roles=roles, scopes=scopes, **claims)
        return {"authorization": f"Bearer {token}"}


@dataclass
class Obj:
    object_id: uuid.UUID
    uscc: str | None
    region_code: str
    department_id: uuid.UUID | None
    name: str
    kind: ObjectKind = ObjectKind.LEGAL_PERSON
    industry_code: str | None = "F5251"
    version: int = 1

    def data(self, **changes: Any) -> ObjectData:
        values: dict[str, Any] = {
            "object_id": self.object_id,
            "kind": self.kind,
            "name": self.name,
            "uscc": self.uscc,
            "region_code": self.region_code,
            "department_id": self.department_id,
            "industry_code": self.industry_code,
            "version": self.version,
            "changed_at": datetime.now(UTC),
        }
        values.update(changes)
        return ObjectData(**values)


def new_object(
    *,
    region: str = "341602",
    department: uuid.UUID | None = None,
    kind: ObjectKind = ObjectKind.LEGAL_PERSON,
    industry: str | None = "F5251",
    with_uscc: bool = True,
) -> Obj:
    return Obj(
        object_id=uuid.uuid4(),
        uscc=new_uscc(region) if with_uscc and kind is ObjectKind.LEGAL_PERSON else None,
        region_code=region,
        department_id=department,
        name=f"测试企业{uuid.uuid4().hex[:6]}",
        kind=kind,
        industry_code=industry,
    )


def created(obj: Obj) -> ObjectCreated:
    return ObjectCreated.build(source="/datahub-svc", subject=str(obj.object_id), data=obj.data())


def changed(obj: Obj, **changes: Any) -> ObjectChanged:
    obj.version += 1
    return ObjectChanged.build(source="/datahub-svc", subject=str(obj.object_id), data=obj.data(**changes))


def merged(surviving: Obj, others: list[Obj], action: str = "merge") -> ObjectMerged:
    return ObjectMerged.build(
        source="/datahub-svc",
        subject=str(surviving.object_id),
        data=ObjectMergedData(
            surviving_object_id=surviving.object_id,
            merged_object_ids=[o.object_id for o in others],
            action=action,  # type: ignore[arg-type]
            merged_at=datetime.now(UTC),
        ),
    )


def behaviour(
    obj: Obj,
    record_type: BehaviourType,
    *,
    result: str | None = None,
    amount: str | None = None,
    acted_on: date | None = None,
    linked: bool = True,
    record_id: uuid.UUID | None = None,
) -> BehaviourRecorded:
    return BehaviourRecorded.build(
        source="/datahub-svc",
        subject=str(obj.object_id),
        data=BehaviourRecordedData(
            record_id=record_id or uuid.uuid4(),
            record_type=record_type,
            record_code=f"亳市监罚〔2026〕{random.randint(1, 9999)}号",
            item_code="34160000000001",
            object_id=obj.object_id if linked else None,
            object_uscc=obj.uscc,
            object_name=obj.name,
            region_code=obj.region_code,
            department_id=obj.department_id,
            acted_on=acted_on or date.today(),
            result=result,
            penalty_amount=amount,
            recorded_at=datetime.now(UTC),
        ),
    )


def complaint(obj: Obj, *, report: bool = False) -> ComplaintSignalRecorded:
    return ComplaintSignalRecorded.build(
        source="/complaint-svc",
        subject=obj.uscc or str(obj.object_id),
        data=ComplaintSignalData(
            complaint_id=uuid.uuid4(),
            object=SignalObject(
                uscc=obj.uscc, object_id=str(obj.object_id), name=obj.name, region_code=obj.region_code
            ),
            category=ObservationCategory.FOOD,
            channel="12315",
            is_report=report,
            received_at=datetime.now(UTC),
        ),
    )


def warning(obj: Obj, level: WarningLevel = WarningLevel.RED, warning_id: uuid.UUID | None = None) -> WarningRaised:
    now = datetime.now(UTC)
    wid = warning_id or uuid.uuid4()
    return WarningRaised.build(
        source="/risk-svc",
        subject=obj.uscc or f"obj:{obj.object_id}",
        data=WarningData(
            warning_id=wid,
            rule_id="false_medical_ad@1",
            title="虚假医疗广告风险",
            level=level,
            score=0.9,
            domain=RiskDomain.MARKET,
            source="risk-svc",
            province="340000",
            object=WarningObject(
                key=obj.uscc or f"obj:{obj.object_id}",
                uscc=obj.uscc,
                object_id=str(obj.object_id),
                name=obj.name,
                region_code=obj.region_code,
            ),
            evidence=Evidence(),
            model=ModelRef(model_key="false_medical_ad", version=1, estimator="rule"),
            responsible_department="亳州市市场监督管理局",
            trigger_event_id=str(uuid.uuid4()),
            raised_at=now,
            updated_at=now,
        ),
    )


def warning_closed(obj: Obj, warning_id: uuid.UUID) -> WarningClosed:
    return WarningClosed.build(
        source="/risk-svc",
        subject=obj.uscc or f"obj:{obj.object_id}",
        data=WarningClosedData(
            warning_id=warning_id,
            object_key=obj.uscc or f"obj:{obj.object_id}",
            model_key="false_medical_ad",
            outcome=DisposalOutcome.ACTION_TAKEN,
            closed_at=datetime.now(UTC),
        ),
    )


async def publish(settings: CreditSettings, *events: CloudEvent) -> None:
    # generous timeouts: the test broker is shared with every other suite of the run
    producer = create_producer(settings, request_timeout_ms=60_000)
    await producer.start()
    try:
        for e in events:
            key, value, headers = to_kafka(e)
            await producer.send_and_wait(e.topic, value=value, key=key, headers=headers)
    finally:
        await producer.stop()


async def query(url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(text(sql), params)).all())
    finally:
        await engine.dispose()


async def outbox(url: str, event_type: str, subject: str | None = None) -> list[CloudEvent]:
    """Events of a type staged in credit-svc's outbox (parsed with the consumers' parser), oldest first."""
    rows = await query(
        url,
        "SELECT headers, payload FROM outbox_events WHERE event_type = :t AND (CAST(:s AS text) IS NULL OR key = :s) ORDER BY seq",
        t=event_type,
        s=subject,
    )
    return [from_kafka(bytes(r[1]), [(k, v.encode()) for k, v in r[0].items()]) for r in rows]


GRADE_CHANGED = "gov.supervision.credit.grade.changed.v1"
LIST_CHANGED = "gov.supervision.credit.list.changed.v1"


async def grade_of(credit: Credit, object_id: uuid.UUID) -> dict[str, Any] | None:
    r = await credit.client.get(f"/v1/grades/{object_id}")
    if r.status_code == 404:
        return None
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def wait_grade(credit: Credit, object_id: uuid.UUID, check: Any = None, timeout: float = 90) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        grade = await grade_of(credit, object_id)
        return grade if grade is not None and (check is None or check(grade)) else None

    result: dict[str, Any] = await eventually(probe, timeout=timeout, interval=0.2)
    return result


async def seed(credit: Credit, *objects: Obj) -> None:
    """Put objects into the view as the consumer does (same handler code, without going through Kafka)."""
    from credit_svc.objects.consumers import InputConsumer
    from svc_runtime.db import create_sessionmaker

    engine = create_engine(credit.url, pool_size=1)
    try:
        consumer = InputConsumer(credit.settings)
        async with create_sessionmaker(engine)() as session, session.begin():
            await consumer.on_objects(session, [created(o) for o in objects])
    finally:
        await engine.dispose()


def check_result(obj: Obj, *, problem: bool, result_id: uuid.UUID | None = None) -> Any:
    from supervision_schemas.randomcheck import CheckResultPublished, CheckResultPublishedData, ResultCategory

    return CheckResultPublished.build(
        source="/random-check-svc",
        subject=str(obj.object_id),
        data=CheckResultPublishedData(
            result_id=result_id or uuid.uuid4(),
            visit_id=uuid.uuid4(),
            draw_id=uuid.uuid4(),
            plan_id=uuid.uuid4(),
            plan_name="2026年度双随机抽查计划",
            joint=False,
            object_id=obj.object_id,
            uscc=obj.uscc,
            object_name=obj.name,
            region_code=obj.region_code,
            department_id=obj.department_id or uuid.uuid4(),
            item_codes=["34160000000001"],
            checked_on=date.today(),
            category=ResultCategory.PROBLEM_CORRECTED if problem else ResultCategory.NO_PROBLEM,
            problem_found=problem,
            published_at=datetime.now(UTC),
        ),
    )
