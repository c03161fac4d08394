"""Complaints: intake through the gateway with classification and linking, against the same endpoint with the
classifier switched off (run time switch), both in one run; and the routing accuracy on the labelled set.

Runs on the `test` profile's suite (auth-svc, complaint-svc and the gateway as separate uvicorn processes);
the data hub's object events are published to the broker first so that targets are linked by name.
The load comes from another process (`bench.complaint_load`).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.gateway import BENCH_GATEWAY_ENV
from bench.harness import Figure, ratio
from complaint_svc.routing.classifier import evaluate, load_examples
from supervision_schemas.datahub import ObjectCreated, ObjectData, ObjectKind
from svc_runtime.cloudevents import to_kafka
from svc_runtime.devstack import stack
from svc_runtime.devstack.procs import port_open
from svc_runtime.devstack.topology import GATEWAY, SERVICES, Profile, repo_root
from svc_runtime.kafka import create_producer
from svc_runtime.settings import ServiceSettings

CONCURRENCY = 16
SECONDS = 6.0
OBJECTS = 300
REGION = "349901"  # a county of the benchmark only
PATH = "/api/complaint/v1/complaints"
_SHOPS = ("超市", "药房", "餐饮店", "诊所", "建材商行", "汽车修理厂", "酒店", "培训学校", "物业公司", "农贸市场")
_WORDS = "华康泰安顺德鑫隆兴盛和美嘉福瑞祥永恒金源宏达新世纪阳光百姓惠民益民同仁济世长青"


def _objects() -> list[ObjectCreated]:
    events = []
    for i in range(OBJECTS):
        a, b = _WORDS[(i * 7) % len(_WORDS)], _WORDS[(i * 13 + 5) % len(_WORDS)]
        name = f"亳州市{a}{b}{i:03d}{_SHOPS[i % len(_SHOPS)]}有限公司"
        object_id = uuid.uuid4()
        events.append(
            ObjectCreated.build(
                source="/bench",
                subject=str(object_id),
                data=ObjectData(
                    object_id=object_id,
                    kind=ObjectKind.LEGAL_PERSON,
                    name=name,
                    region_code=REGION,
                    industry_code="F5211",
                    version=1,
                    changed_at=datetime.now(UTC),
                ),
            )
        )
    return events


async def _publish(p: Profile, events: list[ObjectCreated]) -> None:
    producer = create_producer(ServiceSettings(kafka_bootstrap=p.kafka_bootstrap, service_name="bench"))
    await producer.start()
    try:
        futures = []
        for e in events:
            key, value, headers = to_kafka(e)
            futures.append(await producer.send(e.topic, value=value, key=key, headers=headers))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


def _load(url: str, token: str, seed: int, data_file: str) -> dict[str, float]:
    args = [url, token, str(CONCURRENCY), str(SECONDS), str(seed), data_file]
    out = subprocess.run(
        [sys.executable, "-m", "bench.complaint_load", *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=repo_root(),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


async def _switch(client: httpx.AsyncClient, token: str, enabled: bool) -> None:
    r = await client.put(
        "/api/complaint/v1/routing/settings",
        json={"classification_enabled": enabled},
        headers={"authorization": f"Bearer {token}"},
    )
    r.raise_for_status()
    await asyncio.sleep(1.5)  # each process re-reads the switch within a second


async def run(p: Profile) -> list[Figure]:
    accuracy = await asyncio.to_thread(evaluate)
    figures = [
        Figure(
            "complaint.routing_accuracy",
            round(accuracy["routing_accuracy"] * 100, 1),
            "%",
            round(accuracy["keyword_rule_category_accuracy"] * 100, 1),
            ">= keyword rules (category)",
            accuracy["category_accuracy"] >= accuracy["keyword_rule_category_accuracy"],
            ratio(accuracy["category_accuracy"], accuracy["keyword_rule_category_accuracy"]),
            notes=f"{accuracy['examples']} labelled complaints, {accuracy['folds']}-fold CV: category "
            f"{accuracy['category_accuracy']:.1%}, department {accuracy['department_accuracy']:.1%}, both "
            f"{accuracy['routing_accuracy']:.1%}; keyword rules {accuracy['keyword_rule_category_accuracy']:.1%}",
            extra={k: float(v) for k, v in accuracy.items()},
        )
    ]
    needed = [s for s in SERVICES if s.name in ("auth", "complaint")]
    started = [s for s in (*needed, GATEWAY) if not port_open(p.port(s))]
    await asyncio.to_thread(stack.up, p, [s.name for s in needed])
    await asyncio.to_thread(stack.start_process, p, GATEWAY, BENCH_GATEWAY_ENV)
    objects = _objects()
    texts = [e.text for e in load_examples()]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
        json.dump({"texts": texts, "names": [o.data.name for o in objects], "region": REGION}, fh, ensure_ascii=False)
        data_file = fh.name
    try:
        ready = await asyncio.to_thread(stack.wait_ready, p, needed, 120)
        assert all(ready.values()), ready
        await _publish(p, objects)
        secrets = stack.ensure_secrets(p)
        async with httpx.AsyncClient(base_url=p.gateway_url, timeout=10) as client:
            for _ in range(100):
                if port_open(p.port(GATEWAY)):
                    break
                await asyncio.sleep(0.2)
            r = await client.post(
                "/auth/token",
                data={"grant_type": "client_credentials"},
                auth=(secrets["AUTH_BOOTSTRAP_CLIENT_ID"], secrets["AUTH_BOOTSTRAP_CLIENT_SECRET"]),
            )
            r.raise_for_status()
            token = r.json()["access_token"]
            probe = {
                "channel": "12345",
                "content": "超市卖过期食品还不给退",
                "region_code": REGION,
                "target": {"name": objects[0].data.name[3:]},
            }
            for _ in range(150):  # until complaint-svc's object view has the published objects
                got = await client.post(PATH, json=probe, headers={"authorization": f"Bearer {token}"})
                if got.status_code == 201 and got.json()["target"]["link_method"] == "name":
                    break
                await asyncio.sleep(0.2)
            url = f"{p.gateway_url}{PATH}"
            await _switch(client, token, True)
            _load(url, token, 1, data_file)  # warm: pools, JWKS, token cache, classifier
            with_classifier = _load(url, token, 2, data_file)
            await _switch(client, token, False)
            without = _load(url, token, 2, data_file)
            await _switch(client, token, True)
    finally:
        Path(data_file).unlink(missing_ok=True)
        for svc in started:
            stack.stop(svc.name, p.pids)
    value, base = with_classifier["rps"], without["rps"]
    figures.append(
        Figure(
            "complaint.intake_throughput",
            round(value, 1),
            "req/s",
            round(base, 1),
            ">= 40% of no classification",
            base > 0 and value / base >= 0.4,
            ratio(value, base),
            notes=f"POST {PATH} through the gateway (token, rate limits), linking by name against {OBJECTS} objects, "
            f"{CONCURRENCY} connections, {SECONDS:.0f}s each; linked {with_classifier['linked']:.0%}",
            extra={"errors": with_classifier["errors"] + without["errors"], "linked_share": with_classifier["linked"]},
        )
    )
    return figures
