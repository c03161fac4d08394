"""risk-svc end to end in process, on real PostgreSQL, Kafka and Redis: signals in, warnings out, feedback back."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from aiokafka import TopicPartition
from aiokafka.errors import KafkaError
from httpx import AsyncClient
from sqlalchemy import text

from risk_svc.main import create_app
from risk_svc.scoring.consumers import TOPICS as SIGNAL_TOPICS
from supervision_schemas import TOPICS, TopicSpec
from supervision_schemas.datahub import ObjectCreated, ObjectData, ObjectKind
from supervision_schemas.envelope import CloudEvent
from supervision_schemas.identifiers import uscc_check_char
from supervision_schemas.risk import (
    RISK_DISPOSALS_TOPIC,
    DisposalFeedbackData,
    DisposalFeedbackRecorded,
    DisposalOutcome,
)
from supervision_schemas.signals import (
    THIRDPARTY_OBSERVATIONS_TOPIC,
    ComplaintHotspotChanged,
    ComplaintHotspotData,
    ComplaintSignalData,
    ComplaintSignalRecorded,
    HotspotChange,
    HotspotDimension,
    ObservationCategory,
    ObservationKind,
    ObservationRecorded,
    ObservationRecordedData,
    SignalObject,
)
from svc_runtime.cloudevents import to_kafka
from svc_runtime.db import create_engine
from svc_runtime.devstack.topology import Profile
from svc_runtime.kafka import create_consumer, create_producer, dead_letter_topic, ensure_topics
from svc_runtime.settings import ServiceSettings
from svc_runtime.testing import TestIssuer, create_database, eventually, random_ref, serve_in_process, settings_for

pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass
class Risk:
    client: AsyncClient
    url: str
    settings: ServiceSettings
    issuer: TestIssuer
    group: str
    topics: dict[str, str]


# Objects this module publishes signals for, and how many records it put on the signal topics.
OWN_OBJECTS: set[str] = set()
SIGNAL_RECORDS = [0]
DEAD_LETTERS = [0]  # the raw records published are all malformed


def new_uscc() -> str:
    body = "91341600" + uuid.uuid4().hex[:9].upper().replace("I", "1").replace("O", "0")
    body = "".join(c if c not in "ZSV" else "1" for c in body)
    code = body + uscc_check_char(body)
    OWN_OBJECTS.add(code)
    return code


def medical_ad(
    uscc: str, *, severity: float = 0.95, days_ago: int = 1, region: str = "341602", obj: SignalObject | None = None
) -> ObservationRecorded:
    return ObservationRecorded.build(
        source="/adwatch",
        subject=uscc,
        data=ObservationRecordedData(
            observation_id=uuid.uuid4(),
            kind=ObservationKind.ADVERTISING_MONITORING,
            category=ObservationCategory.MEDICAL_SERVICE,
            object=obj or SignalObject(uscc=uscc, name="亳州某某医院", region_code=region, industry_code="Q8411"),
            observed_at=datetime.now(UTC) - timedelta(days=days_ago),
            channel="短视频平台",
            values={"severity": severity},
        ),
    )


def hotspot(
    change: HotspotChange,
    dimension: HotspotDimension,
    key: str,
    *,
    obj: SignalObject | None = None,
    minutes_ago: int = 0,
    count: int = 12,
) -> ComplaintHotspotChanged:
    """A hot-spot change as complaint-svc publishes it."""
    now = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    cooled = change is HotspotChange.COOLED
    return ComplaintHotspotChanged.build(
        source="/complaint-svc",
        subject=obj.key if obj is not None else f"{dimension.value}:{key}",
        data=ComplaintHotspotData(
            hotspot_id=uuid.uuid5(uuid.NAMESPACE_URL, f"{dimension.value}:{key}"),
            change=change,
            dimension=dimension,
            key=key,
            label=obj.name if obj is not None else f"热点 {key}",
            region_code=key if dimension is HotspotDimension.REGION else (obj.region_code if obj else None),
            industry_code=key if dimension is HotspotDimension.INDUSTRY else None,
            object=obj,
            window_days=7,
            window_start=now - timedelta(days=7),
            window_end=now,
            count=2 if cooled else count,
            previous_count=3,
            growth=round((count - 3) / 3, 4) if not cooled else -0.3333,
            changed_at=now,
        ),
    )


def complaint(obj: SignalObject) -> ComplaintSignalRecorded:
    return ComplaintSignalRecorded.build(
        source="/complaint-svc",
        subject=obj.key,
        data=ComplaintSignalData(
            complaint_id=uuid.uuid4(),
            object=obj,
            category=ObservationCategory.MEDICAL_SERVICE,
            channel="12345",
            received_at=datetime.now(UTC) - timedelta(hours=2),
        ),
    )


async def publish(risk: Risk, events: list[CloudEvent], raw: list[tuple[bytes, bytes, list]] = ()) -> None:  # type: ignore[assignment,type-arg]
    """Publish on this module's copies of the service's topics, in order."""
    producer = create_producer(risk.settings, request_timeout_ms=30_000)  # the shared broker may be loaded
    await producer.start()
    try:
        for key, value, headers in raw:  # bad records first: what follows them must still be applied
            topic = risk.topics[THIRDPARTY_OBSERVATIONS_TOPIC]
            await producer.send_and_wait(topic, value=value, key=key, headers=headers)
        for e in events:
            key, value, headers = to_kafka(e)
            await producer.send_and_wait(risk.topics[e.topic], value=value, key=key, headers=headers)
    finally:
        await producer.stop()
    SIGNAL_RECORDS[0] += len(raw) + sum(1 for e in events if e.topic in SIGNAL_TOPICS)
    DEAD_LETTERS[0] += len(raw)


async def dead_letter_reasons(risk: Risk) -> list[str]:
    """Every reason on the group's dead-letter topic so far (read to its end offset)."""
    consumer = create_consumer(risk.settings, random_ref("dlq-reader"), (), group_id=None, request_timeout_ms=30_000)
    await consumer.start()
    try:
        partition = TopicPartition(dead_letter_topic(risk.group), 0)
        consumer.assign([partition])
        end = (await consumer.end_offsets([partition]))[partition]
        consumer.seek(partition, 0)
        reasons: list[str] = []
        while await consumer.position(partition) < end:
            records = await consumer.getmany(partition, timeout_ms=1000)
            reasons += [dict(r.headers)["dlq_reason"].decode() for r in records.get(partition, []) if r.offset < end]
        return reasons
    finally:
        await consumer.stop()


async def scalar(url: str, sql: str, **params: object) -> object:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return await conn.scalar(text(sql), params)
    finally:
        await engine.dispose()


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def risk(stack: Profile, test_issuer: TestIssuer) -> AsyncIterator[Risk]:
    url = await create_database(stack, random_ref("risk"))
    settings = ServiceSettings(**settings_for(stack, "risk-svc", url, auth_jwks_url=test_issuer.jwks_url))
    group = random_ref("risk.signals")
    # The broker is shared with every other suite: this module's service reads copies of its topics
    # (same partition counts), so neither its consumers nor the rebuild's replay wade through other
    # suites' records, and the replay can be compared over everything it read.
    suffix = random_ref("t")
    partitions = {t.name: t.partitions for t in TOPICS}
    topics = {t: f"{t}.{suffix}" for t in (*SIGNAL_TOPICS, RISK_DISPOSALS_TOPIC)}
    await ensure_topics(settings, [TopicSpec(new, partitions[old], "risk-svc test") for old, new in topics.items()])
    app = create_app(settings, group=group, feedback_group=random_ref("risk.disposals"), topics=topics)
    async with serve_in_process(app) as client:
        client.headers["authorization"] = f"Bearer {test_issuer.token()}"
        r = await client.get("/v1/models")  # seeds and trains the five models
        assert r.status_code == 200, r.text
        yield Risk(client, url, settings, test_issuer, group, topics)


async def open_warnings(risk: Risk, uscc: str) -> list[dict]:  # type: ignore[type-arg]
    r = await risk.client.get("/v1/warnings", params={"object_key": uscc, "status": "open"})
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


class TestModels:
    async def test_five_models_are_champions_with_validation_figures(self, risk: Risk) -> None:
        r = await risk.client.get("/v1/models")
        models = {m["model_key"]: m for m in r.json()}
        assert set(models) == {
            "false_medical_ad",
            "illegal_fundraising",
            "illegal_drug_sales",
            "illegal_rx_sales",
            "illegal_device_sales",
        }
        for m in models.values():
            metrics = m["champion"]["metrics"]
            assert metrics["roc_auc"] >= 0.75, m
            assert {"precision", "recall", "n_test"} <= set(metrics)

    async def test_refuses_unknown_features_and_bad_rules(self, risk: Risk) -> None:
        r = await risk.client.post(
            "/v1/models/false_medical_ad/versions", json={"rule": {"feature": "bogus", "op": ">", "value": 1}}
        )
        assert r.status_code == 422, r.text
        assert "unknown feature" in r.text
        r = await risk.client.post(
            "/v1/models/false_medical_ad/versions",
            json={"rule": {"feature": "complaints_30d", "op": "eval", "value": 1}},
        )
        assert r.status_code == 422, r.text

    async def test_new_version_promotes_and_rolls_back(self, risk: Risk) -> None:
        r = await risk.client.post(
            "/v1/models/illegal_device_sales/versions",
            json={"rule": {"feature": "device_listings_30d", "op": ">=", "value": 2}},
        )
        assert r.status_code == 201, r.text
        version = r.json()["version"]
        assert r.json()["status"] == "challenger"
        r = await risk.client.post(f"/v1/models/illegal_device_sales/versions/{version}/promote")
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "champion"
        r = await risk.client.post("/v1/models/illegal_device_sales/rollback")
        assert r.status_code == 200, r.text
        assert r.json()["version"] == version - 1

    async def test_refuses_a_version_that_fails_held_out_validation(self, risk: Risk) -> None:
        before = (await risk.client.get("/v1/models/false_medical_ad/versions")).json()
        r = await risk.client.post(
            "/v1/models/false_medical_ad/versions",
            json={"rule": {"feature": "medical_ad_hits_30d", "op": ">=", "value": 1}, "features": ["iot_alarms_30d"]},
        )
        assert r.status_code == 422, r.text
        assert "held-out validation failed" in r.json()["detail"]
        assert (await risk.client.get("/v1/models/false_medical_ad/versions")).json() == before

    async def test_model_management_needs_an_administrator(self, risk: Risk) -> None:
        token = risk.issuer.token(roles=("inspector",), region_code="341600")
        r = await risk.client.post(
            "/v1/models/illegal_device_sales/rollback", headers={"authorization": f"Bearer {token}"}
        )
        assert r.status_code == 403, r.text


class TestHotspots:
    async def test_a_growing_object_hot_spot_raises_the_level_until_it_cools(self, risk: Risk) -> None:
        uscc = new_uscc()
        obj = SignalObject(uscc=uscc, name="亳州某某医院", region_code="341602", industry_code="Q8411")
        await publish(risk, [medical_ad(uscc, days_ago=1)])  # one severe hit: a blue warning
        blue = (await eventually(lambda: open_warnings(risk, uscc), timeout=60))[0]
        assert blue["level"] == "blue", blue
        assert blue["evidence"]["features"]["complaint_hotspot_level"] == 0

        grown = hotspot(HotspotChange.GROWN, HotspotDimension.OBJECT, uscc, obj=obj, count=12)
        await publish(risk, [grown])

        async def level(expected: str) -> dict | None:  # type: ignore[type-arg]
            ws = await open_warnings(risk, uscc)
            return ws[0] if len(ws) == 1 and ws[0]["level"] == expected else None

        w = await eventually(lambda: level("yellow"), timeout=60)
        assert w["id"] == blue["id"]  # the same warning, one level up
        assert w["evidence"]["features"]["complaint_hotspot_level"] == 2
        assert grown.id in w["evidence"]["event_ids"]  # the hot-spot change is evidence
        assert "投诉热点" in w["properties"]["escalated_by"]
        r = await risk.client.get(f"/v1/objects/{uscc}/features")
        assert r.json()["features"]["complaint_hotspot_count"] == 12
        assert r.json()["features"]["complaint_hotspot_growth"] == 3.0

        # The cooling lowers it again; a change older than the one kept (late or replayed) changes nothing.
        cooled = hotspot(HotspotChange.COOLED, HotspotDimension.OBJECT, uscc, obj=obj)
        stale = hotspot(HotspotChange.GROWN, HotspotDimension.OBJECT, uscc, obj=obj, minutes_ago=30)
        await publish(risk, [cooled, stale])

        async def applied() -> bool:
            return bool(
                await scalar(
                    risk.url,
                    "SELECT count(*) FROM processed_events WHERE consumer_group = :g AND event_id = :e",
                    g=risk.group,
                    e=stale.id,
                )
            )

        await eventually(applied, timeout=60)
        w = await eventually(lambda: level("blue"), timeout=60)
        assert w["evidence"]["features"]["complaint_hotspot_level"] == 0
        assert "escalated_by" not in w["properties"]
        kept = await scalar(
            risk.url, "SELECT event_id FROM risk_hotspots WHERE dimension = 'object' AND key = :k", k=uscc
        )
        assert kept == cooled.id

    async def test_a_growing_region_hot_spot_raises_complained_about_objects_in_it(self, risk: Risk) -> None:
        city = f"46{uuid.uuid4().int % 90 + 10:02d}"
        uscc = new_uscc()
        obj = SignalObject(uscc=uscc, name="某某诊所", region_code=f"{city}01", industry_code="R8610")
        await publish(risk, [complaint(obj), medical_ad(uscc, obj=obj)])  # one complaint and one severe hit: yellow

        async def level(expected: str) -> dict | None:  # type: ignore[type-arg]
            ws = await open_warnings(risk, uscc)
            return ws[0] if len(ws) == 1 and ws[0]["level"] == expected else None

        await eventually(lambda: level("yellow"), timeout=60)

        async def features(name: str, value: float) -> dict | None:  # type: ignore[type-arg]
            got = (await risk.client.get(f"/v1/objects/{uscc}/features")).json()["features"]
            return got if got[name] == value else None

        # A hot spot that is only hot (not growing) in the object's industry is a feature, not an escalation.
        await publish(risk, [hotspot(HotspotChange.DETECTED, HotspotDimension.INDUSTRY, "R86")])
        await eventually(lambda: features("industry_hotspot_level", 1), timeout=60)
        assert (await open_warnings(risk, uscc))[0]["level"] == "yellow"

        await publish(risk, [hotspot(HotspotChange.GROWN, HotspotDimension.REGION, f"{city}00")])
        w = await eventually(lambda: level("orange"), timeout=60)
        assert w["evidence"]["features"]["region_hotspot_level"] == 2
        assert "地区" in w["properties"]["escalated_by"]

        await publish(risk, [hotspot(HotspotChange.COOLED, HotspotDimension.REGION, f"{city}00")])
        w = await eventually(lambda: level("yellow"), timeout=60)
        assert w["evidence"]["features"]["region_hotspot_level"] == 0
        await publish(risk, [hotspot(HotspotChange.COOLED, HotspotDimension.INDUSTRY, "R86")])
        await eventually(lambda: features("industry_hotspot_level", 0), timeout=60)

    async def test_escalations_are_validated_and_kept_per_version(self, risk: Risk) -> None:
        r = await risk.client.post(
            "/v1/models/illegal_drug_sales/versions",
            json={
                "rule": {"feature": "drug_listings_30d", "op": ">=", "value": 1},
                "escalations": [{"when": {"feature": "hotspot_bogus", "op": ">=", "value": 2}, "reason": "x"}],
            },
        )
        assert r.status_code == 422, r.text
        assert "unknown feature" in r.text
        champion = (await risk.client.get("/v1/models/illegal_drug_sales/versions")).json()[0]
        assert any("complaint_hotspot_level" in str(e["when"]) for e in champion["escalations"])
        r = await risk.client.post(
            "/v1/models/illegal_drug_sales/versions",
            json={"rule": {"feature": "drug_listings_30d", "op": ">=", "value": 1}, "escalations": []},
        )
        assert r.status_code == 201, r.text
        assert r.json()["escalations"] == []


class TestWarnings:
    async def test_signals_raise_one_warning_that_repeats_update(self, risk: Risk) -> None:
        uscc = new_uscc()
        await publish(risk, [medical_ad(uscc, days_ago=d) for d in (1, 2, 3, 4)])

        async def four() -> list[dict] | None:  # type: ignore[type-arg]
            ws = await open_warnings(risk, uscc)
            return ws if ws and ws[0]["evidence"]["features"]["medical_ad_hits_30d"] == 4 else None

        warnings = await eventually(four, timeout=60)
        assert len(warnings) == 1
        w = warnings[0]
        assert w["model_key"] == "false_medical_ad"
        assert w["level"] in {"red", "orange", "yellow", "blue"}
        assert w["evidence"]["features"]["medical_ad_hits_30d"] == 4
        assert w["rule_id"].startswith("false_medical_ad@")
        raised = await scalar(
            risk.url,
            "SELECT count(*) FROM outbox_events WHERE event_type = 'gov.supervision.risk.warning.raised.v1' AND key = :k",
            k=uscc,
        )
        assert raised == 1

        await publish(risk, [medical_ad(uscc, days_ago=0) for _ in range(3)])

        async def updated() -> bool:
            ws = await open_warnings(risk, uscc)
            return len(ws) == 1 and ws[0]["evidence"]["features"]["medical_ad_hits_30d"] == 7

        await eventually(updated, timeout=60)

        async def features() -> dict | None:  # type: ignore[type-arg]
            r = await risk.client.get(f"/v1/objects/{uscc}/features")
            assert r.status_code == 200, r.text
            return r.json() if r.json()["features"]["medical_ad_hits_30d"] == 7 else None

        assert (await eventually(features, timeout=30))["source"] in {"cache", "database"}

    async def test_responsible_department_comes_from_the_data_hub_object(self, risk: Risk) -> None:
        uscc = new_uscc()
        department = uuid.uuid4()
        created = ObjectCreated.build(
            source="/datahub-svc",
            subject=str(uuid.uuid4()),
            data=ObjectData(
                object_id=uuid.uuid4(),
                kind=ObjectKind.LEGAL_PERSON,
                name="亳州某某医院",
                uscc=uscc,
                region_code="341602",
                department_id=department,
                industry_code="Q8411",
                version=1,
                changed_at=datetime.now(UTC) - timedelta(days=10),
            ),
        )
        await publish(risk, [created])
        await eventually(
            lambda: scalar(risk.url, "SELECT count(*) FROM risk_objects WHERE object_key = :k", k=uscc), timeout=60
        )
        await publish(risk, [medical_ad(uscc, days_ago=d) for d in (1, 2, 3)])
        w = (await eventually(lambda: open_warnings(risk, uscc), timeout=60))[0]
        assert w["responsible_department_id"] == str(department)

    async def test_late_events_count_on_their_own_day_and_old_ones_leave_the_window(self, risk: Risk) -> None:
        uscc = new_uscc()
        await publish(risk, [medical_ad(uscc, days_ago=d) for d in (0, 1, 45, 29, 60)])

        async def features() -> dict | None:  # type: ignore[type-arg]
            r = await risk.client.get(f"/v1/objects/{uscc}/features")
            return r.json()["features"] if r.status_code == 200 else None

        got = await eventually(features, timeout=60)

        async def settled() -> bool:
            days = await scalar(risk.url, "SELECT count(*) FROM risk_feature_buckets WHERE object_key = :k", k=uscc)
            return days == 10  # five days, two features each

        await eventually(settled, timeout=60)
        got = await eventually(features, timeout=30)
        assert got["medical_ad_hits_30d"] == 3  # 45 and 60 days ago are outside the 30-day window

    async def test_bad_events_are_dead_lettered_and_the_consumer_carries_on(self, risk: Risk) -> None:
        uscc = new_uscc()
        good = medical_ad(uscc)
        key, value, headers = to_kafka(good)
        bad_value = value.replace(b'"severity":0.95', b'"severity":"NaN-ish"')
        future = medical_ad(uscc).model_copy()
        fk, fv, fh = to_kafka(future)
        fv = fv.replace(datetime.now(UTC).strftime("%Y-").encode(), str(datetime.now(UTC).year + 1).encode() + b"-", 1)
        missing = [h for h in headers if h[0] != "ce_type"]
        fresh = [medical_ad(uscc, days_ago=d) for d in (1, 2, 3)]
        await publish(
            risk,
            fresh,
            raw=[
                (key, bad_value, [(k, v if k != "ce_id" else b"bad-1") for k, v in headers]),
                (key, value, missing),
                (fk, fv, fh),
            ],
        )

        async def three() -> bool:
            ws = await open_warnings(risk, uscc)
            return bool(ws) and ws[0]["evidence"]["features"]["medical_ad_hits_30d"] == 3

        await eventually(three, timeout=60)  # the bad ones counted nothing and did not stall the consumer

        async def all_three() -> list[str] | None:  # dead-lettering and reading back cross the broker
            try:
                reasons = await dead_letter_reasons(risk)
            except KafkaError:  # a loaded broker timed the read out: read again
                return None
            return reasons if len(reasons) >= 3 else None

        reasons = await eventually(all_three, timeout=60, interval=1)
        assert any("missing CloudEvents headers: ce_type" in r for r in reasons), reasons
        assert any("lies in the future" in r for r in reasons), reasons
        assert any("severity" in r for r in reasons), reasons

    async def test_feedback_closes_the_warning_and_counts_for_precision(self, risk: Risk) -> None:
        uscc = new_uscc()
        await publish(risk, [medical_ad(uscc, days_ago=d) for d in (1, 2, 3, 5)])
        w = (await eventually(lambda: open_warnings(risk, uscc), timeout=60))[0]
        r = await risk.client.post(
            f"/v1/warnings/{w['id']}/feedback", json={"outcome": "confirmed", "action": "立案调查"}
        )
        assert r.status_code == 201, r.text
        r = await risk.client.post(f"/v1/warnings/{w['id']}/feedback", json={"outcome": "false_alarm"})
        assert r.status_code == 409, r.text
        r = await risk.client.post(f"/v1/warnings/{w['id']}/feedback", json={"outcome": "maybe"})
        assert r.status_code == 422, r.text
        r = await risk.client.get("/v1/models/false_medical_ad/precision", params={"period": "day"})
        assert r.status_code == 200, r.text
        assert sum(p["confirmed"] for p in r.json()["points"]) >= 1
        events = await scalar(
            risk.url,
            "SELECT count(*) FROM outbox_events WHERE key = :k AND event_type IN "
            "('gov.supervision.risk.disposal.recorded.v1', 'gov.supervision.risk.warning.closed.v1')",
            k=uscc,
        )
        assert events == 2
        r = await risk.client.post("/v1/models/false_medical_ad/retrain")
        assert r.status_code == 201, r.text
        assert r.json()["training"]["feedback_labels"] >= 1

    async def test_disposal_feedback_event_closes_the_warning_and_becomes_its_label(self, risk: Risk) -> None:
        uscc = new_uscc()
        await publish(risk, [medical_ad(uscc, days_ago=d) for d in (1, 2, 3, 9)])
        w = (await eventually(lambda: open_warnings(risk, uscc), timeout=60))[0]

        def feedback(outcome: DisposalOutcome, feedback_id: uuid.UUID, warning_id: str = w["id"]) -> CloudEvent:
            return DisposalFeedbackRecorded.build(
                source="/joint-svc",
                subject=uscc,
                data=DisposalFeedbackData(
                    feedback_id=feedback_id,
                    warning_id=uuid.UUID(warning_id),
                    object_key=uscc,
                    model_key=w["model_key"],
                    model_version=w["model_version"],
                    outcome=outcome,
                    action="现场核查",
                    note="广告内容与备案一致",
                    department_id=uuid.uuid4(),
                    recorded_by="joint-inspector-7",
                    recorded_at=datetime.now(UTC),
                ),
            )

        feedback_id = uuid.uuid4()
        first = feedback(DisposalOutcome.FALSE_ALARM, feedback_id)
        unknown = feedback(DisposalOutcome.CONFIRMED, uuid.uuid4(), warning_id=str(uuid.uuid4()))
        echo = feedback(DisposalOutcome.FALSE_ALARM, feedback_id)  # the same feedback again, as a new event
        later = feedback(DisposalOutcome.CONFIRMED, uuid.uuid4())  # a second opinion after the disposal
        await publish(risk, [unknown, first, first, echo, later])

        async def closed() -> dict | None:  # type: ignore[type-arg]
            r = await risk.client.get(f"/v1/warnings/{w['id']}")
            assert r.status_code == 200, r.text
            return r.json() if r.json()["status"] == "closed" else None

        got = await eventually(closed, timeout=60)
        assert got["outcome"] == "false_alarm"
        # `later` is the last record of its partition: once it is applied, every one before it was too.
        await eventually(
            lambda: scalar(
                risk.url,
                "SELECT count(*) FROM processed_events WHERE event_id = :id",
                id=later.id,
            ),
            timeout=60,
        )
        labels = await scalar(
            risk.url,
            "SELECT string_agg(id || '/' || label || '/' || source || '/' || recorded_by || '/' || outcome, ',') "
            "FROM risk_disposals WHERE warning_id = :w",
            w=uuid.UUID(w["id"]),
        )
        assert labels == f"{feedback_id}/false//joint-svc/joint-inspector-7/false_alarm"  # one label, the first
        staged = await scalar(
            risk.url,
            "SELECT string_agg(event_type, ',' ORDER BY seq) FROM outbox_events WHERE key = :k "
            "AND event_type IN ('gov.supervision.risk.warning.closed.v1', 'gov.supervision.risk.disposal.recorded.v1')",
            k=uscc,
        )
        # closed once, for joint-svc to close its task; the feedback itself is not published again
        assert staged == "gov.supervision.risk.warning.closed.v1", staged
        r = await risk.client.get(f"/v1/models/{w['model_key']}/precision", params={"period": "day"})
        assert r.status_code == 200, r.text
        assert sum(p["false_alarms"] for p in r.json()["points"]) >= 1

    async def test_out_of_scope_callers_do_not_see_or_dispose(self, risk: Risk) -> None:
        uscc = new_uscc()
        await publish(risk, [medical_ad(uscc, days_ago=d, region="341602") for d in (1, 2, 3, 6)])
        w = (await eventually(lambda: open_warnings(risk, uscc), timeout=60))[0]
        other = risk.issuer.token(roles=("inspector",), region_code="110000", department_id=str(uuid.uuid4()))
        r = await risk.client.get(f"/v1/warnings/{w['id']}", headers={"authorization": f"Bearer {other}"})
        assert r.status_code == 404, r.text
        r = await risk.client.post(
            f"/v1/warnings/{w['id']}/feedback",
            json={"outcome": "confirmed"},
            headers={"authorization": f"Bearer {other}"},
        )
        assert r.status_code == 404, r.text


class TestChallengers:
    async def test_a_challenger_is_scored_in_the_shadow_and_never_warns(self, risk: Risk) -> None:
        r = await risk.client.post(
            "/v1/models/false_medical_ad/versions",
            json={"rule": {"feature": "medical_ad_hits_30d", "op": ">=", "value": 1}},
        )
        assert r.status_code == 201, r.text
        challenger = r.json()["version"]

        async def registered() -> bool:
            r = await risk.client.get("/v1/models/false_medical_ad/versions")
            return any(v["version"] == challenger and v["status"] == "challenger" for v in r.json())

        await eventually(registered, timeout=10)
        await asyncio.sleep(1.2)  # the consumer re-reads the active versions at most once a second
        uscc = new_uscc()
        await publish(risk, [medical_ad(uscc, days_ago=d) for d in (1, 2, 3, 11)])

        async def four() -> list[dict] | None:  # type: ignore[type-arg]
            ws = await open_warnings(risk, uscc)
            return ws if ws and ws[0]["evidence"]["features"]["medical_ad_hits_30d"] == 4 else None

        warnings = await eventually(four, timeout=60)
        assert len(warnings) == 1, warnings
        assert warnings[0]["model_version"] != challenger, warnings  # the champion's, not the challenger's
        shadow = await scalar(
            risk.url,
            "SELECT level || '/' || rule_matched || '/' || (features->>'medical_ad_hits_30d')::float FROM risk_shadow_scores "
            "WHERE object_key = :k AND model_key = 'false_medical_ad' AND model_version = :v",
            k=uscc,
            v=challenger,
        )
        assert shadow in {f"{level}/true/4" for level in ("red", "orange", "yellow", "blue")}, shadow
        published = await scalar(
            risk.url,
            "SELECT string_agg(DISTINCT convert_from(payload, 'UTF8')::jsonb #>> '{model,version}', ',') "
            "FROM outbox_events WHERE key = :k",
            k=uscc,
        )
        assert published == str(warnings[0]["model_version"])  # nothing was published for the challenger

        r = await risk.client.post(f"/v1/warnings/{warnings[0]['id']}/feedback", json={"outcome": "confirmed"})
        assert r.status_code == 201, r.text
        r = await risk.client.get(f"/v1/models/false_medical_ad/versions/{challenger}/shadow")
        assert r.status_code == 200, r.text
        summary = r.json()
        assert summary["status"] == "challenger"
        for figure in ("objects_scored", "would_warn", "both_warned", "labelled", "true_positives"):
            assert summary[figure] >= 1, summary
        r = await risk.client.get("/v1/models/false_medical_ad/versions/999/shadow")
        assert r.status_code == 404, r.text


class TestReportsAndRebuild:
    async def test_report_by_model_as_json_and_csv(self, risk: Risk) -> None:
        uscc = new_uscc()
        await publish(risk, [medical_ad(uscc, days_ago=d) for d in (1, 2, 3, 7)])
        await eventually(lambda: open_warnings(risk, uscc), timeout=60)
        r = await risk.client.get("/v1/reports/warnings", params={"group_by": "model"})
        assert r.status_code == 200, r.text
        rows = {row["group"]: row for row in r.json()["rows"]}
        assert rows["false_medical_ad"]["total"] >= 1
        r = await risk.client.get("/v1/reports/warnings", params={"group_by": "region", "format": "csv"})
        assert r.status_code == 200, r.text
        assert r.text.splitlines()[0].startswith("region,total,open,red")

    async def test_rebuild_replays_to_the_same_features(self, risk: Risk) -> None:
        # Signals of its own (with an object record, out of order and spread over days), on top of what
        # earlier tests published; the module's service reads topics of its own, so the replay is
        # compared over everything it holds.
        uscc = new_uscc()
        created = ObjectCreated.build(
            source="/datahub-svc",
            subject=str(uuid.uuid4()),
            data=ObjectData(
                object_id=uuid.uuid4(),
                kind=ObjectKind.LEGAL_PERSON,
                name="亳州某某诊所",
                uscc=uscc,
                region_code="341623",
                department_id=uuid.uuid4(),
                industry_code="Q8411",
                version=1,
                changed_at=datetime.now(UTC) - timedelta(days=3),
            ),
        )
        await publish(risk, [medical_ad(uscc, days_ago=d, region="341623") for d in (5, 0, 12)] + [created])
        snapshot = (
            "SELECT coalesce((SELECT string_agg(object_key || '/' || feature || '/' || day || '/' || "
            "round(value::numeric, 6), ',' ORDER BY object_key, feature, day) FROM risk_feature_buckets), '') "
            "|| ' | ' || coalesce((SELECT string_agg(concat_ws('/', object_key, uscc, name, region_code, "
            "industry_code, department_id, last_event_at), ',' ORDER BY object_key) FROM risk_objects), '')"
            "|| ' | ' || coalesce((SELECT string_agg(concat_ws('/', dimension, key, change, level, count, changed_at,"
            " event_id), ',' ORDER BY dimension, key) FROM risk_hotspots), '')"
        )

        async def settled() -> object:  # every record published so far is applied
            applied = await scalar(
                risk.url, "SELECT count(*) FROM processed_events WHERE consumer_group = :g", g=risk.group
            )
            return await scalar(risk.url, snapshot) if applied + DEAD_LETTERS[0] >= SIGNAL_RECORDS[0] else None

        before = await eventually(settled, timeout=120, interval=0.5)
        assert all(key in str(before) for key in OWN_OBJECTS), before
        r = await risk.client.post("/v1/features/rebuild")
        assert r.status_code == 202, r.text
        rebuild_id = r.json()["id"]

        async def done() -> dict | None:  # type: ignore[type-arg]
            got = await risk.client.get(f"/v1/features/rebuilds/{rebuild_id}")
            assert got.status_code == 200, got.text
            body = got.json()
            return body if body["status"] != "running" else None

        result = await eventually(done, timeout=300, interval=0.5)
        assert result["status"] == "done", result
        assert result["records_read"] == SIGNAL_RECORDS[0], result  # every record of the topics, once
        assert await scalar(risk.url, snapshot) == before  # exactly the same buckets and profiles
