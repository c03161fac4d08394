"""Load generator process for complaint intake: `python -m bench.complaint_load URL TOKEN CONCURRENCY SECONDS SEED FILE`.

Posts complaints with varied texts (the labelled routing set) about varied targets (the seeded objects'
names, written a little differently) on CONCURRENCY keep-alive connections for SECONDS; prints
{"rps", "errors", "linked"}.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time

import aiohttp


async def main() -> None:
    url, token, concurrency, seconds, seed, path = sys.argv[1:7]
    data = json.loads(open(path, encoding="utf-8").read())
    texts, names, region = data["texts"], data["names"], data["region"]
    rng = random.Random(int(seed))
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    done = errors = linked = 0
    deadline = time.perf_counter() + float(seconds)
    connector = aiohttp.TCPConnector(limit=int(concurrency))
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def worker() -> None:
            nonlocal done, errors, linked
            while time.perf_counter() < deadline:
                body = {
                    "kind": rng.choice(("complaint", "report")),
                    "channel": rng.choice(("12345", "12315", "mobile_app")),
                    "content": rng.choice(texts),
                    "region_code": region,
                    "target": {"name": rng.choice(names)[3:]},  # without the city: matched by similarity
                    "complainant": {"anonymous": False, "name": "王某", "phone": "13900001111"},
                }
                async with session.post(url, data=json.dumps(body, ensure_ascii=False).encode()) as r:
                    payload = await r.read()
                    if r.status == 201:
                        done += 1
                        linked += b'"link_method":"name"' in payload
                    else:
                        errors += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(int(concurrency))))
        elapsed = time.perf_counter() - start
    print(json.dumps({"rps": done / elapsed, "errors": errors, "linked": linked / max(done, 1)}))


if __name__ == "__main__":
    asyncio.run(main())
