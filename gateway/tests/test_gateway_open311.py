"""Public routes of complaint-svc through the gateway: Open311 under /open311/v2 (path kept), public status."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from gw_support import ServerThread

from conftest import IP_BURST, IP_RATE, Suite, gateway_settings
from gateway.main import create_app
from gateway.openapi import merge
from gateway.security import PublicPaths
from gateway.settings import GatewaySettings

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _complaint_app() -> FastAPI:
    app = FastAPI(title="complaint-svc")

    @app.api_route("/{rest:path}", methods=["GET", "POST"])
    async def echo(rest: str, request: Request) -> JSONResponse:
        body = await request.body()
        return JSONResponse(
            {
                "path": request.url.path,
                "query": request.url.query,
                "method": request.method,
                "body": body.decode(),
                "authorization": request.headers.get("authorization"),
                "content_type": request.headers.get("content-type"),
            }
        )

    return app


@pytest.fixture(scope="module")
def complaint_url() -> Iterator[str]:
    server = ServerThread(_complaint_app()).start()
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def gateways(suite: Suite, complaint_url: str) -> Iterator[tuple[str, str]]:
    urls = {**suite.urls, "complaint": complaint_url}
    open_gw = ServerThread(create_app(gateway_settings(suite, service_urls=urls))).start()
    tight = gateway_settings(suite, service_urls=urls, rate_limit_ip_per_s=IP_RATE, rate_limit_ip_burst=IP_BURST)
    limited_gw = ServerThread(create_app(tight)).start()
    yield open_gw.url, limited_gw.url
    open_gw.stop()
    limited_gw.stop()


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def gw(gateways: tuple[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateways[0], timeout=10.0) as c:
        yield c


async def test_open311_is_forwarded_unchanged_without_a_token(gw: httpx.AsyncClient) -> None:
    r = await gw.get("/open311/v2/services.json", params={"jurisdiction_id": "x"})
    assert r.status_code == 200, r.text
    assert r.json()["path"] == "/open311/v2/services.json"
    assert r.json()["query"] == "jurisdiction_id=x"
    assert "x-request-id" in r.headers


async def test_open311_form_post_reaches_the_service_as_sent(gw: httpx.AsyncClient) -> None:
    form = {"service_code": "food_safety", "description": "过期酸奶", "lat": "33.8", "long": "115.7"}
    r = await gw.post("/open311/v2/requests.xml", data=form)
    assert r.status_code == 200, r.text
    echoed = r.json()
    assert echoed["path"] == "/open311/v2/requests.xml"
    assert echoed["content_type"] == "application/x-www-form-urlencoded"
    assert "service_code=food_safety" in echoed["body"]


async def test_public_complaint_status_needs_no_token_but_the_rest_does(gw: httpx.AsyncClient) -> None:
    r = await gw.get("/api/complaint/v1/public/complaints/TS20260101ABCDEF")
    assert r.status_code == 200, r.text
    assert r.json()["path"] == "/v1/public/complaints/TS20260101ABCDEF"
    assert (await gw.get("/api/complaint/v1/complaints")).status_code == 401


async def test_only_the_configured_prefix_passes_through(gw: httpx.AsyncClient) -> None:
    assert (await gw.get("/open311/v3/services.json")).status_code == 404
    assert (await gw.get("/open311v2/services.json")).status_code == 404
    # Dot segments never lead out of the public prefix to a protected route without a token.
    r = await gw.get("/open311/v2/../../api/complaint/v1/complaints")
    assert r.status_code in (400, 401), r.text


async def test_open311_is_limited_per_caller_ip(gateways: tuple[str, str]) -> None:
    async with httpx.AsyncClient(base_url=gateways[1], timeout=10.0) as c:
        statuses = [(await c.get("/open311/v2/services.json")).status_code for _ in range(IP_BURST + 3)]
    assert statuses[:IP_BURST] == [200] * IP_BURST
    assert 429 in statuses[IP_BURST:]


def test_passthrough_prefixes_are_validated() -> None:
    with pytest.raises(ValueError, match="passthrough prefix"):
        GatewaySettings(passthrough_routes={"/api/x": "complaint"})
    with pytest.raises(ValueError, match="passthrough prefix"):
        GatewaySettings(passthrough_routes={"/open311/v2/": "complaint"})
    assert GatewaySettings().passthrough_routes == {"/open311/v2": "complaint"}


def test_merged_openapi_documents_open311_at_its_public_path() -> None:
    op = {"get": {"summary": "Open311: list the services", "responses": {"200": {"description": "ok"}}}}
    spec = {"paths": {"/open311/v2/services.{fmt}": op, "/v1/complaints": op}}
    settings = GatewaySettings()
    doc = merge(
        {"complaint": spec},
        public=PublicPaths(settings.public_paths),
        auth_service="auth",
        passthrough=settings.passthrough_routes,
    )
    assert doc["paths"]["/open311/v2/services.{fmt}"]["get"]["security"] == []
    assert "security" not in doc["paths"]["/api/complaint/v1/complaints"]["get"]
