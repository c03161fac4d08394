"""The proxy path: a lean ASGI handler from `/api/<service>/...` (and `/auth/...`) to the services.

Per request: find the service; unless the path is public, check the bearer token (401) and the
route's scope (403, table in gateway.scopes); take from the caller's rate-limit buckets (429:
per client and per user, or per IP on public credential routes); forward the request over a
pooled aiohttp session with bodies streamed both ways, and turn upstream failures into problem
details (502 unreachable, 504 timed out).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote

import aiohttp
from prometheus_client import Counter
from starlette.types import Receive, Scope, Send
from yarl import URL

from gateway.headers import downstream_headers, upstream_headers
from gateway.ratelimit import Limit, RateLimiter
from gateway.responses import send_problem
from gateway.scopes import required_scope
from gateway.security import PublicPaths, authenticate, caller_ip, permitted
from gateway.settings import GatewaySettings
from svc_runtime.auth import TokenVerifier

_log = logging.getLogger("gateway.proxy")

UPSTREAM_ERRORS = Counter(
    "gateway_upstream_errors_total", "Requests the gateway could not complete", ["service", "kind"]
)

SMALL_BODY = 64 * 1024  # bodies up to this size are read whole; larger or unknown ones are streamed
CHUNK = 64 * 1024
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})


class Route:
    """Where one prefix leads: the service name, its base URL and the prefix stripped from the path."""

    __slots__ = ("base", "label", "prefix", "raw_prefix", "service")

    def __init__(self, service: str, base: str, prefix: str, label: str | None = None) -> None:
        self.service = service
        self.base = base
        self.prefix = prefix
        self.raw_prefix = prefix.encode()
        self.label = label or prefix + "/*"  # the route in logs and metrics


def declared_length(headers: list[tuple[bytes, bytes]]) -> int:
    """The request's Content-Length, or -1 when it has none."""
    for name, value in headers:
        if name == b"content-length":
            return int(value) if value.isdigit() else -1
    return -1


def _has_dot_segment(path: str) -> bool:
    return "/./" in path or "/../" in path or path.endswith(("/.", "/.."))


class Proxy:
    def __init__(
        self,
        settings: GatewaySettings,
        session: Callable[[], aiohttp.ClientSession],
        verifier: Callable[[], TokenVerifier],
        limiter: Callable[[], RateLimiter | None] = lambda: None,
    ) -> None:
        self.settings = settings
        self._session = session
        self._verifier = verifier
        self._limiter = limiter
        self.public = PublicPaths(settings.public_paths)
        self.ip_limited = PublicPaths(settings.rate_limit_ip_paths)
        self.client_limit = Limit("client", settings.rate_limit_client_per_s, settings.rate_limit_client_burst)
        self.client_limits = {
            client: Limit("client", rate, burst)
            for client, (rate, burst) in settings.rate_limit_client_overrides.items()
        }
        self.user_limit = Limit("user", settings.rate_limit_user_per_s, settings.rate_limit_user_burst)
        self.ip_limit = Limit("ip", settings.rate_limit_ip_per_s, settings.rate_limit_ip_burst)
        self.routes = {name: Route(name, url, f"/api/{name}") for name, url in settings.service_urls.items()}
        auth_url = settings.service_urls.get(settings.auth_service)
        self.auth_route = Route(settings.auth_service, auth_url, "/auth") if auth_url else None
        # Public APIs outside /api/<service> (Open311): forwarded with the path unchanged (nothing stripped).
        self.passthrough = tuple(
            (prefix, Route(service, settings.service_urls[service], "", label=prefix + "/*"))
            for prefix, service in settings.passthrough_routes.items()
            if service in settings.service_urls
        )

    def passes_through(self, path: str) -> bool:
        return any(path == prefix or path.startswith(prefix + "/") for prefix, _ in self.passthrough)

    def route(self, path: str) -> Route | None:
        if path.startswith("/api/"):
            service = path[5:].partition("/")[0]
            return self.routes.get(service)
        if path == "/auth" or path.startswith("/auth/"):
            return self.auth_route
        for prefix, route in self.passthrough:
            if path == prefix or path.startswith(prefix + "/"):
                return route
        return None

    def _target(self, scope: Scope, route: Route) -> URL:
        raw: bytes | None = scope.get("raw_path")
        if raw is not None and raw.startswith(route.raw_prefix):
            rest = raw[len(route.raw_prefix) :].decode("latin-1")
        else:
            rest = quote(scope["path"][len(route.prefix) :], safe="/:@!$&'()*+,;=-._~")
        if not rest.startswith("/"):
            rest = "/" + rest
        query: bytes = scope.get("query_string", b"")
        url = route.base + rest + ("?" + query.decode("latin-1") if query else "")
        return URL(url, encoded=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state: dict[str, Any] = scope["state"]
        request_id: str = state["request_id"]
        path: str = scope["path"]
        route = self.route(path)
        if route is None:
            state["route"] = "unmatched"
            name = path[5:].partition("/")[0] if path.startswith("/api/") else ""
            detail = f"no service named {name!r}" if name else "no such route"
            await send_problem(send, 404, detail=detail, instance=path, request_id=request_id)
            return
        state["route"] = route.label
        state["service"] = route.service
        if _has_dot_segment(path):
            await send_problem(send, 400, detail="dot segments are not allowed in paths", request_id=request_id)
            return
        limit = self.settings.body_limit(path)
        if declared_length(scope["headers"]) > limit:
            await self._too_large(send, path, request_id, limit)
            return
        buckets: list[tuple[Limit, str]] = []
        if not self.public(path):
            claims, failure = await authenticate(self._verifier(), scope["headers"])
            if failure is not None:
                await send_problem(
                    send,
                    401,
                    title="Unauthorized",
                    detail=failure.detail,
                    instance=path,
                    request_id=request_id,
                    headers=[(b"www-authenticate", failure.challenge)],
                )
                return
            assert claims is not None
            sub = str(claims["sub"])
            client_id = claims.get("client_id") or claims.get("azp")
            state["sub"] = sub
            state["client_id"] = client_id
            required = required_scope(route.service, scope["method"])
            if not permitted(claims, required):
                await self._forbidden(send, path, request_id, route.service, required)
                return
            if client_id:
                buckets.append((self.client_limits.get(client_id, self.client_limit), client_id))
            if sub != client_id:  # a user's token (a client's own token has sub == client_id)
                buckets.append((self.user_limit, sub))
        elif self.ip_limited(path):
            buckets.append((self.ip_limit, caller_ip(scope, trust_forwarded=self.settings.trust_forwarded_headers)))
        limiter = self._limiter()
        if buckets and limiter is not None:
            decision = await limiter.check(buckets)
            state["rate_limit"] = decision.label
            headers = decision.headers()
            if not decision.allowed:
                assert decision.limit is not None
                exceeded = decision.limit
                await send_problem(
                    send,
                    429,
                    title="Too many requests",
                    detail=f"rate limit per {exceeded.bucket} exceeded ({exceeded.rate:g} requests/s, burst {exceeded.burst}); "
                    f"retry after {decision.retry_after_s} s",
                    instance=path,
                    request_id=request_id,
                    headers=headers,
                )
                return
            state["response_headers"] = headers
        await self._forward(scope, receive, send, route, state)

    async def _forbidden(self, send: Send, path: str, request_id: str, service: str, required: str | None) -> None:
        if required is None:
            detail = f"no access rule for service {service!r}; only platform administrators may call it"
            challenge = b'Bearer realm="supervision-platform", error="insufficient_scope"'
        else:
            detail = f"this token lacks the scope {required}"
            challenge = f'Bearer realm="supervision-platform", error="insufficient_scope", scope="{required}"'.encode()
        await send_problem(
            send,
            403,
            title="Forbidden",
            detail=detail,
            instance=path,
            request_id=request_id,
            headers=[(b"www-authenticate", challenge)],
            required_scope=required,
        )

    async def _forward(self, scope: Scope, receive: Receive, send: Send, route: Route, state: dict[str, Any]) -> None:
        request_id: str = state["request_id"]
        out = upstream_headers(
            scope, request_id=request_id, prefix=route.prefix, trust_forwarded=self.settings.trust_forwarded_headers
        )
        state["trace_id"] = out.trace_id
        method: str = scope["method"]
        body = _Body(receive, self.settings.body_limit(scope["path"]))
        data: bytes | AsyncIterator[bytes] | None = None
        if out.content_length is not None and out.content_length <= SMALL_BODY and not out.chunked:
            data = await body.read_all()
            if body.client_gone:
                return
        elif out.content_length is not None or out.chunked:
            data = body.stream()
        url = self._target(scope, route)
        session = self._session()
        response: aiohttp.ClientResponse | None = None
        try:
            for attempt in (1, 2):
                try:
                    response = await session.request(method, url, headers=out.headers, data=data, allow_redirects=False)
                    break
                except aiohttp.ServerDisconnectedError:
                    # A pooled connection the service had just closed: safe to try once more without a body.
                    if attempt == 2 or method not in _IDEMPOTENT or data is not None or body.failed:
                        raise
        except Exception as exc:
            if body.client_gone:
                return
            if not body.too_large:
                if not isinstance(exc, TimeoutError | aiohttp.ClientError):
                    raise
                await self._upstream_failed(exc, scope, send, route, request_id)
                return
        if body.too_large:
            if response is not None:
                response.close()
            await self._too_large(send, scope["path"], request_id, body.limit)
            return
        assert response is not None
        await self._relay(response, scope, send, route, request_id)

    async def _too_large(self, send: Send, path: str, request_id: str, limit: int) -> None:
        await send_problem(
            send,
            413,
            title="Payload too large",
            detail=f"request body exceeds {limit} bytes",
            instance=path,
            request_id=request_id,
        )

    async def _upstream_failed(
        self, exc: BaseException, scope: Scope, send: Send, route: Route, request_id: str
    ) -> None:
        timed_out = isinstance(exc, TimeoutError)  # aiohttp's timeouts subclass TimeoutError
        kind = "timeout" if timed_out else "unreachable"
        UPSTREAM_ERRORS.labels(route.service, kind).inc()
        _log.warning("service %s", kind, extra={"service": route.service, "error": repr(exc)})
        await send_problem(
            send,
            504 if timed_out else 502,
            title="Gateway timeout" if timed_out else "Bad gateway",
            detail=f"service {route.service!r} did not answer in time"
            if timed_out
            else f"service {route.service!r} is not reachable",
            instance=scope["path"],
            request_id=request_id,
        )

    async def _relay(
        self, response: aiohttp.ClientResponse, scope: Scope, send: Send, route: Route, request_id: str
    ) -> None:
        headers, _ = downstream_headers(response.raw_headers)
        length = response.content_length
        small = (
            scope["method"] == "HEAD" or response.status in (204, 304) or (length is not None and length <= SMALL_BODY)
        )
        try:
            if small:
                try:
                    body = await response.read()
                except (TimeoutError, aiohttp.ClientError) as exc:
                    response.close()
                    UPSTREAM_ERRORS.labels(route.service, "broken").inc()
                    status = 504 if isinstance(exc, TimeoutError) else 502
                    await send_problem(
                        send,
                        status,
                        detail=f"service {route.service!r} broke off its answer",
                        instance=scope["path"],
                        request_id=request_id,
                    )
                    return
                await send({"type": "http.response.start", "status": response.status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                response.release()
                return
            await send({"type": "http.response.start", "status": response.status, "headers": headers})
            try:
                async for chunk in response.content.iter_chunked(CHUNK):
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            except (TimeoutError, aiohttp.ClientError) as exc:
                # Headers are out: all that is left is to cut the connection so the caller sees it broken.
                UPSTREAM_ERRORS.labels(route.service, "broken").inc()
                _log.warning(
                    "service broke off a streamed answer", extra={"service": route.service, "error": repr(exc)}
                )
                response.close()
                return
            await send({"type": "http.response.body", "body": b""})
            response.release()
        except OSError:  # the caller went away while we were sending
            response.close()


class _Body:
    """The caller's request body, read whole (small) or streamed with the size limit enforced."""

    __slots__ = ("client_gone", "limit", "receive", "too_large")

    def __init__(self, receive: Receive, limit: int) -> None:
        self.receive = receive
        self.limit = limit
        self.too_large = False
        self.client_gone = False

    @property
    def failed(self) -> bool:
        return self.too_large or self.client_gone

    async def read_all(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                self.client_gone = True
                return b""
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def stream(self) -> AsyncIterator[bytes]:
        received = 0
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                self.client_gone = True
                raise ConnectionAbortedError("the caller went away")
            chunk: bytes = message.get("body", b"")
            received += len(chunk)
            if received > self.limit:
                self.too_large = True
                raise ValueError("request body too large")
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return
