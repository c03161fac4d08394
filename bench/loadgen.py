"""Load generator process: `python -m bench.loadgen URL TOKEN MODE CONCURRENCY SECONDS SEQUENTIAL`.

MODE `throughput`: CONCURRENCY keep-alive connections for SECONDS; prints {"rps", "errors"}.
MODE `latency`: SEQUENTIAL requests one after another; prints {"median_ms", "p99_ms"}.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time

import aiohttp


async def throughput(url: str, headers: dict[str, str], concurrency: int, seconds: float) -> dict[str, float]:
    done = errors = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def worker() -> None:
            nonlocal done, errors
            while time.perf_counter() < deadline:
                async with session.get(url) as r:
                    await r.read()
                    if r.status == 200:
                        done += 1
                    else:
                        errors += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return {"rps": done / (time.perf_counter() - start), "errors": errors}


async def latency(url: str, headers: dict[str, str], count: int) -> dict[str, float]:
    samples = []
    async with aiohttp.ClientSession(headers=headers) as session:
        for _ in range(count):
            t = time.perf_counter()
            async with session.get(url) as r:
                await r.read()
                assert r.status == 200, r.status
            samples.append((time.perf_counter() - t) * 1000)
    return {"median_ms": statistics.median(samples), "p99_ms": statistics.quantiles(samples, n=100)[98]}


async def main() -> None:
    url, token, mode, concurrency, seconds, count = sys.argv[1:7]
    headers = {"authorization": f"Bearer {token}"}
    if mode == "throughput":
        result = await throughput(url, headers, int(concurrency), float(seconds))
    elif mode == "latency":
        result = await latency(url, headers, int(count))
    else:  # warm
        result = await throughput(url, headers, 4, 1.0)
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
