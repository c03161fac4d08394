"""The periodic sweep on a real database: entries whose validity ended expire (announced, regraded), and
abnormal-operation entries uncured for three years go on the serious-violation list once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from credit_helpers import LIST_CHANGED, Credit, new_object, outbox, query, seed

from credit_svc.dates import today
from credit_svc.jobs.sweep import sweep_once
from supervision_schemas.credit import ListEntryChanged
from svc_runtime.db import create_engine, create_sessionmaker

pytestmark = pytest.mark.asyncio(loop_scope="session")
pytest_plugins = ["credit_fixtures"]


async def sweep(credit: Credit) -> dict[str, int]:
    engine = create_engine(credit.url, pool_size=1)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            return await sweep_once(session, credit.settings)
    finally:
        await engine.dispose()


async def test_expiry_and_escalation(credit_quiet: Credit) -> None:
    credit = credit_quiet
    d = today()
    expiring, old = new_object(department=credit.department), new_object(department=credit.department)
    await seed(credit, expiring, old)
    body = {"record_type": "abnormal_operation", "reason": "未按规定公示年度报告"}
    r = await credit.client.post(
        "/v1/records",
        json=body
        | {
            "object_id": str(expiring.object_id),
            "decided_on": (d - timedelta(days=100)).isoformat(),
            "effective_until": (d - timedelta(days=1)).isoformat(),
        },
    )
    assert r.status_code == 201, r.text
    assert (await credit.client.get(f"/v1/grades/{expiring.object_id}")).json()["risk_class"] == "B"  # not in force
    r = await credit.client.post(
        "/v1/records",
        json=body | {"object_id": str(old.object_id), "decided_on": (d - timedelta(days=3 * 365 + 10)).isoformat()},
    )
    assert r.status_code == 201, r.text
    abnormal = r.json()
    assert (await credit.client.get(f"/v1/grades/{old.object_id}")).json()["risk_class"] == "C"

    result = await sweep(credit)
    assert result["expired"] >= 1
    assert result["escalated"] >= 1
    records = (await credit.client.get("/v1/records", params={"object_id": str(expiring.object_id)})).json()["items"]
    assert [x["status"] for x in records] == ["expired"]
    assert records[0]["ended_on"] == (d - timedelta(days=1)).isoformat()
    actions = [
        (e.data.list_type, e.data.action)
        for e in await outbox(credit.url, LIST_CHANGED, str(expiring.object_id))
        if isinstance(e, ListEntryChanged)
    ]
    assert actions == [("abnormal_operation", "added"), ("abnormal_operation", "removed")]
    serious = (
        await credit.client.get(
            "/v1/records", params={"object_id": str(old.object_id), "record_type": "serious_violation"}
        )
    ).json()["items"]
    assert len(serious) == 1
    assert serious[0]["source"] == "rule:abnormal_escalation"
    assert abnormal["id"] in serious[0]["reason"]
    grade = (await credit.client.get(f"/v1/grades/{old.object_id}")).json()
    assert grade["risk_class"] == "D"
    assert grade["trigger"] == "sweep"
    # A second pass changes nothing.
    await sweep(credit)
    rows = await query(credit.url, "SELECT count(*) FROM credit_records WHERE object_id = :o", o=old.object_id)
    assert rows[0][0] == 2
