"""Routing, headers, bodies and upstream failures through real sockets."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest
from gw_support import BIG_RESPONSE

from conftest import MAX_BODY, Suite

pytestmark = pytest.mark.asyncio(loop_scope="session")

TRACEPARENT = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")


async def test_routes_by_service_and_strips_the_prefix(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    catalog = await client.get("/api/catalog/v1/echo/a%2Fb/c?x=1&y=%E4%B8%AD", headers=auth)
    assert catalog.status_code == 200
    body = catalog.json()
    assert body["service"] == "catalog"
    assert body["raw_path"] == "/v1/echo/a%2Fb/c"
    assert body["query"] == "x=1&y=%E4%B8%AD"
    credit = await client.delete("/api/credit/v1/echo/records/9", headers=auth)
    assert credit.json()["service"] == "credit"
    assert credit.json()["method"] == "DELETE"
    assert credit.json()["path"] == "/v1/echo/records/9"


async def test_unknown_service_is_a_404_problem(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    for path in ("/api/nosuch/v1/x", "/api/", "/api"):
        response = await client.get(path, headers=auth)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 404
    local = await client.get("/nothing-here")
    assert local.status_code == 404
    assert local.headers["content-type"] == "application/problem+json"


async def test_dot_segments_are_refused(gateway_url: str, suite: Suite) -> None:
    # httpx normalises "..", so speak HTTP/1.1 by hand.
    host, port = urlsplit(gateway_url).hostname, urlsplit(gateway_url).port
    reader, writer = await asyncio.open_connection(host, port)
    token = suite.keys.token()
    writer.write(
        f"GET /api/catalog/v1/../../auth/v1/echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        "Connection: close\r\n\r\n".encode()
    )
    await writer.drain()
    raw = await reader.read()
    writer.close()
    assert raw.startswith(b"HTTP/1.1 400")


async def test_request_id_trace_context_and_forwarded_headers(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    response = await client.get(
        "/api/catalog/v1/echo",
        headers={
            **auth,
            "X-Request-ID": "req-123.abc",
            "traceparent": traceparent,
            "tracestate": "vendor=abc",
            "X-Forwarded-For": "6.6.6.6",
            "Connection": "keep-alive, x-hop",
            "X-Hop": "secret",
            "TE": "trailers",
            "Proxy-Authorization": "Basic abc",
            "X-Custom": "kept",
        },
    )
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "req-123.abc"
    seen = dict(response.json()["headers"])
    assert seen["x-request-id"] == "req-123.abc"
    assert seen["traceparent"] == traceparent
    assert seen["tracestate"] == "vendor=abc"
    assert seen["x-forwarded-for"] == "127.0.0.1"  # the caller's own claim is not trusted by default
    assert seen["x-forwarded-proto"] == "http"
    assert seen["x-forwarded-host"] == urlsplit(str(client.base_url)).netloc
    assert seen["x-forwarded-prefix"] == "/api/catalog"
    assert seen["x-custom"] == "kept"
    for hop in ("x-hop", "te", "proxy-authorization", "transfer-encoding", "upgrade"):
        assert hop not in seen
    assert seen["host"] != urlsplit(str(client.base_url)).netloc  # the service's own host
    names = [name for name, _ in response.json()["headers"]]
    assert names.count("x-request-id") == 1


async def test_trace_and_request_id_created_when_absent(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.get(
        "/api/catalog/v1/echo", headers={**auth, "X-Request-ID": "bad id with spaces", "traceparent": "garbage"}
    )
    seen = dict(response.json()["headers"])
    assert TRACEPARENT.match(seen["traceparent"])
    assert seen["x-request-id"] != "bad id with spaces"
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
    assert seen["x-request-id"] == response.headers["x-request-id"]


async def test_small_and_streamed_request_bodies(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    for size in (0, 17, 100_000, MAX_BODY):
        payload = os.urandom(size)
        response = await client.post("/api/catalog/v1/echo", headers=auth, content=payload)
        assert response.status_code == 200, size
        assert response.json()["body_len"] == size
        assert response.json()["body_sha256"] == hashlib.sha256(payload).hexdigest()

    payload = os.urandom(150_000)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(payload), 10_000):
            yield payload[start : start + 10_000]

    chunked = await client.put("/api/catalog/v1/echo", headers=auth, content=chunks())
    assert chunked.status_code == 200
    assert chunked.json()["body_sha256"] == hashlib.sha256(payload).hexdigest()


async def test_body_limit_gives_413_without_calling_the_service(
    client: httpx.AsyncClient, suite: Suite, auth: dict[str, str]
) -> None:
    catalog = suite.upstreams["catalog"]
    before = catalog.hits
    declared = await client.post("/api/catalog/v1/echo", headers=auth, content=b"x" * (MAX_BODY + 1))
    assert declared.status_code == 413
    assert declared.headers["content-type"] == "application/problem+json"
    assert declared.json()["status"] == 413
    assert catalog.hits == before

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):
            yield b"y" * 10_000

    streamed = await client.post("/api/catalog/v1/echo", headers=auth, content=chunks())
    assert streamed.status_code == 413
    assert streamed.json()["status"] == 413
    # the gateway stays healthy afterwards
    assert (await client.get("/api/catalog/v1/echo", headers=auth)).status_code == 200


async def test_large_response_is_streamed(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    async with client.stream("GET", "/api/catalog/v1/big", headers=auth) as response:
        assert response.status_code == 200
        total = 0
        digest = hashlib.sha256()
        async for chunk in response.aiter_raw():
            total += len(chunk)
            digest.update(chunk)
    block = bytes(range(256)) * 256
    assert total == BIG_RESPONSE
    assert digest.hexdigest() == hashlib.sha256(block * (BIG_RESPONSE // len(block))).hexdigest()


async def test_repeated_response_headers_pass_through(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.get("/api/catalog/v1/cookies", headers=auth)
    assert response.status_code == 200
    cookies = response.headers.get_list("set-cookie")
    assert len(cookies) == 2
    assert response.headers.get_list("date")
    assert len(response.headers.get_list("date")) == 1


async def test_upstream_down_is_a_502_problem(degraded: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await degraded.get("/api/risk/v1/warnings", headers=auth)
    assert response.status_code == 502
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 502
    assert "risk" in problem["detail"]
    assert "Traceback" not in response.text


async def test_upstream_timeout_is_a_504_problem(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.get("/api/catalog/v1/slow", headers=auth)
    assert response.status_code == 504
    assert response.json()["status"] == 504


async def test_concurrent_requests_share_the_pool(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    responses = await asyncio.gather(*(client.get(f"/api/credit/v1/echo/{i}", headers=auth) for i in range(100)))
    assert [r.status_code for r in responses] == [200] * 100
    assert {r.json()["path"] for r in responses} == {f"/v1/echo/{i}" for i in range(100)}
