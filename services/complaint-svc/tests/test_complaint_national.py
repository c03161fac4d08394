"""National dispatches on real servers: taken in from Kafka once, deadline kept, result back in the events."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from complaint_helpers import REGION, Svc, now, publish

from supervision_schemas.complaint import (
    ComplaintChannel,
    ComplaintDispatched,
    ComplaintDispatchedData,
    ComplaintKind,
    ComplaintStatusChanged,
    DispatchedComplainant,
    DispatchedTarget,
)
from svc_runtime.testing import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")
pytest_plugins = ["complaint_fixtures"]


def dispatch(number: str, **overrides: Any) -> ComplaintDispatched:
    data: dict[str, Any] = {
        "dispatch_no": number,
        "source_system": "national_12315",
        "kind": ComplaintKind.COMPLAINT,
        "content": "在超市购买的奶粉临近保质期却按原价销售，要求退货被拒",
        "region_code": REGION,
        "target": DispatchedTarget(name="惠民生活超市"),
        "complainant": DispatchedComplainant(name="王五", phone="13900001111"),
        "dispatched_at": now(),
        "reply_due": now() + timedelta(days=10),
    }
    data.update(overrides)
    return ComplaintDispatched.build(source="/bridge", subject=number, data=ComplaintDispatchedData(**data))


async def _taken_in(svc: Svc, number: str) -> dict[str, Any]:
    async def found() -> str | None:
        return await svc.scalar(  # type: ignore[no-any-return]
            "SELECT id::text FROM complaints WHERE channel = 'national' AND channel_ref = :ref", ref=number
        )

    cid = await eventually(found, timeout=90)
    r = await svc.client.get(f"/v1/complaints/{cid}")
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_a_national_dispatch_arrives_once_and_its_result_goes_back(svc: Svc) -> None:
    number = f"GJ12315{uuid.uuid4().hex[:10]}"
    sent = dispatch(number, target=DispatchedTarget(uscc=svc.objects["supermarket"]["uscc"]))
    await publish(svc.settings, [sent])
    c = await _taken_in(svc, number)
    assert (c["channel"], c["channel_ref"], c["status"]) == ("national", number, "received")
    assert c["target"]["link_method"] == "uscc"  # linked like any complaint
    assert c["department_id"] == str(svc.departments["qiaocheng_market"])
    assert datetime.fromisoformat(c["handle_due"]) == sent.data.reply_due  # the upstream deadline binds
    assert c["complainant"]["phone"] == "139****1111"  # masked everywhere but for the handler
    clear = await svc.client.get(f"/v1/complaints/{c['id']}/complainant", headers=svc.staff("qiaocheng_market"))
    assert clear.status_code == 200, clear.text
    assert (clear.json()["name"], clear.json()["phone"]) == ("王五", "13900001111")

    again = dispatch(number, target=DispatchedTarget(uscc=svc.objects["supermarket"]["uscc"]))
    marker = dispatch(
        f"GJ12315{uuid.uuid4().hex[:10]}", region_code=REGION, content="同一批次再次派单后的下一条派单内容"
    )
    await publish(svc.settings, [again, marker])  # the bridge sent it again (a new event id), then another
    await _taken_in(svc, marker.data.dispatch_no)
    count = await svc.scalar("SELECT count(*) FROM complaints WHERE channel_ref = :ref", ref=number)
    assert count == 1

    handler = svc.staff("qiaocheng_market")
    steps = [
        ("accept", {}),
        ("dispatch", {}),
        ("start", {}),
        ("reply", {"result_code": "mediated", "summary": "商家同意退货"}),
    ]
    for action, body in steps:
        r = await svc.client.post(f"/v1/complaints/{c['id']}/{action}", json=body, headers=handler)
        assert r.status_code == 200, (action, r.text)
    back = [e for e in await svc.outbox(c["id"]) if isinstance(e, ComplaintStatusChanged)]
    assert [e.data.action for e in back] == [a for a, _ in steps]
    assert all((e.data.channel, e.data.channel_ref) == (ComplaintChannel.NATIONAL, number) for e in back)
    result = back[-1].data.result
    assert result is not None
    assert result.summary == "商家同意退货"


async def test_a_dispatch_with_parts_the_platform_refuses_is_taken_in_without_them(svc: Svc) -> None:
    number = f"GJ12345{uuid.uuid4().hex[:10]}"
    await publish(
        svc.settings,
        [
            dispatch(
                number,
                source_system="national_12345",
                kind=ComplaintKind.REPORT,
                category="no_such_category",
                target=DispatchedTarget(
                    name="某某诊所", uscc="123456789012345670"
                ),  # not a valid USCC (check character)
                complainant=DispatchedComplainant(anonymous=True),
                reply_due=None,
            )
        ],
    )
    c = await _taken_in(svc, number)
    assert c["kind"] == "report"
    assert c["category"] != "no_such_category"
    assert c["complainant"]["anonymous"] is True
    attributes = await svc.scalar("SELECT attributes FROM complaints WHERE id = :id", id=uuid.UUID(c["id"]))
    assert attributes["source_system"] == "national_12345"
    assert attributes["dropped_fields"] == ["category", "target"]
    assert "upstream_reply_due" not in attributes
