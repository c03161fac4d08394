"""Full recompute as a background job (scheme activation, progress, only changes written and announced),
agreement with incremental regrading, and the outcome model: training, held-out figures, blending."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from typing import Any

import pytest
from credit_helpers import GRADE_CHANGED, Credit, new_object, outbox, query, seed
from sqlalchemy import text

from credit_svc.dates import today
from credit_svc.grading.indicators import four_class_scheme
from svc_runtime.db import create_engine
from svc_runtime.testing import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")
pytest_plugins = ["credit_fixtures"]


async def execute(url: str, sql: str, rows: list[dict[str, Any]] | dict[str, Any]) -> None:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(sql), rows)
    finally:
        await engine.dispose()


async def finished(credit: Credit, job_id: str, timeout: float = 120) -> dict[str, Any]:
    async def done() -> dict[str, Any] | None:
        job = (await credit.client.get(f"/v1/jobs/{job_id}")).json()
        return job if job["status"] in ("succeeded", "failed") else None

    job: dict[str, Any] = await eventually(done, timeout=timeout, interval=0.3)
    assert job["status"] == "succeeded", job
    return job


def scheme_body(key: str, **changes: Any) -> dict[str, Any]:
    body = four_class_scheme().model_dump(mode="json") | {"key": key, "name": "测试指标体系"}
    body.update(changes)
    return body


class TestRecompute:
    async def test_activation_recomputes_every_grade(self, credit: Credit) -> None:
        dept = uuid.uuid4()
        objects = [new_object(department=dept) for _ in range(600)]
        await seed(credit, *objects)
        # Inputs that reached the database without a regrade (as if a scheme or window changed under them).
        await execute(
            credit.url,
            "INSERT INTO credit_signals (object_id, origin_object_id, kind, occurred_on, source_ref) "
            "VALUES (:o, :o, 'complaint', :d, :r)",
            [{"o": o.object_id, "d": today(), "r": f"test:{uuid.uuid4()}"} for o in objects[:200]],
        )
        key = f"test-{uuid.uuid4().hex[:8]}"
        r = await credit.client.post("/v1/schemes", json=scheme_body(key, base_score=70.0))
        assert r.status_code == 201, r.text
        scheme = r.json()
        assert scheme["status"] == "draft"
        assert scheme["version"] == 1
        denied = await credit.client.post(
            f"/v1/schemes/{scheme['id']}/activate", json={}, headers=credit.headers("department_admin")
        )
        assert denied.status_code == 403, denied.text
        r = await credit.client.post(f"/v1/schemes/{scheme['id']}/activate", json={"recompute": True})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "active"
        jobs = (await credit.client.get("/v1/jobs", params={"kind": "recompute"})).json()["items"]
        job = await finished(credit, jobs[0]["id"])
        result = job["result"]
        assert job["progress"] == 1.0
        assert job["phase"] == "done"
        assert result["objects"] >= 600
        assert result["changed"] >= 600
        assert result["schemes"] == [f"{key}@1"]
        sample = objects[0].object_id
        grade = (await credit.client.get(f"/v1/grades/{sample}")).json()
        assert grade["scheme_key"] == key
        assert grade["score"] == 75.0 - 2.0  # base 70, +5 clean years, -2 the complaint
        assert grade["trigger"] == "recompute"
        assert grade["trigger_ref"] == job["id"]
        untouched = (await credit.client.get(f"/v1/grades/{objects[-1].object_id}")).json()
        assert untouched["score"] == 75.0
        assert untouched["risk_class"] == "B"
        events = list(await outbox(credit.url, GRADE_CHANGED, str(sample)))
        assert events[-1].data.trigger == "recompute"  # type: ignore[attr-defined]
        assert events[-1].data.scheme_id == key  # type: ignore[attr-defined]
        history = (await credit.client.get(f"/v1/grades/{sample}/history")).json()
        assert [h["trigger"] for h in history["items"]] == ["recompute", "event"]
        # Incremental regrading agrees with the recompute: nothing changes.
        before = len(await outbox(credit.url, GRADE_CHANGED, str(sample)))
        r = await credit.client.post(f"/v1/grades/{sample}/regrade")
        assert r.status_code == 200, r.text
        assert r.json()["score"] == grade["score"]
        assert len(await outbox(credit.url, GRADE_CHANGED, str(sample))) == before
        # A second recompute finds nothing to change.
        r = await credit.client.post("/v1/recomputes")
        assert r.status_code == 202, r.text
        again = await finished(credit, r.json()["id"])
        assert again["result"]["changed"] == 0
        assert again["result"]["candidates"] == 0

    async def test_scheme_input_is_validated(self, credit: Credit) -> None:
        r = await credit.client.post(
            "/v1/schemes", json=scheme_body("bad-scheme", classes=[{"label": "A", "min_score": 50}])
        )
        assert r.status_code == 422, r.text
        r = await credit.client.post("/v1/schemes", json=scheme_body("Bad Key"))
        assert r.status_code == 422, r.text
        features = (await credit.client.get("/v1/schemes/features")).json()
        assert {f["name"] for f in features} >= {"penalties", "basic_info", "warning_level", "third_party_adverse"}
        assert (await credit.client.post("/v1/recomputes", headers=credit.headers("inspector"))).status_code == 403


class TestOutcomeModel:
    async def test_trained_model_is_validated_and_blended(self, credit: Credit) -> None:
        rng = random.Random(5)
        objects = [new_object(department=uuid.uuid4()) for _ in range(1500)]
        await seed(credit, *objects)
        d = today()
        records, signals = [], []
        for o in objects:
            risk = rng.random()
            for _ in range(int(risk * 4 * rng.random() + 0.3)):
                records.append(
                    {"o": o.object_id, "d": d - timedelta(days=rng.randint(400, 900)), "n": o.name, "u": o.uscc}
                )
            for _ in range(int(risk * 5 * rng.random())):
                signals.append(
                    {"o": o.object_id, "d": d - timedelta(days=rng.randint(370, 700)), "r": f"t:{uuid.uuid4()}"}
                )
            if rng.random() < 0.05 + 0.6 * risk:  # the outcome, after the cut-off
                records.append(
                    {"o": o.object_id, "d": d - timedelta(days=rng.randint(10, 300)), "n": o.name, "u": o.uscc}
                )
        await execute(
            credit.url,
            "INSERT INTO credit_records (id, object_id, origin_object_id, uscc, object_name, record_type, status, "
            "automatic, source, region_code, reason, decided_on, effective_from, public, created_by) "
            "VALUES (gen_random_uuid(), :o, :o, :u, :n, 'penalty', 'active', false, 'test', '341602', '违法', :d, :d, "
            "true, 'test')",
            records,
        )
        await execute(
            credit.url,
            "INSERT INTO credit_signals (object_id, origin_object_id, kind, occurred_on, source_ref) "
            "VALUES (:o, :o, 'complaint', :d, :r)",
            signals,
        )
        r = await credit.client.post("/v1/models/train", json={"estimator": "logistic_regression", "horizon_days": 365})
        assert r.status_code == 202, r.text
        job = await finished(credit, r.json()["id"])
        model_id = job["result"]["model_id"]
        model = (await credit.client.get(f"/v1/models/{model_id}")).json()
        metrics = model["metrics"]
        assert model["status"] == "candidate"
        assert metrics["roc_auc"] > 0.65
        assert 0 < metrics["precision"] <= 1
        assert 0 < metrics["recall"] <= 1
        assert metrics["n_test"] > 0
        assert metrics["test_split"] == 0.25
        assert (await credit.client.post(f"/v1/models/{model_id}/activate")).status_code == 200
        key = f"blend-{uuid.uuid4().hex[:8]}"
        scheme = (await credit.client.post("/v1/schemes", json=scheme_body(key, model_weight=0.4))).json()
        assert (await credit.client.post(f"/v1/schemes/{scheme['id']}/activate", json={})).status_code == 200
        jobs = (await credit.client.get("/v1/jobs", params={"kind": "recompute", "limit": 1})).json()["items"]
        await finished(credit, jobs[0]["id"])
        grade = (await credit.client.get(f"/v1/grades/{objects[0].object_id}")).json()
        assert grade["model_score"] is not None
        assert grade["score"] == pytest.approx(0.6 * grade["rule_score"] + 0.4 * grade["model_score"], abs=0.011)
        rows = await query(
            credit.url, "SELECT count(*) FROM credit_grades WHERE scheme_key = :k AND model_score IS NULL", k=key
        )
        assert rows[0][0] == 0
