"""Contracts of risk-svc: the warning events it stages carry the national record's fields and parse back;
the signals it consumes are the registered types of their topics."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from risk_svc.features.signals import from_observation
from risk_svc.main import create_app
from risk_svc.main import spec as risk_spec
from risk_svc.scoring.consumers import SignalProcessor
from supervision_schemas import ALL_EVENT_TYPES
from supervision_schemas.identifiers import uscc_check_char
from supervision_schemas.risk import WarningRaised
from supervision_schemas.signals import (
    ObservationCategory,
    ObservationKind,
    ObservationRecorded,
    ObservationRecordedData,
    SignalObject,
)
from svc_runtime.cloudevents import from_kafka, to_kafka
from svc_runtime.db import create_engine, create_sessionmaker
from svc_runtime.devstack.topology import Profile
from svc_runtime.outbox import OutboxEvent
from svc_runtime.settings import ServiceSettings
from svc_runtime.testing import TestIssuer, create_database, random_ref, serve_in_process, settings_for

NATIONAL_RECORD_FIELDS = {"warning_id", "rule_id", "level", "domain", "source", "province", "title", "properties"}


def test_risk_svc_consumes_registered_signal_types() -> None:
    sub = risk_spec.subscriptions[0]
    for event_type in sub.handlers:
        assert event_type in ALL_EVENT_TYPES
        assert ALL_EVENT_TYPES[event_type].topic in sub.topics


@pytest.mark.asyncio(loop_scope="session")
async def test_warning_events_carry_the_national_record_and_parse_back(stack: Profile, test_issuer: TestIssuer) -> None:
    url = await create_database(stack, random_ref("contract_risk"))
    settings = ServiceSettings(
        **settings_for(stack, "risk-svc", url, auth_jwks_url=test_issuer.jwks_url, run_background_workers=False)
    )
    async with serve_in_process(create_app(settings)) as client:  # migrates
        r = await client.get("/v1/models", headers={"authorization": f"Bearer {test_issuer.token()}"})
        assert r.status_code == 200, r.text
    body = "91341600" + uuid.uuid4().hex[:9].upper().translate(str.maketrans("IOZSV", "12345"))
    uscc = body + uscc_check_char(body)
    event = ObservationRecorded.build(
        source="/adwatch",
        subject=uscc,
        data=ObservationRecordedData(
            observation_id=uuid.uuid4(),
            kind=ObservationKind.ADVERTISING_MONITORING,
            category=ObservationCategory.MEDICAL_SERVICE,
            object=SignalObject(uscc=uscc, name="合同测试医院", region_code="341602", industry_code="Q8411"),
            observed_at=datetime.now(UTC) - timedelta(hours=1),
            channel="网页",
            values={"severity": 0.97},
        ),
    )
    key, value, headers = to_kafka(event)
    parsed = from_kafka(value, headers)  # what the consumer will see
    engine = create_engine(url, pool_size=1)
    processor = SignalProcessor(settings)
    async with create_sessionmaker(engine)() as session, session.begin():
        await processor.apply(session, [from_observation(parsed)])  # type: ignore[arg-type]
    async with engine.connect() as conn:
        rows = (await conn.execute(select(OutboxEvent.__table__).where(OutboxEvent.key == uscc))).all()
    await engine.dispose()
    await processor.hot.close()
    assert rows, "a strong medical-ad hit raises a warning"
    for row in rows:
        warning = from_kafka(row.payload, [(k, v.encode()) for k, v in row.headers.items()])
        assert isinstance(warning, WarningRaised)
        assert row.topic == WarningRaised.topic
        assert row.key == row.headers["ce_subject"] == uscc
        data = warning.data.model_dump()
        assert NATIONAL_RECORD_FIELDS <= set(data)
        assert data["object"]["uscc"] == uscc
        assert event.id in data["evidence"]["event_ids"]
        assert data["province"] == "340000"
