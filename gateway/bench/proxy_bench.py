"""Measure the gateway against calling a service directly: throughput and added latency.

    .venv/bin/python gateway/bench/proxy_bench.py [--seconds 10] [--concurrency 32]

Starts, on free ports of 127.0.0.1, a small FastAPI service (which also serves the JWKS) and
the gateway (uvloop + httptools, as the launcher runs it), each its own uvicorn process; then
drives authenticated GETs with aiohttp from this process: sequentially for latency, and with
many concurrent callers for throughput. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

ISSUER = "http://bench.test/auth"
_KEY_FILE = os.environ.get("BENCH_KEY_FILE")

upstream_app = FastAPI()


@upstream_app.get("/readyz")
async def readyz() -> dict[str, str]:
    return {"status": "ready"}


@upstream_app.get("/v1/items/{item_id}")
async def item(item_id: str) -> dict[str, Any]:
    return {"id": item_id, "name": "supervision item", "region_code": "110105", "level": "county", "tags": ["a", "b"]}


@upstream_app.get("/.well-known/jwks.json")
async def jwks() -> dict[str, Any]:
    assert _KEY_FILE
    key = serialization.load_pem_private_key(Path(_KEY_FILE).read_bytes(), None)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))  # type: ignore[arg-type]
    jwk.update(kid="bench", use="sig", alg="RS256")
    return {"keys": [jwk]}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, timeout: float = 20.0) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


async def _run(url: str, headers: dict[str, str], concurrency: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        for _ in range(200):  # warm-up (JWKS fetch, pools)
            async with session.get(url, headers=headers) as r:
                await r.read()
        stop = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                async with session.get(url, headers=headers) as r:
                    await r.read()
                    if r.status != 200:
                        errors += 1
                latencies.append(time.perf_counter() - t0)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 3),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 3),
        "errors": errors,
    }


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used; 0 where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measure(
    url: str, headers: dict[str, str], concurrency: int, seconds: float, pids: dict[str, int]
) -> dict[str, Any]:
    before = {name: _cpu_s(pid) for name, pid in pids.items()}
    result: dict[str, Any] = asyncio.run(_run(url, headers, concurrency, seconds))
    for name, pid in pids.items():
        used = _cpu_s(pid) - before[name]
        result[f"{name}_cpu_us_per_request"] = round(used / max(result["requests"], 1) * 1e6, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    here = Path(__file__).resolve().parent
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    work = Path(tempfile.mkdtemp(prefix="gateway-bench-"))
    key_file = work / "key.pem"
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    now = int(time.time())
    token = jwt.encode(
        {
            "iss": ISSUER,
            "aud": "supervision-platform",
            "sub": "bench",
            "client_id": "bench",
            "iat": now,
            "exp": now + 3600,
        },
        key,
        algorithm="RS256",
        headers={"kid": "bench"},
    )
    up_port, gw_port = _port(), _port()
    up_url = f"http://127.0.0.1:{up_port}"
    base = [
        sys.executable,
        "-m",
        "uvicorn",
        "--host",
        "127.0.0.1",
        "--no-access-log",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
    ]
    env = {**os.environ, "BENCH_KEY_FILE": str(key_file)}
    gw_env = {
        **env,
        "SERVICE_URLS": json.dumps({"catalog": up_url, "auth": up_url}),
        "AUTH_ISSUER": ISSUER,
        "AUTH_JWKS_URL": f"{up_url}/.well-known/jwks.json",
        "LOG_LEVEL": os.environ.get("BENCH_GATEWAY_LOG_LEVEL", "INFO"),
    }
    log = open(here / ".bench-gateway.log", "w")
    procs = [
        subprocess.Popen([*base, "--port", str(up_port), "--app-dir", str(here), "proxy_bench:upstream_app"], env=env),
        subprocess.Popen([*base, "--port", str(gw_port), "gateway.main:app"], env=gw_env, stdout=log, stderr=log),
    ]
    try:
        _wait(f"{up_url}/readyz")
        _wait(f"http://127.0.0.1:{gw_port}/healthz")
        headers = {"Authorization": f"Bearer {token}"}
        direct_url = f"{up_url}/v1/items/42"
        proxied_url = f"http://127.0.0.1:{gw_port}/api/catalog/v1/items/42"
        result: dict[str, Any] = {"cpus": os.cpu_count()}
        pids = {"service": procs[0].pid, "gateway": procs[1].pid}
        result["latency_direct"] = _measure(direct_url, headers, 1, args.seconds / 2, pids)
        result["latency_gateway"] = _measure(proxied_url, headers, 1, args.seconds / 2, pids)
        result["load_direct"] = _measure(direct_url, headers, args.concurrency, args.seconds, pids)
        result["load_gateway"] = _measure(proxied_url, headers, args.concurrency, args.seconds, pids)
        result["throughput_ratio"] = round(result["load_gateway"]["rps"] / result["load_direct"]["rps"], 3)
        result["added_p50_ms"] = round(result["latency_gateway"]["p50_ms"] - result["latency_direct"]["p50_ms"], 3)
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(10)
        log.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
