"""Contracts across services: what producers emit validates against what consumers parse."""

from __future__ import annotations

import importlib

import pytest
from sqlalchemy import select

from catalog_svc.main import create_app as create_catalog
from datahub_svc.main import spec as datahub_spec
from supervision_schemas import ALL_EVENT_TYPES, TOPICS
from supervision_schemas.export import asyncapi
from svc_runtime.cloudevents import MalformedEvent, from_kafka
from svc_runtime.db import create_engine
from svc_runtime.devstack.topology import SERVICES, Profile
from svc_runtime.outbox import OutboxEvent
from svc_runtime.settings import ServiceSettings
from svc_runtime.testing import TestIssuer, create_database, random_ref, serve_in_process, settings_for

REQUIRED_HEADERS = {"ce_id", "ce_source", "ce_type", "ce_specversion", "ce_time", "ce_subject"}


def all_subscriptions() -> list[tuple[str, object]]:
    subs = []
    for svc in SERVICES:
        module = importlib.import_module(svc.app.split(":")[0])
        for sub in module.spec.subscriptions:
            subs.append((svc.name, sub))
    return subs


@pytest.mark.asyncio(loop_scope="session")
async def test_catalog_item_events_validate_against_datahub_consumer(stack: Profile, test_issuer: TestIssuer) -> None:
    url = await create_database(stack, random_ref("contract_catalog"))
    settings = ServiceSettings(
        **settings_for(stack, "catalog-svc", url, auth_jwks_url=test_issuer.jwks_url, run_background_workers=False)
    )
    async with serve_in_process(create_catalog(settings)) as client:
        r = await client.post(
            "/v1/items",
            headers={"authorization": f"Bearer {test_issuer.token()}"},
            json={
                "code": "34160000000001",
                "name": "对药品零售企业的监督检查",
                "item_type": "administrative_inspection",
                "supervision_level": "city",
                "implementing_department": "亳州市市场监督管理局",
                "region_code": "341600",
                "legal_basis": "《药品管理法》第九十九条",
            },
        )
        assert r.status_code == 201, r.text
    engine = create_engine(url, pool_size=1)
    async with engine.connect() as conn:
        rows = (await conn.execute(select(OutboxEvent.__table__))).all()
    await engine.dispose()
    assert len(rows) == 1
    row = rows[0]
    headers = [(k, v.encode()) for k, v in row.headers.items()]
    assert REQUIRED_HEADERS <= set(row.headers)
    assert row.headers["ce_specversion"] == "1.0"
    assert row.key == r.json()["id"] == row.headers["ce_subject"]
    event = from_kafka(row.payload, headers)  # the consumer's parser
    assert event.type in datahub_spec.subscriptions[0].handlers
    assert row.topic in datahub_spec.subscriptions[0].topics
    assert event.data.code == "34160000000001"  # type: ignore[attr-defined]


def test_every_consumed_type_and_topic_is_in_the_catalogue() -> None:
    topics = {t.name for t in TOPICS}
    for service, sub in all_subscriptions():
        for topic in sub.topics:  # type: ignore[attr-defined]
            assert topic in topics, f"{service} consumes unknown topic {topic}"
        for event_type in sub.handlers:  # type: ignore[attr-defined]
            assert event_type in ALL_EVENT_TYPES, f"{service} handles unknown type {event_type}"
            assert ALL_EVENT_TYPES[event_type].topic in sub.topics, (
                f"{service} does not subscribe to {event_type}'s topic"
            )  # type: ignore[attr-defined]


def test_asyncapi_export_lists_every_topic_and_type() -> None:
    doc = asyncapi()
    assert doc["asyncapi"].startswith("3.")
    assert set(doc["channels"]) == {t.name for t in TOPICS}
    names = {m["name"] for m in doc["components"]["messages"].values()}
    assert names == set(ALL_EVENT_TYPES)
    for message in doc["components"]["messages"].values():
        assert message["payload"]["$ref"].startswith("#/components/schemas/")


@pytest.mark.parametrize(
    ("value", "headers"),
    [
        (b"{}", []),
        (
            b"not json",
            [
                ("ce_id", b"1"),
                ("ce_source", b"/x"),
                ("ce_type", b"gov.supervision.catalog.item.created.v1"),
                ("ce_specversion", b"1.0"),
                ("ce_time", b"2026-01-01T00:00:00Z"),
            ],
        ),
        (
            b"{}",
            [
                ("ce_id", b"1"),
                ("ce_source", b"/x"),
                ("ce_type", b"gov.unknown.v1"),
                ("ce_specversion", b"1.0"),
                ("ce_time", b"2026-01-01T00:00:00Z"),
                ("ce_subject", b"s"),
            ],
        ),
        (
            b"{}",
            [
                ("ce_id", b"1"),
                ("ce_source", b"/x"),
                ("ce_type", b"gov.supervision.catalog.item.created.v1"),
                ("ce_specversion", b"0.3"),
                ("ce_time", b"2026-01-01T00:00:00Z"),
                ("ce_subject", b"s"),
            ],
        ),
    ],
)
def test_consumer_parser_refuses_malformed_messages(value: bytes, headers: list[tuple[str, bytes]]) -> None:
    with pytest.raises(MalformedEvent):
        from_kafka(value, headers)


@pytest.mark.parametrize("svc", SERVICES, ids=lambda s: s.name)
def test_every_service_publishes_a_documented_openapi(svc: object) -> None:
    module = importlib.import_module(svc.app.split(":")[0])  # type: ignore[attr-defined]
    schema = module.app.openapi()
    assert schema["info"]["title"].endswith("-svc")
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            assert op.get("description") or op.get("summary"), f"{method.upper()} {path} has no description"
