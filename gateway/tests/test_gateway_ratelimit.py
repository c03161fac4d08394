"""Rate limits: token buckets in the real Redis of the test profile, through a real gateway."""

from __future__ import annotations

import asyncio
import logging
import math
import re
import uuid

import httpx
import pytest
from gw_support import closed_port_url
from redis.asyncio import Redis

from conftest import CLIENT_BURST, CLIENT_RATE, IP_BURST, IP_RATE, USER_BURST, USER_RATE, Suite
from gateway.ratelimit import Limit, RateLimiter

pytestmark = pytest.mark.asyncio(loop_scope="session")

ECHO = "/api/catalog/v1/echo"


def _client_token(suite: Suite, client_id: str) -> dict[str, str]:
    """A client's own token (client credentials: sub is the client)."""
    return {"Authorization": f"Bearer {suite.keys.token(sub=client_id, client_id=client_id)}"}


def _user_token(suite: Suite, client_id: str, sub: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {suite.keys.token(sub=sub, client_id=client_id)}"}


async def _statuses(client: httpx.AsyncClient, n: int, headers: dict[str, str]) -> list[int]:
    return [(await client.get(ECHO, headers=headers)).status_code for _ in range(n)]


def _unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


async def _metric(client: httpx.AsyncClient, outcome: str) -> float:
    text = (await client.get("/metrics")).text
    match = re.search(rf'^gateway_rate_limit_decisions_total{{outcome="{outcome}"}} (\S+)$', text, re.M)
    return float(match.group(1)) if match else 0.0


async def test_burst_passes_then_429_with_retry_after_and_headers(limited: httpx.AsyncClient, suite: Suite) -> None:
    catalog = suite.upstreams["catalog"]
    headers = _client_token(suite, _unique("agency"))
    ok = await client_get_all(limited, CLIENT_BURST, headers)
    assert [r.status_code for r in ok] == [200] * CLIENT_BURST
    assert ok[0].headers["ratelimit-limit"] == str(CLIENT_BURST)
    assert int(ok[0].headers["ratelimit-remaining"]) == CLIENT_BURST - 1
    assert int(ok[-1].headers["ratelimit-remaining"]) == 0
    assert ok[-1].headers["ratelimit-reset"] == str(math.ceil(CLIENT_BURST / CLIENT_RATE))  # until full again
    assert "retry-after" not in ok[0].headers
    before = catalog.hits
    refused = await limited.get(ECHO, headers=headers)
    assert refused.status_code == 429, refused.text
    assert catalog.hits == before, "a refused request must not reach the service"
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"] == str(math.ceil(1 / CLIENT_RATE))  # until one token, rounded up
    assert refused.headers["ratelimit-remaining"] == "0"
    assert refused.headers["ratelimit-limit"] == str(CLIENT_BURST)
    problem = refused.json()
    assert problem["status"] == 429
    assert problem["title"] == "Too many requests"
    assert "client" in problem["detail"]
    assert problem["request_id"] == refused.headers["x-request-id"]


async def client_get_all(client: httpx.AsyncClient, n: int, headers: dict[str, str]) -> list[httpx.Response]:
    return [await client.get(ECHO, headers=headers) for _ in range(n)]


async def test_bucket_refills_at_its_rate(limited: httpx.AsyncClient, suite: Suite) -> None:
    headers = _user_token(suite, "big-client", _unique("inspector"))  # user bucket: 2/s, burst 3
    assert await _statuses(limited, USER_BURST, headers) == [200] * USER_BURST
    assert (await limited.get(ECHO, headers=headers)).status_code == 429
    await asyncio.sleep(1.1 / USER_RATE)  # a little more than one token comes back
    assert (await _statuses(limited, 1, headers)) == [200]
    await asyncio.sleep(USER_BURST / USER_RATE + 0.2)  # the whole bucket is back
    # Only the refill is asserted here: how many more pass depends on how slow the machine is.
    assert (await _statuses(limited, USER_BURST, headers)) == [200] * USER_BURST


async def test_users_of_one_client_have_separate_buckets(limited: httpx.AsyncClient, suite: Suite) -> None:
    client_id = "big-client"  # its client limit is overridden to 1000/s: only the user buckets matter here
    alice = _user_token(suite, client_id, _unique("alice"))
    bob = _user_token(suite, client_id, _unique("bob"))
    assert await _statuses(limited, USER_BURST, alice) == [200] * USER_BURST
    refused = await limited.get(ECHO, headers=alice)
    assert refused.status_code == 429
    assert "user" in refused.json()["detail"]
    assert await _statuses(limited, USER_BURST, bob) == [200] * USER_BURST, "bob is not limited by alice"


async def test_client_limit_covers_all_its_users(limited: httpx.AsyncClient, suite: Suite) -> None:
    client_id = _unique("console")  # default client limit: burst 6, users burst 3 each
    users = [_user_token(suite, client_id, _unique("user")) for _ in range(3)]
    assert await _statuses(limited, USER_BURST, users[0]) == [200] * USER_BURST
    assert await _statuses(limited, USER_BURST, users[1]) == [200] * USER_BURST
    refused = await limited.get(ECHO, headers=users[2])  # its own bucket is full; the client's is empty
    assert refused.status_code == 429
    assert "client" in refused.json()["detail"]
    other = _client_token(suite, _unique("agency"))
    assert (await limited.get(ECHO, headers=other)).status_code == 200, "other clients are not affected"


async def test_client_override_raises_its_limit(limited: httpx.AsyncClient, suite: Suite) -> None:
    headers = _client_token(suite, "big-client")
    statuses = await _statuses(limited, CLIENT_BURST * 2, headers)
    assert statuses == [200] * (CLIENT_BURST * 2)


async def test_public_credential_routes_are_limited_per_ip(limited: httpx.AsyncClient) -> None:
    await asyncio.sleep(IP_BURST / IP_RATE + 0.1)  # let the IP bucket of this gateway fill up
    form = {"grant_type": "client_credentials", "client_id": "x"}
    statuses = [(await limited.post("/auth/token", data=form)).status_code for _ in range(IP_BURST + 1)]
    assert statuses == [200] * IP_BURST + [429]
    refused = await limited.post("/auth/token", data=form)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert "ip" in refused.json()["detail"]
    discovery = await limited.get("/auth/.well-known/openid-configuration")
    assert discovery.status_code == 200, "other public routes are not limited per IP"
    assert "ratelimit-limit" not in discovery.headers


async def test_redis_down_fails_open_with_metric(no_redis_gateway_url: str, suite: Suite) -> None:
    headers = _client_token(suite, _unique("agency"))  # limit 1/s burst 1, were Redis there
    async with httpx.AsyncClient(base_url=no_redis_gateway_url, timeout=10.0) as client:
        before = await _metric(client, "unavailable")
        statuses = await _statuses(client, 5, headers)
        assert statuses == [200] * 5
        assert await _metric(client, "unavailable") >= before + 5
        response = await client.get(ECHO, headers=headers)
        assert "ratelimit-limit" not in response.headers


async def test_limiter_against_redis_directly(suite: Suite) -> None:
    """The script: all buckets or none, remaining and reset reported for the emptiest one."""
    redis = Redis.from_url(suite.redis_url)
    try:
        limiter = RateLimiter(redis, key_prefix=f"gwunit-{uuid.uuid4().hex[:8]}:")
        await limiter.load()
        wide, narrow = Limit("client", 1.0, 10), Limit("user", 1.0, 2)
        buckets = [(wide, "c"), (narrow, "u")]
        first = await limiter.check(buckets)
        assert first.outcome == "allowed"
        assert first.limit == narrow  # 1 of 2 left beats 9 of 10
        assert first.remaining == 1
        assert first.reset_s == 1
        assert (await limiter.check(buckets)).allowed
        refused = await limiter.check(buckets)
        assert refused.outcome == "limited"
        assert refused.limit == narrow
        assert refused.retry_after_s == 1
        assert refused.label == "limited:user"
        tokens = await redis.hget(limiter.key(wide, "c"), "t")
        assert tokens is not None
        assert 8 <= float(tokens) < 8.5, "a refusal takes no token"
        ttl = await redis.pttl(limiter.key(narrow, "u"))
        assert 0 < ttl <= 3000  # gone once full again (+1 s)
        await redis.script_flush()  # as after a Redis restart: the script is loaded again
        assert (await limiter.check([(wide, "c")])).allowed
        assert await redis.script_exists(limiter._script.sha) == [True]
    finally:
        await redis.aclose()


async def test_limiter_fails_open_once_per_outage(caplog: pytest.LogCaptureFixture) -> None:
    dead = closed_port_url().replace("http://", "redis://") + "/0"
    redis = Redis.from_url(dead, socket_connect_timeout=0.2)
    try:
        limiter = RateLimiter(redis, key_prefix="gwunit:", retry_after_failure_s=30)
        with caplog.at_level(logging.WARNING, logger="gateway.ratelimit"):
            decisions = [await limiter.check([(Limit("client", 1.0, 1), "c")]) for _ in range(5)]
        assert {d.outcome for d in decisions} == {"unavailable"}
        assert all(d.allowed and d.headers() == [] for d in decisions)
        warnings = [r for r in caplog.records if "fail open" in r.getMessage()]
        assert len(warnings) == 1, "one warning per outage, not one per request"
    finally:
        await redis.aclose()


async def test_access_log_has_user_client_route_status_latency_and_rate_limit(
    limited: httpx.AsyncClient, suite: Suite, caplog: pytest.LogCaptureFixture
) -> None:
    user = _unique("inspector")
    headers = _user_token(suite, "big-client", user)
    with caplog.at_level(logging.INFO, logger="gateway.access"):
        for _ in range(USER_BURST + 1):
            await limited.get(ECHO, headers=headers)
        await asyncio.sleep(0.05)  # the server thread writes the last line after the answer is out
    lines = [r for r in caplog.records if r.name == "gateway.access" and getattr(r, "sub", None) == user]
    assert len(lines) == USER_BURST + 1
    first, last = lines[0], lines[-1]
    assert first.client_id == "big-client"
    assert first.route == "/api/catalog/*"
    assert (first.status, last.status) == (200, 429)
    assert first.duration_ms > 0
    assert (first.rate_limit, last.rate_limit) == ("allowed", "limited:user")
