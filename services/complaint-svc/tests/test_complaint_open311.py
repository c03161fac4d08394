"""Open311 GeoReport v2 on real servers: services, definitions, form-encoded submission, queries, JSON and XML, errors."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest
from complaint_helpers import REGION, Svc
from httpx import AsyncClient

pytestmark = pytest.mark.asyncio(loop_scope="session")
pytest_plugins = ["complaint_fixtures"]

FORM = {
    "service_code": "food_safety",
    "lat": "33.844",
    "long": "115.779",
    "address_string": "亳州市谯城区魏武大道88号",
    "description": "饭店后厨老鼠乱窜，餐具也不消毒，吃完拉肚子，联系电话13912345678",
    "first_name": "小明",
    "last_name": "张",
    "phone": "13912345678",
    "attribute[region_code]": REGION,
}


@pytest.fixture
def public(svc: Svc) -> AsyncClient:
    """The service's client without a token (Open311 is public)."""
    return AsyncClient(transport=svc.client._transport, base_url="http://test")


async def test_service_list_and_definition_in_json_and_xml(public: AsyncClient) -> None:
    services = await public.get("/open311/v2/services.json")
    assert services.status_code == 200, services.text
    codes = {s["service_code"] for s in services.json()}
    assert {"food_safety", "drug_safety", "environment", "other"} <= codes
    first = services.json()[0]
    assert set(first) >= {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
    xml = await public.get("/open311/v2/services.xml")
    assert xml.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(xml.content)
    assert root.tag == "services"
    assert {s.findtext("service_code") for s in root.findall("service")} == codes
    definition = await public.get("/open311/v2/services/food_safety.json")
    assert definition.json()["service_code"] == "food_safety"
    attributes = {a["code"]: a for a in definition.json()["attributes"]}
    assert attributes["kind"]["datatype"] == "singlevaluelist"
    assert {v["key"] for v in attributes["kind"]["values"]} == {"complaint", "report"}
    xml_def = ET.fromstring((await public.get("/open311/v2/services/food_safety.xml")).content)
    assert xml_def.tag == "service_definition"
    assert xml_def.find("attributes/attribute/values/value/key") is not None


async def test_submit_query_and_read_back(public: AsyncClient, svc: Svc) -> None:
    r = await public.post("/open311/v2/requests.json", data=FORM)
    assert r.status_code == 200, r.text
    [created] = r.json()
    request_id = created["service_request_id"]
    assert request_id.startswith("TS")
    assert "查询码" in created["service_notice"]
    again = await public.post("/open311/v2/requests.json", data=FORM)  # the same form twice: one complaint
    assert again.json()[0]["service_request_id"] == request_id
    one = await public.get(f"/open311/v2/requests/{request_id}.json")
    assert one.status_code == 200, one.text
    [item] = one.json()
    assert item["status"] == "open"
    assert item["service_code"] == "food_safety"
    assert item["lat"] == pytest.approx(33.844)
    assert "13912345678" not in item["description"]  # phone numbers in the text are masked publicly
    assert "139****5678" in item["description"]
    listed = await public.get("/open311/v2/requests.json", params={"service_request_id": request_id})
    assert [x["service_request_id"] for x in listed.json()] == [request_id]
    recent = await public.get("/open311/v2/requests.json", params={"service_code": "food_safety", "status": "open"})
    assert request_id in {x["service_request_id"] for x in recent.json()}
    xml = ET.fromstring((await public.get(f"/open311/v2/requests/{request_id}.xml")).content)
    assert xml.tag == "service_requests"
    assert xml.findtext("request/service_request_id") == request_id
    token = await public.get(f"/open311/v2/tokens/{request_id}.json")
    assert token.json()[0]["service_request_id"] == request_id
    native = await svc.client.get(f"/v1/complaints/{request_id}")
    assert native.json()["channel"] == "public_portal"
    assert native.json()["complainant"]["name"] == "张**"
    assert native.json()["region_code"] == REGION


async def test_mobile_app_key_reports_and_xml_submission(public: AsyncClient, svc: Svc) -> None:
    form = {
        **FORM,
        "api_key": "app-key-1",
        "attribute[kind]": "report",
        "attribute[anonymous]": "true",
        "description": "药店向未成年人大量销售含可待因的止咳水",
    }
    form.pop("first_name")
    form.pop("last_name")
    r = await public.post("/open311/v2/requests.xml", data=form)
    assert r.status_code == 200, r.text
    request_id = ET.fromstring(r.content).findtext("request/service_request_id")
    assert request_id is not None
    assert request_id.startswith("JB")
    native = (await svc.client.get(f"/v1/complaints/{request_id}")).json()
    assert native["channel"] == "mobile_app"
    assert native["complainant"]["anonymous"] is True
    listed = await public.get("/open311/v2/requests.json", params={"service_code": "food_safety"})
    assert request_id not in {x["service_request_id"] for x in listed.json()}  # reports are not listed
    [one] = (await public.get(f"/open311/v2/requests/{request_id}.json")).json()
    assert one["description"] is None


@pytest.mark.parametrize(
    ("changes", "status", "needle"),
    [
        ({"service_code": None}, 400, "service_code is required"),
        ({"service_code": "nonsense"}, 400, "service_code 'nonsense' not found"),
        ({"lat": None, "long": None, "address_string": None}, 400, "a location is required"),
        ({"long": None}, 400, "lat and long go together"),
        ({"api_key": "stolen"}, 403, "api_key is not valid"),
        ({"jurisdiction_id": "elsewhere.gov.cn"}, 404, "jurisdiction_id"),
        ({"attribute[kind]": "gossip"}, 400, "attribute[kind]"),
        ({"attribute[colour]": "red"}, 400, "unknown attribute"),
        ({"description": "短"}, 400, "description"),
        ({"phone": "123"}, 400, "phone"),
        ({"lat": "north"}, 400, "lat"),
        ({"attribute[region_code]": "990000"}, 400, "attribute[region_code]"),
    ],
)
async def test_requests_that_break_the_spec_are_refused(
    public: AsyncClient, svc: Svc, changes: dict[str, str | None], status: int, needle: str
) -> None:
    before = await svc.scalar("SELECT count(*) FROM complaints")
    form = {k: v for k, v in {**FORM, **changes}.items() if v is not None}
    r = await public.post("/open311/v2/requests.json", data=form)
    assert r.status_code == status, r.text
    errors = r.json()
    assert isinstance(errors, list)
    assert all(set(e) == {"code", "description"} and e["code"] == status for e in errors)
    assert any(needle in e["description"] for e in errors), errors
    assert await svc.scalar("SELECT count(*) FROM complaints") == before


async def test_errors_of_reads_follow_the_spec(public: AsyncClient) -> None:
    missing = await public.get("/open311/v2/requests/TS20000101AAAAAA.xml")
    assert missing.status_code == 404
    assert ET.fromstring(missing.content).findtext("error/code") == "404"
    assert (await public.get("/open311/v2/services/nonsense.json")).status_code == 404
    assert (await public.get("/open311/v2/services.csv")).json()[0]["code"] == 404
    assert (await public.get("/open311/v2/requests.json", params={"status": "pending"})).status_code == 400
    assert (await public.get("/open311/v2/requests.json", params={"start_date": "yesterday"})).status_code == 400
    assert (await public.get("/open311/v2/nothing-here.json")).json() == [
        {"code": 404, "description": "no Open311 resource 'nothing-here.json'"}
    ]
