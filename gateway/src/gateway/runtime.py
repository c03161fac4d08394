"""What the gateway holds for its lifetime: the pooled upstream session, the token verifier, the rate limiter."""

from __future__ import annotations

import aiohttp
import httpx
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from gateway.ratelimit import RateLimiter
from gateway.settings import GatewaySettings
from gateway.tokens import GatewayTokenVerifier


class GatewayRuntime:
    """Created with the app, opened in the lifespan (the session must belong to the serving loop)."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None
        self._verifier: GatewayTokenVerifier | None = None
        self._jwks_http: httpx.AsyncClient | None = None
        self._redis: Redis | None = None
        self._limiter: RateLimiter | None = None

    async def start(self) -> None:
        s = self.settings
        connector = aiohttp.TCPConnector(
            limit=s.upstream_pool_size,
            limit_per_host=s.upstream_pool_per_host,
            keepalive_timeout=s.upstream_keepalive_s,
            ttl_dns_cache=300,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(
                total=None, sock_connect=s.upstream_connect_timeout_s, sock_read=s.upstream_timeout_s
            ),
            auto_decompress=False,  # bodies pass through as the service encoded them
            cookie_jar=aiohttp.DummyCookieJar(),  # never keep one caller's cookies for the next
            skip_auto_headers=("Accept", "Accept-Encoding", "User-Agent", "Content-Type"),
            read_bufsize=2**16,
        )
        # Only the occasional JWKS fetch goes through httpx (the runtime's verifier takes an httpx client).
        self._jwks_http = httpx.AsyncClient(timeout=5.0)
        self._verifier = GatewayTokenVerifier(
            jwks_url=s.auth_jwks_url, issuer=s.auth_issuer, audience=s.auth_audience, http=self._jwks_http
        )
        if s.rate_limit_enabled:
            # Blocking pool: past its size, callers wait (bounded) for a connection instead of failing at once.
            # No retries and short timeouts: a slow or dead Redis must not hold requests (they pass, fail open).
            timeout = s.rate_limit_redis_timeout_s
            pool = BlockingConnectionPool.from_url(
                s.redis_url,
                max_connections=s.rate_limit_redis_pool_size,
                timeout=timeout,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                retry=Retry(NoBackoff(), 0),
            )
            self._redis = Redis(connection_pool=pool, retry=Retry(NoBackoff(), 0))
            self._limiter = RateLimiter(
                self._redis, key_prefix=s.rate_limit_key_prefix, retry_after_failure_s=s.rate_limit_retry_s
            )
            await self._limiter.load()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._jwks_http is not None:
            await self._jwks_http.aclose()
        if self._redis is not None:
            await self._redis.aclose()
            await self._redis.connection_pool.disconnect()

    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("the gateway has not started (lifespan did not run)")
        return self._session

    def verifier(self) -> GatewayTokenVerifier:
        if self._verifier is None:
            raise RuntimeError("the gateway has not started (lifespan did not run)")
        return self._verifier

    def limiter(self) -> RateLimiter | None:
        """The rate limiter, or None when rate limits are off."""
        return self._limiter
