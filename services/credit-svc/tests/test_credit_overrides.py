"""Manual class overrides (人工调整): decided by an authorised official with reason, legal basis and validity,
audited, announced as a grade change and kept in the history; the rules' class resumes when the override
expires or is lifted. Bad input and unauthorised callers are refused with nothing changed."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from credit_helpers import GRADE_CHANGED, LIST_CHANGED, Credit, new_object, outbox, query, seed
from sqlalchemy import text

from credit_svc.dates import today
from credit_svc.main import create_app
from credit_svc.objects.consumers import InputConsumer
from credit_svc.overrides.service import sweep_overrides
from credit_svc.settings import CreditSettings
from supervision_schemas.credit import GradeChanged, ListEntryChanged
from svc_runtime.db import create_engine, create_sessionmaker
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

pytestmark = pytest.mark.asyncio(loop_scope="session")
pytest_plugins = ["credit_fixtures"]


def override(**extra: object) -> dict[str, object]:
    return {
        "risk_class": "D",
        "reason": "近期多次被投诉举报且存在重大风险隐患，规则分类未能反映",
        "legal_basis": "《市场监管总局关于推进企业信用风险分类管理进一步提升监管效能的意见》",
        "document_number": "亳市监信〔2026〕3号",
        "valid_until": (today() + timedelta(days=90)).isoformat(),
        **extra,
    }


def abnormal(object_id: uuid.UUID) -> dict[str, object]:
    return {
        "object_id": str(object_id),
        "record_type": "abnormal_operation",
        "reason": "通过登记的住所或者经营场所无法联系",
        "decided_on": (today() - timedelta(days=30)).isoformat(),
    }


async def grade_events(credit: Credit, object_id: uuid.UUID) -> list[GradeChanged]:
    return [e for e in await outbox(credit.url, GRADE_CHANGED, str(object_id)) if isinstance(e, GradeChanged)]


async def list_actions(credit: Credit, object_id: uuid.UUID) -> list[tuple[str, str]]:
    events = await outbox(credit.url, LIST_CHANGED, str(object_id))
    return [(e.data.list_type.value, e.data.action.value) for e in events if isinstance(e, ListEntryChanged)]


async def grade(credit: Credit, object_id: uuid.UUID) -> dict[str, Any]:
    r = await credit.client.get(f"/v1/grades/{object_id}")
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def history(credit: Credit, object_id: uuid.UUID) -> list[dict[str, Any]]:
    r = await credit.client.get(f"/v1/grades/{object_id}/history")
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


async def shift_dates(credit: Credit, override_id: str, **dates: object) -> None:
    """Let time pass for an override (its dates moved back), committed."""
    sets = ", ".join(f"{k} = CAST(:{k} AS date)" for k in dates)
    engine = create_engine(credit.url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(f"UPDATE credit_grade_overrides SET {sets} WHERE id = :i"), {"i": uuid.UUID(override_id), **dates}
            )
    finally:
        await engine.dispose()


async def sweep(credit: Credit) -> dict[str, int]:
    engine = create_engine(credit.url, pool_size=1)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            return await sweep_overrides(session)
    finally:
        await engine.dispose()


async def graded_object(credit: Credit) -> uuid.UUID:
    obj = new_object(department=credit.department)
    await seed(credit, obj)
    assert (await grade(credit, obj.object_id))["risk_class"] == "B"  # a new object without records
    return obj.object_id


class TestOverride:
    async def test_override_sets_the_class_until_lifted_and_the_rules_resume(self, credit_quiet: Credit) -> None:
        credit = credit_quiet
        object_id = await graded_object(credit)
        official = credit.headers("department_admin", department=credit.department, sub="chief")
        r = await credit.client.post(f"/v1/grades/{object_id}/overrides", json=override(), headers=official)
        assert r.status_code == 201, r.text
        ov = r.json()
        assert ov["status"] == "active"
        assert ov["in_force"] is True
        assert ov["automatic_class"] == "B"
        assert ov["decided_by"] == "chief"
        assert ov["valid_from"] == today().isoformat()

        before = await grade(credit, object_id)
        g = await grade(credit, object_id)
        assert g["risk_class"] == "D"
        assert g["automatic_class"] == "B"
        assert g["score"] == g["rule_score"]  # the score stays the rules' score
        assert g["trigger"] == "override"
        assert g["trigger_ref"] == ov["id"]
        assert g["override"]["id"] == ov["id"]
        assert g["override"]["legal_basis"].startswith("《市场监管总局")
        [latest, *_] = await history(credit, object_id)
        assert (latest["risk_class"], latest["previous_class"], latest["automatic_class"]) == ("D", "B", "B")
        assert latest["override_id"] == ov["id"]
        assert latest["trigger"] == "override"
        event = (await grade_events(credit, object_id))[-1]
        assert (event.data.risk_class, event.data.previous_class, event.data.trigger) == ("D", "B", "override")
        assert event.data.factors[0].indicator == "override"
        assert "近期多次被投诉举报" in (event.data.factors[0].detail or "")
        trail = (await credit.client.get("/v1/audit", params={"entity_id": ov["id"]})).json()["items"]
        assert [(e["action"], e["actor"]) for e in trail] == [("grade.override.created", "chief")]
        assert trail[0]["before"] == {"risk_class": "B", "automatic_class": "B"}
        assert trail[0]["after"]["legal_basis"] == ov["legal_basis"]
        listed = await credit.client.get("/v1/overrides", params={"in_force": "true", "risk_class": "D"})
        assert ov["id"] in {o["id"] for o in listed.json()["items"]}

        # new inputs move the score and the rules' class, not the overridden class
        assert (await credit.client.post("/v1/records", json=abnormal(object_id), headers=official)).status_code == 201
        g = await grade(credit, object_id)
        assert (g["risk_class"], g["automatic_class"]) == ("D", "C")
        assert g["score"] < before["score"]
        assert g["override"]["id"] == ov["id"]

        r = await credit.client.post(
            f"/v1/overrides/{ov['id']}/lift", json={"reason": "风险隐患已整改，经复核撤销人工调整"}, headers=official
        )
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["ended_by"], r.json()["in_force"]) == ("lifted", "chief", False)
        g = await grade(credit, object_id)
        assert (g["risk_class"], g["automatic_class"], g["override"]) == ("C", "C", None)
        assert (g["trigger"], g["trigger_ref"]) == ("override_end", ov["id"])
        [latest, *_] = await history(credit, object_id)
        assert (latest["risk_class"], latest["previous_class"], latest["override_id"]) == ("C", "D", None)
        event = (await grade_events(credit, object_id))[-1]
        assert (event.data.risk_class, event.data.previous_class, event.data.trigger) == ("C", "D", "override_end")
        trail = (await credit.client.get("/v1/audit", params={"entity_id": ov["id"]})).json()["items"]
        assert {e["action"] for e in trail} == {"grade.override.created", "grade.override.lifted"}
        again = await credit.client.post(f"/v1/overrides/{ov['id']}/lift", json={"reason": "再次撤销人工调整"})
        assert again.status_code == 409, again.text

    async def test_expired_override_gives_way_to_the_rules_class(self, credit_quiet: Credit) -> None:
        credit = credit_quiet
        object_id = await graded_object(credit)
        r = await credit.client.post(f"/v1/grades/{object_id}/overrides", json=override(risk_class="C"))
        assert r.status_code == 201, r.text
        ov = r.json()
        assert (await grade(credit, object_id))["risk_class"] == "C"
        # time passes: the validity ended yesterday
        await shift_dates(credit, ov["id"], valid_from=today() - timedelta(days=10), valid_until=today())
        result = await sweep(credit)
        assert result["expired"] >= 1
        assert result["ended"] >= 1
        g = await grade(credit, object_id)
        assert (g["risk_class"], g["override"], g["trigger"]) == ("B", None, "override_end")
        stored = (await credit.client.get(f"/v1/overrides/{ov['id']}")).json()
        assert (stored["status"], stored["ended_by"]) == ("expired", "credit-svc:override-sweep")
        trail = (await credit.client.get("/v1/audit", params={"entity_id": ov["id"]})).json()["items"]
        assert "grade.override.expired" in {e["action"] for e in trail}
        event = (await grade_events(credit, object_id))[-1]
        assert (event.data.risk_class, event.data.previous_class, event.data.trigger) == ("B", "C", "override_end")
        announced = len(await grade_events(credit, object_id))
        assert await sweep(credit) == {"expired": 0, "started": 0, "ended": 0}  # nothing left to do
        assert len(await grade_events(credit, object_id)) == announced

    async def test_scheduled_override_applies_from_its_first_day(self, credit_quiet: Credit) -> None:
        credit = credit_quiet
        object_id = await graded_object(credit)
        body = override(
            risk_class="A",
            valid_from=(today() + timedelta(days=1)).isoformat(),
            valid_until=(today() + timedelta(days=30)).isoformat(),
        )
        r = await credit.client.post(f"/v1/grades/{object_id}/overrides", json=body)
        assert r.status_code == 201, r.text
        ov = r.json()
        assert ov["in_force"] is False
        assert (await grade(credit, object_id))["risk_class"] == "B"
        await sweep(credit)
        assert (await grade(credit, object_id))["risk_class"] == "B"  # not yet
        await shift_dates(credit, ov["id"], valid_from=today())
        assert (await sweep(credit))["started"] >= 1
        g = await grade(credit, object_id)
        assert (g["risk_class"], g["trigger"], g["trigger_ref"]) == ("A", "override", ov["id"])

    async def test_rule_lists_follow_the_overridden_class(self, credit_quiet: Credit) -> None:
        credit = credit_quiet
        object_id = await graded_object(credit)
        admin = credit.headers("department_admin", region="341600", department=uuid.uuid4())
        r = await credit.client.post(
            "/v1/lists",
            json={"list_type": "black", "name": "重点监管名单", "criteria": "D类", "auto_classes": ["D"]},
            headers=admin,
        )
        assert r.status_code == 201, r.text
        assert await list_actions(credit, object_id) == []
        ov = await credit.client.post(f"/v1/grades/{object_id}/overrides", json=override())
        assert ov.status_code == 201, ov.text
        assert await list_actions(credit, object_id) == [("black", "added")]
        lifted = await credit.client.post(
            f"/v1/overrides/{ov.json()['id']}/lift", json={"reason": "复核后撤销人工调整"}
        )
        assert lifted.status_code == 200, lifted.text
        assert await list_actions(credit, object_id) == [("black", "added"), ("black", "removed")]


class TestSweepWorker:
    async def test_the_running_service_expires_overrides_by_itself(
        self, stack: Profile, test_issuer: TestIssuer
    ) -> None:
        url = await create_database(stack, random_ref("credit"))
        settings = CreditSettings(
            **settings_for(
                stack, "credit-svc", url, auth_jwks_url=test_issuer.jwks_url, credit_override_sweep_interval_s=0.2
            )
        )
        group = random_ref("credit.inputs")
        await skip_history(settings, group, InputConsumer(settings, group=group).subscription().topics)
        async with serve_in_process(create_app(settings, group=group)) as client:
            client.headers["authorization"] = f"Bearer {test_issuer.token()}"
            credit = Credit(client, url, settings, test_issuer)
            object_id = await graded_object(credit)
            r = await client.post(f"/v1/grades/{object_id}/overrides", json=override())
            assert r.status_code == 201, r.text
            assert (await grade(credit, object_id))["risk_class"] == "D"
            await shift_dates(credit, r.json()["id"], valid_from=today() - timedelta(days=5), valid_until=today())

            async def resumed() -> dict[str, Any] | None:
                g = await grade(credit, object_id)
                return g if g["risk_class"] == "B" else None

            g = await eventually(resumed, timeout=60, interval=0.2)
            assert (g["trigger"], g["override"]) == ("override_end", None)


class TestRefusals:
    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"risk_class": "Z"}, "risk_class"),  # not a class of the scheme
            ({"risk_class": "d"}, "risk_class"),
            ({"reason": ""}, "reason"),
            ({"legal_basis": None}, "legal_basis"),
            ({"valid_until": None}, "valid_until"),
            ({"valid_until": "2000-01-01"}, "valid_until"),
            ({"valid_from": "2000-01-01"}, "valid_from"),
            ({"valid_until": "2099-01-01"}, "valid_until"),  # longer than credit_override_max_days
            ({"unknown": 1}, "unknown"),
        ],
    )
    async def test_bad_overrides_are_refused_and_nothing_changes(
        self, credit_quiet: Credit, change: dict[str, object], field: str
    ) -> None:
        credit = credit_quiet
        object_id = await graded_object(credit)
        body = {k: v for k, v in (override() | change).items() if v is not None}
        r = await credit.client.post(f"/v1/grades/{object_id}/overrides", json=body)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert field in {str(loc) for e in r.json()["errors"] for loc in e["loc"]}
        assert await query(credit.url, "SELECT 1 FROM credit_grade_overrides WHERE object_id = :o", o=object_id) == []
        assert await query(credit.url, "SELECT 1 FROM credit_audit_log WHERE object_id = :o", o=object_id) == []
        g = await grade(credit, object_id)
        assert (g["risk_class"], g["trigger"]) == ("B", "event")

    async def test_only_authorised_officials_within_their_scope(self, credit_quiet: Credit) -> None:
        credit = credit_quiet
        object_id = await graded_object(credit)
        url = f"/v1/grades/{object_id}/overrides"
        for headers in (
            credit.headers("inspector", department=credit.department),
            credit.headers("leader", region="341600"),
            credit.headers("department_admin", region="341621", department=credit.department),
            credit.headers("department_admin", department=uuid.uuid4()),
        ):
            r = await credit.client.post(url, json=override(), headers=headers)
            assert r.status_code == 403, r.text
        assert await query(credit.url, "SELECT 1 FROM credit_grade_overrides WHERE object_id = :o", o=object_id) == []
        assert (await credit.client.post(f"/v1/grades/{uuid.uuid4()}/overrides", json=override())).status_code == 404
        first = await credit.client.post(url, json=override())
        assert first.status_code == 201, first.text
        second = await credit.client.post(url, json=override(risk_class="C"))
        assert second.status_code == 409, second.text
        assert second.json()["override_id"] == first.json()["id"]
        assert (await grade(credit, object_id))["risk_class"] == "D"
        inspector = credit.headers("inspector", department=credit.department)
        lift = await credit.client.post(
            f"/v1/overrides/{first.json()['id']}/lift", json={"reason": "无权撤销的测试请求"}, headers=inspector
        )
        assert lift.status_code == 403, lift.text
        assert (await grade(credit, object_id))["risk_class"] == "D"
        mine = await credit.client.get(f"/v1/grades/{object_id}/overrides")
        assert [o["id"] for o in mine.json()] == [first.json()["id"]]
