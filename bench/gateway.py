"""Gateway: an authenticated GET through the gateway against the same GET straight to the service.

Runs on the `test` profile's suite (auth-svc, catalog-svc and the gateway as separate uvicorn
processes, as in production); the load comes from another process (`bench.loadgen`).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import httpx

from bench.harness import Figure, check, ratio
from svc_runtime.devstack import stack
from svc_runtime.devstack.procs import port_open
from svc_runtime.devstack.topology import GATEWAY, SERVICES, Profile, repo_root

PATH = "/v1/items?limit=5"
CONCURRENCY = 16
SECONDS = 6.0
SEQUENTIAL = 400
# The load comes from one client and one address, far above the production limits: the gateway still
# takes from its Redis buckets on every request (that cost is measured), but nothing runs dry.
BENCH_GATEWAY_ENV = {
    f"RATE_LIMIT_{bucket}_{knob}": "1000000" for bucket in ("CLIENT", "USER", "IP") for knob in ("PER_S", "BURST")
}


def _load(url: str, token: str, mode: str) -> dict[str, float]:
    args = [url, token, mode, str(CONCURRENCY), str(SECONDS), str(SEQUENTIAL)]
    out = subprocess.run(
        [sys.executable, "-m", "bench.loadgen", *args], capture_output=True, text=True, check=True, cwd=repo_root()
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


async def run(p: Profile) -> list[Figure]:
    needed = [s for s in SERVICES if s.name in ("auth", "catalog")]
    started = [s for s in (*needed, GATEWAY) if not port_open(p.port(s))]
    await asyncio.to_thread(stack.up, p, [s.name for s in needed])
    await asyncio.to_thread(stack.start_process, p, GATEWAY, BENCH_GATEWAY_ENV)
    try:
        ready = await asyncio.to_thread(stack.wait_ready, p, needed, 120)
        assert all(ready.values()), ready
        secrets = stack.ensure_secrets(p)
        async with httpx.AsyncClient(base_url=p.gateway_url, timeout=10) as client:
            for _ in range(100):  # the gateway answers once it is up, whatever the other services do
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
        catalog = next(s for s in SERVICES if s.name == "catalog")
        direct_url = f"{p.url(catalog)}{PATH}"
        gateway_url = f"{p.gateway_url}/api/catalog{PATH}"
        # Warm both paths (JWKS fetch, pools), then measure alternately.
        _load(gateway_url, token, "warm")
        _load(direct_url, token, "warm")
        direct = _load(direct_url, token, "throughput")
        proxied = _load(gateway_url, token, "throughput")
        direct_lat = _load(direct_url, token, "latency")
        proxied_lat = _load(gateway_url, token, "latency")
    finally:
        for svc in started:
            stack.stop(svc.name, p.pids)
    added = proxied_lat["median_ms"] - direct_lat["median_ms"]
    return [
        Figure(
            "gateway.proxied_get_throughput",
            round(proxied["rps"], 1),
            "req/s",
            round(direct["rps"], 1),
            ">= 50% of direct",
            proxied["rps"] / direct["rps"] >= 0.5,
            ratio(proxied["rps"], direct["rps"]),
            notes=f"GET catalog {PATH} with a bearer token, {CONCURRENCY} connections, {SECONDS:.0f}s each",
            extra={"errors": proxied["errors"] + direct["errors"]},
        ),
        Figure(
            "gateway.added_median_latency",
            round(added, 2),
            "ms",
            round(direct_lat["median_ms"], 2),
            "< 3 ms",
            check(added, "<=", 3.0),
            None,
            notes=f"{SEQUENTIAL} sequential GETs each; through gateway median {proxied_lat['median_ms']:.2f} ms",
        ),
    ]
