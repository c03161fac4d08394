"""`/readyz` of the gateway: ready only when every service's own `/readyz` answers 200."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import aiohttp


class Readiness:
    """Checks all services concurrently with a short timeout; one result is shared for `cache_s`."""

    def __init__(
        self,
        session: Callable[[], aiohttp.ClientSession],
        service_urls: dict[str, str],
        *,
        timeout_s: float,
        cache_s: float,
    ) -> None:
        self._session = session
        self._urls = service_urls
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._cache_s = cache_s
        self._lock = asyncio.Lock()
        self._result: tuple[bool, dict[str, Any]] | None = None
        self._at = 0.0

    async def _check(self, url: str) -> dict[str, Any]:
        try:
            async with self._session().get(f"{url}/readyz", timeout=self._timeout, allow_redirects=False) as resp:
                await resp.read()
                return {"ready": resp.status == 200, "status": resp.status}
        except TimeoutError:
            return {"ready": False, "error": "timed out"}
        except aiohttp.ClientError as exc:
            return {"ready": False, "error": type(exc).__name__}

    def _fresh(self) -> bool:
        return self._result is not None and time.monotonic() - self._at < self._cache_s

    async def check(self) -> tuple[bool, dict[str, Any]]:
        if self._fresh():
            assert self._result is not None
            return self._result
        async with self._lock:
            if not self._fresh():
                names = list(self._urls)
                results = await asyncio.gather(*(self._check(self._urls[n]) for n in names))
                services = dict(zip(names, results, strict=True))
                ready = all(r["ready"] for r in results)
                self._result = (ready, {"status": "ready" if ready else "not ready", "services": services})
                self._at = time.monotonic()
        assert self._result is not None
        return self._result
