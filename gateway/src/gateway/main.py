"""The gateway application: `uvicorn gateway.main:app`.

An outer ASGI callable does per-request bookkeeping (request id, CORS, body-size limit, access
log, metrics) and sends `/api/...` and `/auth/...` straight to the raw proxy handler; everything else
(health, readiness, metrics, merged OpenAPI, Swagger UI, lifespan) goes to a small FastAPI app.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.cors import CorsPolicy
from gateway.openapi import OpenAPIMerger
from gateway.proxy import Proxy, declared_length
from gateway.readiness import Readiness
from gateway.responses import send_problem
from gateway.runtime import GatewayRuntime
from gateway.settings import GatewaySettings
from svc_runtime import metrics
from svc_runtime.http import incoming_request_id
from svc_runtime.logging import configure_logging, request_id_var
from svc_runtime.metrics import HTTP_LATENCY, HTTP_REQUESTS
from svc_runtime.problems import install_problem_handlers

_log = logging.getLogger("gateway.access")
_errors = logging.getLogger("gateway")
_QUIET = frozenset({"/healthz", "/readyz", "/metrics"})


def _proxied(path: str) -> bool:
    return path.startswith("/api/") or path == "/api" or path == "/auth" or path.startswith("/auth/")


class Gateway:
    """The outer ASGI app: bookkeeping around every request, then the proxy or the local endpoints."""

    def __init__(self, settings: GatewaySettings, proxy: Proxy, local: ASGIApp) -> None:
        self.settings = settings
        self.proxy = proxy
        self.local = local
        self.cors = CorsPolicy(settings)
        self._metrics: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.local(scope, receive, send)  # lifespan (and anything not HTTP)
            return
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        request_id = incoming_request_id(headers)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        token = request_id_var.set(request_id)
        start = time.perf_counter()
        rid = request_id.encode()
        status = 500
        started = False
        cors = self.cors
        origin = preflight = None
        if cors.enabled:
            origin, preflight = _origin(headers, scope["method"])

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status = message["status"]
                started = True
                out = [*message.get("headers", ()), (b"x-request-id", rid)]
                extra = state.get("response_headers")
                if extra:
                    out += extra
                if cors.enabled and preflight is None:
                    out += cors.response_headers(origin)
                message["headers"] = out
            await send(message)

        path: str = scope["path"]
        try:
            if preflight is not None:
                assert origin is not None
                await self._preflight(send_with_id, state, origin, *preflight)
            elif _proxied(path) or self.proxy.passes_through(path):
                await self.proxy(scope, receive, send_with_id)
            elif declared_length(headers) > self.settings.max_body_bytes:
                await send_problem(
                    send_with_id,
                    413,
                    title="Payload too large",
                    detail=f"request body exceeds {self.settings.max_body_bytes} bytes",
                    instance=path,
                    request_id=request_id,
                )
            else:
                await self.local(scope, receive, send_with_id)
        except Exception:
            _errors.exception("unhandled error", extra={"path": path})
            if not started:
                await send_problem(
                    send_with_id,
                    500,
                    detail="An unexpected error occurred; it has been logged.",
                    instance=path,
                    request_id=request_id,
                )
        finally:
            elapsed = time.perf_counter() - start
            route = state.get("route") or getattr(scope.get("route"), "path", None) or "unmatched"
            method: str = scope["method"]
            key = (method, route, status)
            children = self._metrics.get(key)
            if children is None:  # label lookups cost more than the updates; keep the children
                children = (HTTP_REQUESTS.labels(method, route, str(status)), HTTP_LATENCY.labels(method, route))
                if len(self._metrics) < 10_000:
                    self._metrics[key] = children
            children[0].inc()
            children[1].observe(elapsed)
            if path not in _QUIET:
                _log.info(
                    "request",
                    extra={
                        "method": method,
                        "path": path,
                        "route": route,
                        "service": state.get("service"),
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                        "sub": state.get("sub"),
                        "client_id": state.get("client_id"),
                        "rate_limit": state.get("rate_limit"),
                        "trace_id": state.get("trace_id"),
                        "client_ip": (scope.get("client") or (None,))[0],
                    },
                )
            request_id_var.reset(token)

    async def _preflight(
        self, send: Send, state: dict[str, Any], origin: bytes, method: bytes, request_headers: bytes | None
    ) -> None:
        """Answer a CORS preflight here: services never see it and it needs no token."""
        state["route"] = "cors-preflight"
        ok, reason, headers = self.cors.preflight(origin, method, request_headers)
        if not ok:
            await send_problem(
                send,
                403,
                title="CORS preflight refused",
                detail=reason,
                request_id=state["request_id"],
                headers=headers,
            )
            return
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


def _origin(headers: list[tuple[bytes, bytes]], method: str) -> tuple[bytes | None, tuple[bytes, bytes | None] | None]:
    """The Origin header, and for a preflight (Access-Control-Request-Method, -Headers)."""
    origin = request_method = request_headers = None
    for name, value in headers:
        if name == b"origin":
            origin = value
        elif name == b"access-control-request-method":
            request_method = value
        elif name == b"access-control-request-headers":
            request_headers = value
    if method == "OPTIONS" and origin is not None and request_method is not None:
        return origin, (request_method, request_headers)
    return origin, None


def _local_app(settings: GatewaySettings, runtime: GatewayRuntime, proxy: Proxy) -> FastAPI:
    readiness = Readiness(
        runtime.session,
        settings.service_urls,
        timeout_s=settings.readiness_timeout_s,
        cache_s=settings.readiness_cache_s,
    )
    merger = OpenAPIMerger(
        runtime.session,
        settings.service_urls,
        public=proxy.public,
        auth_service=settings.auth_service,
        timeout_s=settings.openapi_timeout_s,
        refresh_s=settings.openapi_refresh_s,
        retry_s=settings.openapi_retry_s,
        passthrough=settings.passthrough_routes,
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.service_name, settings.log_level)
        await runtime.start()
        logging.getLogger("gateway").info("gateway started", extra={"services": sorted(settings.service_urls)})
        try:
            yield
        finally:
            await runtime.close()

    local = FastAPI(
        title="Supervision platform gateway", lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None
    )
    install_problem_handlers(local)
    local.include_router(metrics.router)

    @local.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @local.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        ready, body = await readiness.check()
        return JSONResponse(body, status_code=200 if ready else 503)

    @local.get("/openapi.json", include_in_schema=False)
    async def openapi() -> Response:
        return Response(orjson.dumps(await merger.document()), media_type="application/json")

    @local.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Supervision platform API")

    return local


def create_app(settings: GatewaySettings | None = None) -> Gateway:
    settings = settings or GatewaySettings()
    runtime = GatewayRuntime(settings)
    proxy = Proxy(settings, runtime.session, runtime.verifier, runtime.limiter)
    return Gateway(settings, proxy, _local_app(settings, runtime, proxy))


app = create_app()
